"""Advisory use cases: each one transaction, the state change and its event together.

Support goes only to participants recruitment confirmed eligible (and who have not withdrawn) and to
organisations it enrolled, as advisory has learnt from recruitment's events: never by asking recruitment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts import AdvisorySessionHeld, MentoringProvided, TrainingCompleted
from owes_messaging.outbox import OutboxWriter
from owes_service.problems import Conflict, InvalidInput, NotFound
from owes_service.project_calendar import DateOutOfRange, ProjectCalendar

from . import domain, repository
from .schemas import AdvisorySessionRecord, AttendanceRecord, CompletionRecord, MentoringRecord, TrainingCreation


def _hours(hours: Decimal, *, at_most: Decimal, field: str = "hours") -> Decimal:
    try:
        return domain.valid_hours(hours, at_most=at_most)
    except domain.InvalidHours as exc:
        raise InvalidInput(f"Invalid hours: {exc}.", field=field) from None


def _day(calendar: ProjectCalendar, day: dt.date | None, field: str) -> dt.date:
    """The date a request gives for its fact, or the project's today: within the project, never still to come."""
    try:
        return calendar.fact_date(day, field=field)
    except DateOutOfRange as exc:
        raise InvalidInput(f"Invalid {field.replace('_', ' ')}: {exc}.", field=field) from None


async def _require_participant_supported(session: AsyncSession, participant_id: str) -> None:
    row = await repository.get_known_participant(session, participant_id=participant_id)
    standing = domain.ParticipantStanding(row.eligibility, row.withdrawn) if row else None
    reason = domain.why_participant_cannot_be_supported(participant_id, standing)
    if reason:
        raise InvalidInput(f"Cannot support this participant: {reason}.", field="participant_id")


async def _require_beneficiary(
    session: AsyncSession, *, participant_id: str | None, organisation_id: str | None
) -> None:
    if participant_id is not None:
        await _require_participant_supported(session, participant_id)
    elif (
        organisation_id is None
        or await repository.get_known_organisation(session, organisation_id=organisation_id) is None
    ):
        raise InvalidInput(
            f"Cannot support this organisation: organisation {organisation_id} is not known to "
            "advisory as enrolled (or the event has not arrived yet).",
            field="organisation_id",
        )


async def hold_advisory_session(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, form: AdvisorySessionRecord
) -> str:
    """Record an advisory session for an eligible participant or an enrolled organisation; publish it."""
    hours = _hours(form.hours, at_most=domain.MAX_SESSION_HOURS)
    held_on = _day(calendar, form.held_on, "held_on")
    session_id = domain.new_id("ses")
    async with session.begin():
        await _require_beneficiary(session, participant_id=form.participant_id, organisation_id=form.organisation_id)
        await repository.add_advisory_session(
            session,
            session_id=session_id,
            kind=form.kind.value,
            hours=hours,
            adviser_id=form.adviser_id,
            participant_id=form.participant_id,
            organisation_id=form.organisation_id,
            held_on=held_on,
        )
        await outbox.add(
            session,
            AdvisorySessionHeld(
                session_id=session_id,
                held_on=held_on,
                kind=form.kind,
                hours=hours,
                adviser_id=form.adviser_id,
                participant_id=form.participant_id,
                organisation_id=form.organisation_id,
            ),
        )
    return session_id


async def provide_mentoring(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, form: MentoringRecord
) -> str:
    """Record mentoring hours for an eligible participant or an enrolled organisation; publish them."""
    hours = _hours(form.hours, at_most=domain.MAX_MENTORING_HOURS)
    provided_on = _day(calendar, form.provided_on, "provided_on")
    mentoring_id = domain.new_id("men")
    async with session.begin():
        await _require_beneficiary(session, participant_id=form.participant_id, organisation_id=form.organisation_id)
        await repository.add_mentoring(
            session,
            mentoring_id=mentoring_id,
            mentor_id=form.mentor_id,
            hours=hours,
            participant_id=form.participant_id,
            organisation_id=form.organisation_id,
            provided_on=provided_on,
        )
        await outbox.add(
            session,
            MentoringProvided(
                mentoring_id=mentoring_id,
                provided_on=provided_on,
                hours=hours,
                mentor_id=form.mentor_id,
                participant_id=form.participant_id,
                organisation_id=form.organisation_id,
            ),
        )
    return mentoring_id


async def create_training(*, session: AsyncSession, form: TrainingCreation) -> str:
    """Put a training on offer (no event: only completions are facts others need)."""
    hours = _hours(form.hours, at_most=domain.MAX_TRAINING_HOURS)
    training_id = domain.new_id("trn")
    async with session.begin():
        await repository.add_training(
            session,
            training_id=training_id,
            title=form.title.strip(),
            hours=hours,
            required_attendance_percent=form.required_attendance_percent,
            starts_on=form.starts_on,
        )
    return training_id


async def _training_for_update(session: AsyncSession, training_id: str) -> Row[*tuple[Any, ...]]:
    training = await repository.get_training(session, training_id=training_id, for_update=True)
    if training is None:
        raise NotFound(f"No training {training_id}.")
    return training


