"""Thin handlers of recruitment's events: they keep advisory's read model of who may be supported."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts import (
    EligibilityDecided,
    OrganisationEnrolled,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantWithdrawn,
)
from owes_contracts.envelope import CloudEvent
from owes_service.spec import handlers

from . import repository


async def on_eligibility_decided(session: AsyncSession, _event: CloudEvent, payload: EligibilityDecided) -> None:
    await repository.record_participant_standing(
        session,
        participant_id=payload.participant_id,
        eligibility="eligible" if payload.eligible else "rejected",
        eligibility_decided_on=payload.decided_on,
    )


async def on_participant_withdrawn(session: AsyncSession, _event: CloudEvent, payload: ParticipantWithdrawn) -> None:
    # Withdrawal is final: no later eligibility event clears the flag (the upsert never sets it back).
    await repository.record_participant_standing(
        session, participant_id=payload.participant_id, withdrawn=True, withdrawn_on=payload.withdrawn_on
    )


async def on_organisation_enrolled(session: AsyncSession, _event: CloudEvent, payload: OrganisationEnrolled) -> None:
    await repository.record_organisation(
        session,
        organisation_id=payload.organisation_id,
        organisation_type=payload.organisation_type.value,
        organisation_name=payload.organisation_name,
        county=payload.county,
        enrolled_on=payload.enrolled_on,
    )


HANDLERS = handlers(
    {
        ParticipantEligibilityConfirmed: on_eligibility_decided,
        ParticipantEligibilityRejected: on_eligibility_decided,
        ParticipantWithdrawn: on_participant_withdrawn,
        OrganisationEnrolled: on_organisation_enrolled,
    },
)
