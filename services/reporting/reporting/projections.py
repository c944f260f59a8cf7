"""Event handlers that fold partners' events into the reporting read models."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from owes_common.contracts import ParticipantRecruited
from owes_common.envelope import CloudEvent

from .tables import participants


async def on_participant_recruited(session: AsyncSession, event: CloudEvent, payload: ParticipantRecruited) -> None:
    await session.execute(sa.insert(participants).values(
        participant_id=payload.participant_id, partner=event.partner or event.source, county=payload.county,
        gender=payload.gender.value, age_band=payload.age_band.value, recruited_on=payload.recruited_on,
        at_risk_of_exclusion=payload.at_risk_of_exclusion,
    ))


HANDLERS = {ParticipantRecruited: on_participant_recruited}