async def record_attendance(
    *, session: AsyncSession, calendar: ProjectCalendar, training_id: str, form: AttendanceRecord
) -> dict:
    """Add hours an eligible participant attended; they never exceed the training's length."""
    hours = _hours(form.hours, at_most=domain.MAX_ATTENDANCE_HOURS)
    attended_on = _day(calendar, form.attended_on, "attended_on")
    attendance_id = domain.new_id("att")
    async with session.begin():
        training = await _training_for_update(session, training_id)
        await _require_participant_supported(session, form.participant_id)
        if await repository.get_completion(session, training_id=training_id, participant_id=form.participant_id):
            raise Conflict(f"Participant {form.participant_id} has already completed this training.")
        attended = await repository.attended_hours(session, training_id=training_id, participant_id=form.participant_id)
        try:
            total = domain.check_attendance_fits(attended=attended, adding=hours, training_hours=training.hours)
        except domain.AttendanceExceeded as exc:
            raise InvalidInput(f"Invalid hours: {exc}.", field="hours") from None
        await repository.add_attendance(
            session,
            attendance_id=attendance_id,
            training_id=training_id,
            participant_id=form.participant_id,
            attended_on=attended_on,
            hours=hours,
        )
    return {
        "attendance_id": attendance_id,
        "participant_id": form.participant_id,
        "attended_hours": total,
        "required_hours": domain.required_attendance(training.hours, training.required_attendance_percent),
    }


async def complete_training(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, training_id: str, form: CompletionRecord
) -> dict:
    """Record that an eligible participant completed a training, their attendance met; publish TrainingCompleted."""
    completed_on = _day(calendar, form.completed_on, "completed_on")
    async with session.begin():
        training = await _training_for_update(session, training_id)
        await _require_participant_supported(session, form.participant_id)
        if await repository.get_completion(session, training_id=training_id, participant_id=form.participant_id):
            raise Conflict(f"Participant {form.participant_id} has already completed this training.")
        attended = await repository.attended_hours(session, training_id=training_id, participant_id=form.participant_id)
        try:
            domain.check_attendance_met(
                attended=attended, training_hours=training.hours, percent=training.required_attendance_percent
            )
        except domain.AttendanceNotMet as exc:
            raise InvalidInput(f"Training not completed: {exc}.", field="participant_id") from None
        await repository.add_completion(
            session,
            training_id=training_id,
            participant_id=form.participant_id,
            completed_on=completed_on,
            attended_hours=attended,
        )
        await outbox.add(
            session,
            TrainingCompleted(
                training_id=training_id,
                participant_id=form.participant_id,
                completed_on=completed_on,
                title=training.title,
                hours=training.hours,
            ),
        )
    return {
        "training_id": training_id,
        "participant_id": form.participant_id,
        "completed_on": completed_on,
        "attended_hours": attended,
    }


async def get_advisory_session(*, session: AsyncSession, session_id: str) -> Row[*tuple[Any, ...]]:
    row = await repository.get_advisory_session(session, session_id=session_id)
    if row is None:
        raise NotFound(f"No advisory session {session_id}.")
    return row


async def get_mentoring(*, session: AsyncSession, mentoring_id: str) -> Row[*tuple[Any, ...]]:
    row = await repository.get_mentoring(session, mentoring_id=mentoring_id)
    if row is None:
        raise NotFound(f"No mentoring record {mentoring_id}.")
    return row


async def get_training(*, session: AsyncSession, training_id: str) -> dict:
    training = await repository.get_training(session, training_id=training_id)
    if training is None:
        raise NotFound(f"No training {training_id}.")
    trainees = await repository.trainees(session, training_id=training_id)
    return {
        **training._mapping,
        "trainees": [row._mapping for row in trainees],
        "required_hours": domain.required_attendance(training.hours, training.required_attendance_percent),
    }


async def get_known_participant(*, session: AsyncSession, participant_id: str) -> dict:
    row = await repository.get_known_participant(session, participant_id=participant_id)
    if row is None:
        raise NotFound(f"Advisory has not heard of participant {participant_id}.")
    standing = domain.ParticipantStanding(row.eligibility, row.withdrawn)
    return {
        **row._mapping,
        "may_receive_support": domain.why_participant_cannot_be_supported(participant_id, standing) is None,
    }


async def get_known_organisation(*, session: AsyncSession, organisation_id: str) -> Row[*tuple[Any, ...]]:
    row = await repository.get_known_organisation(session, organisation_id=organisation_id)
    if row is None:
        raise NotFound(f"Advisory has not heard of organisation {organisation_id}.")
    return row


async def list_trainings(*, session: AsyncSession) -> Sequence[Row[*tuple[Any, ...]]]:
    """The trainings on offer, for the staff pages' list."""
    return await repository.list_trainings(session)


async def list_advisory_sessions(
    *, session: AsyncSession, participant_id: str | None = None, organisation_id: str | None = None
) -> Sequence[Row[*tuple[Any, ...]]]:
    """Advisory sessions, all or one beneficiary's (the staff pages' lists)."""
    return await repository.list_advisory_sessions(
        session, participant_id=participant_id, organisation_id=organisation_id
    )


async def list_mentoring(
    *, session: AsyncSession, participant_id: str | None = None, organisation_id: str | None = None
) -> Sequence[Row[*tuple[Any, ...]]]:
    """Mentoring records, all or one beneficiary's (the staff pages' lists)."""
    return await repository.list_mentoring(session, participant_id=participant_id, organisation_id=organisation_id)
