"""Event handlers that fold recruitment's events into grants' read models (grants never calls recruitment).

Each handler runs in the consumer's transaction, together with the inbox row that makes it apply once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts import (
    EligibilityDecided,
    InitiativeGroupFormed,
    OrganisationEnrolled,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantRecruited,
    ParticipantWithdrawn,
)
from owes_contracts.envelope import CloudEvent
from owes_service.spec import handlers

from . import repository
from .domain import Eligibility


async def on_participant_recruited(session: AsyncSession, _event: CloudEvent, payload: ParticipantRecruited) -> None:
    await repository.upsert_participant(
        session,
        payload.participant_id,
        recruited_on=payload.recruited_on,
        county=payload.county,
        at_risk_of_exclusion=payload.at_risk_of_exclusion,
    )


async def on_eligibility_decided(session: AsyncSession, _event: CloudEvent, payload: EligibilityDecided) -> None:
    eligibility = Eligibility.CONFIRMED if payload.eligible else Eligibility.REJECTED
    await repository.upsert_participant(
        session, payload.participant_id, eligibility=eligibility.value, eligibility_decided_on=payload.decided_on
    )


async def on_participant_withdrawn(session: AsyncSession, _event: CloudEvent, payload: ParticipantWithdrawn) -> None:
    await repository.upsert_participant(session, payload.participant_id, withdrawn_on=payload.withdrawn_on)


async def on_initiative_group_formed(session: AsyncSession, _event: CloudEvent, payload: InitiativeGroupFormed) -> None:
    await repository.upsert_initiative_group(
        session,
        group_id=payload.group_id,
        formed_on=payload.formed_on,
        county=payload.county,
        member_ids=list(payload.member_ids),
    )


async def on_organisation_enrolled(session: AsyncSession, _event: CloudEvent, payload: OrganisationEnrolled) -> None:
    await repository.upsert_organisation(
        session,
        organisation_id=payload.organisation_id,
        enrolled_on=payload.enrolled_on,
        organisation_type=payload.organisation_type.value,
        organisation_name=payload.organisation_name,
        county=payload.county,
        is_social_enterprise=payload.is_social_enterprise,
    )


HANDLERS = handlers(
    {
        ParticipantRecruited: on_participant_recruited,
        ParticipantEligibilityConfirmed: on_eligibility_decided,
        ParticipantEligibilityRejected: on_eligibility_decided,
        ParticipantWithdrawn: on_participant_withdrawn,
        InitiativeGroupFormed: on_initiative_group_formed,
        OrganisationEnrolled: on_organisation_enrolled,
    },
)
