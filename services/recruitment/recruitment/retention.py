"""Erasure and the retention period: project documents, participants' data included, are kept 5 years from
31 December of the year of the final payment (art. 82 of Regulation (EU) 2021/1060; the project definition's
`final_payment_on` and `retention_years`). An erasure requested before then restricts processing instead (GDPR
art. 17(3)(b) and 18): the record is kept for the monitoring and audit obligations only, and it is erased when the
period ends (`owes retention erase`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owes_messaging.outbox import OutboxWriter
from owes_service.problems import NotFound
from owes_service.project_calendar import ProjectCalendar

from . import repository, service


def _possible_from(calendar: ProjectCalendar) -> dt.date | None:
    return calendar.project.erasure_possible_from if calendar.project is not None else None


async def request_erasure(
    *, session: AsyncSession, outbox: OutboxWriter, calendar: ProjectCalendar, participant_id: str
) -> dict[str, Any]:
    """Erase now when the retention period is over; otherwise restrict processing and say when erasure is possible.
    The one way to erase a participant's personal data (API, staff pages and `owes retention erase` alike)."""
    today = calendar.today()
    possible_from = _possible_from(calendar)
    if possible_from is not None and today >= possible_from:
        await service.erase_personal_data(
            session=session, outbox=outbox, calendar=calendar, participant_id=participant_id
        )
        return {"participant_id": participant_id, "status": "erased", "erasure_possible_from": possible_from}
    async with session.begin():
        found = await repository.get_participant(session, participant_id=participant_id, for_update=True)
        if found is None:
            raise NotFound(f"No participant {participant_id}.")
        if found.erased:  # asked again after the erasure: nothing left to restrict
            return {"participant_id": participant_id, "status": "erased", "erasure_possible_from": possible_from}
        await repository.restrict_processing(session, participant_id=participant_id, on=today)
    when = (
        f"from {possible_from.isoformat()}"
        if possible_from
        else "5 years from 31 December of the year of the project's final payment (not made yet)"
    )
    return {
        "participant_id": participant_id,
        "status": "restricted",
        "erasure_possible_from": possible_from,
        "detail": f"The project's documents are kept until the retention period ends: processing is restricted "
        f"and the personal data will be erased {when}.",
    }


async def erase_due(
    *, sessionmaker: async_sessionmaker[AsyncSession], outbox: OutboxWriter, calendar: ProjectCalendar
) -> list[str]:
    """Erase every restricted participant once the retention period is over (`owes retention erase`)."""
    possible_from = _possible_from(calendar)
    if possible_from is None or calendar.today() < possible_from:
        return []
    async with sessionmaker() as session:
        due = await repository.restricted_participants(session)
    for participant_id in due:
        async with sessionmaker() as session:
            await service.erase_personal_data(
                session=session, outbox=outbox, calendar=calendar, participant_id=participant_id
            )
    return due
