"""All advisory queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .domain import Training
from .schemas import (
    AdvisorySessionView,
    KnownOrganisationView,
    KnownParticipant,
    MentoringView,
    TraineeView,
    TrainingSummary,
)
from .tables import (
    advisory_sessions,
    known_organisations,
    known_participants,
    mentoring,
    training_attendance,
    training_completions,
    trainings,
)

V = TypeVar("V", bound=BaseModel)


def _view(view: type[V], row: Row[Any] | None) -> V | None:
    return None if row is None else view.model_validate(row, from_attributes=True)


def _insert(session: AsyncSession, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    assert session.bind is not None  # noqa: S101 (every session comes from the service's engine)
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


# --- Read models, written only by the event handlers ---------------------------------------------------


async def record_participant_standing(session: AsyncSession, *, participant_id: str, **values: Any) -> None:
    """Create or update what advisory knows of one participant (only the given columns change)."""
    stmt = _insert(session, known_participants).values(participant_id=participant_id, **({"withdrawn": False} | values))
    await session.execute(stmt.on_conflict_do_update(index_elements=["participant_id"], set_=values))


async def get_known_participant(session: AsyncSession, *, participant_id: str) -> KnownParticipant | None:
    query = sa.select(known_participants).where(known_participants.c.participant_id == participant_id)
    return _view(KnownParticipant, (await session.execute(query)).first())


async def record_organisation(session: AsyncSession, *, organisation_id: str, **values: Any) -> None:
    stmt = _insert(session, known_organisations).values(organisation_id=organisation_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["organisation_id"], set_=values))


async def get_known_organisation(session: AsyncSession, *, organisation_id: str) -> KnownOrganisationView | None:
    query = sa.select(known_organisations).where(known_organisations.c.organisation_id == organisation_id)
    return _view(KnownOrganisationView, (await session.execute(query)).first())


# --- Advisory's own records ----------------------------------------------------------------------------


async def add_advisory_session(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(advisory_sessions).values(**values))


async def get_advisory_session(session: AsyncSession, *, session_id: str) -> AdvisorySessionView | None:
    query = sa.select(advisory_sessions).where(advisory_sessions.c.session_id == session_id)
    return _view(AdvisorySessionView, (await session.execute(query)).first())


async def add_mentoring(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(mentoring).values(**values))


async def get_mentoring(session: AsyncSession, *, mentoring_id: str) -> MentoringView | None:
    query = sa.select(mentoring).where(mentoring.c.mentoring_id == mentoring_id)
    return _view(MentoringView, (await session.execute(query)).first())


async def add_training(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(trainings).values(**values))


async def get_training(session: AsyncSession, *, training_id: str, for_update: bool = False) -> Training | None:
    query = sa.select(trainings).where(trainings.c.training_id == training_id)
    if for_update:  # serialises attendance and completions of one training on PostgreSQL
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return None if row is None else Training(**row._mapping)


async def add_attendance(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(training_attendance).values(**values))


async def attended_hours(session: AsyncSession, *, training_id: str, participant_id: str) -> Decimal:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(training_attendance.c.hours), 0)).where(
            training_attendance.c.training_id == training_id, training_attendance.c.participant_id == participant_id
        )
    )
    assert total is not None  # noqa: S101 (COALESCE over an aggregate: always one row, never NULL)
    return Decimal(total).quantize(Decimal("0.01"))


async def get_completion(
    session: AsyncSession, *, training_id: str, participant_id: str
) -> Row[*tuple[Any, ...]] | None:
    return (
        await session.execute(
            sa.select(training_completions).where(
                training_completions.c.training_id == training_id,
                training_completions.c.participant_id == participant_id,
            )
        )
    ).first()


async def add_completion(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(training_completions).values(**values))


async def trainees(session: AsyncSession, *, training_id: str) -> list[TraineeView]:
    """Each participant with attendance or a completion on a training: attended hours and completion day."""
    attended = (
        sa.select(
            training_attendance.c.participant_id, sa.func.sum(training_attendance.c.hours).label("attended_hours")
        )
        .where(training_attendance.c.training_id == training_id)
        .group_by(training_attendance.c.participant_id)
        .subquery()
    )
    rows = await session.execute(
        sa.select(attended.c.participant_id, attended.c.attended_hours, training_completions.c.completed_on)
        .select_from(
            attended.outerjoin(
                training_completions,
                sa.and_(
                    training_completions.c.training_id == training_id,
                    training_completions.c.participant_id == attended.c.participant_id,
                ),
            )
        )
        .order_by(attended.c.participant_id)
    )
    return [TraineeView.model_validate(row, from_attributes=True) for row in rows]


async def list_trainings(session: AsyncSession) -> list[TrainingSummary]:
    """Every training on offer with how many participants attended it; the newest first."""
    attending = (
        sa.select(
            training_attendance.c.training_id,
            sa.func.count(sa.distinct(training_attendance.c.participant_id)).label("participants"),
        )
        .group_by(training_attendance.c.training_id)
        .subquery()
    )
    rows = await session.execute(
        sa.select(trainings, sa.func.coalesce(attending.c.participants, 0).label("participants"))
        .select_from(trainings.outerjoin(attending, attending.c.training_id == trainings.c.training_id))
        .order_by(trainings.c.starts_on.desc().nulls_last(), trainings.c.title)
    )
    return [TrainingSummary.model_validate(row, from_attributes=True) for row in rows]


async def _support_of(
    session: AsyncSession,
    view: type[V],
    table: sa.Table,
    order: tuple[sa.ColumnElement[Any], ...],
    participant_id: str | None,
    organisation_id: str | None,
    limit: int,
) -> list[V]:
    """The records of a table of support given (sessions, mentoring), of one beneficiary when given, in order."""
    query = sa.select(table).order_by(*order)
    if participant_id:
        query = query.where(table.c.participant_id == participant_id)
    if organisation_id:
        query = query.where(table.c.organisation_id == organisation_id)
    return [view.model_validate(row, from_attributes=True) for row in await session.execute(query.limit(limit))]


async def list_advisory_sessions(
    session: AsyncSession, *, participant_id: str | None = None, organisation_id: str | None = None, limit: int = 500
) -> list[AdvisorySessionView]:
    """Advisory sessions, of one participant or organisation when given; the latest first."""
    order = (advisory_sessions.c.held_on.desc(), advisory_sessions.c.session_id)
    return await _support_of(
        session, AdvisorySessionView, advisory_sessions, order, participant_id, organisation_id, limit
    )


async def list_mentoring(
    session: AsyncSession, *, participant_id: str | None = None, organisation_id: str | None = None, limit: int = 500
) -> list[MentoringView]:
    """Mentoring records, of one participant or organisation when given; the latest first."""
    order = (mentoring.c.provided_on.desc(), mentoring.c.mentoring_id)
    return await _support_of(session, MentoringView, mentoring, order, participant_id, organisation_id, limit)
