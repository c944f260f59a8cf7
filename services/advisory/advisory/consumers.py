"""Thin handlers of recruitment's events: they keep advisory's read model of who may be supported."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts import (
    OrganisationEnrolled,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantWithdrawn,
)
from owes_contracts.envelope import CloudEvent

from . import repository

if TYPE_CHECKING:
    from owes_contracts import Event
    from owes_messaging.consumer import Handler


async def on_eligibility_confirmed(
    session: AsyncSession, _event: CloudEvent, payload: ParticipantEligibilityConfirmed
) -> None:
    await repository.record_participant_standing(
        session,
        participant_id=payload.participant_id,
        eligibility="eligible",
        eligibility_decided_on=payload.confirmed_on,
    )


async def on_eligibility_rejected(
    session: AsyncSession, _event: CloudEvent, payload: ParticipantEligibilityRejected
) -> None:
    await repository.record_participant_standing(
        session,
        participant_id=payload.participant_id,
        eligibility="rejected",
        eligibility_decided_on=payload.rejected_on,
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


# Each handler takes the payload type of its key (the consumer parses it so), which a Callable type cannot say.
HANDLERS = cast(
    "dict[type[Event], Handler]",
    {
        ParticipantEligibilityConfirmed: on_eligibility_confirmed,
        ParticipantEligibilityRejected: on_eligibility_rejected,
        ParticipantWithdrawn: on_participant_withdrawn,
        OrganisationEnrolled: on_organisation_enrolled,
    },
)
