"""Advisory use cases: each one transaction, the state change and its event together.

Support goes only to participants recruitment confirmed eligible (and who have not withdrawn) and to
organisations it enrolled, as advisory has learnt from recruitment's events: never by asking recruitment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts import AdvisorySessionHeld, MentoringProvided
from owes_messaging.outbox import OutboxWriter
from owes_service.problems import Conflict, InvalidInput, NotFound, found
from owes_service.project_calendar import ProjectCalendar
from owes_service.wording import because, refusal

from . import domain, repository
from .schemas import (
    AdvisorySessionRecord,
    AdvisorySessionView,
    AttendanceRecord,
    AttendanceRecorded,
    CompletionRecord,
    CompletionRecorded,
    KnownOrganisationView,
    KnownParticipantView,
    MentoringRecord,
    MentoringView,
    TrainingCreation,
    TrainingSummary,
    TrainingView,
)


def _hours(hours: Decimal, *, at_most: Decimal, field: str = "hours") -> Decimal:
    try:
        return domain.valid_hours(hours, at_most=at_most)
    except domain.InvalidHours as exc:
        raise InvalidInput(refusal("Invalid hours: %(reason)s.", reason=because(exc)), field=field) from None


async def _require_participant_supported(session: AsyncSession, participant_id: str) -> None:
    known = await repository.get_known_participant(session, participant_id=participant_id)
    reason = domain.why_participant_cannot_be_supported(participant_id, known.standing if known else None)
    if reason:
        raise InvalidInput(
            refusal("Cannot support this participant: %(reason)s.", reason=reason), field="participant_id"
        )


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
            refusal(
                "Cannot support this organisation: organisation %(organisation_id)s is not known to "
                "advisory as enrolled (or the event has not arrived yet).",
                organisation_id=organisation_id,
            ),
            field="organisation_id",
        )


Support = TypeVar("Support", AdvisorySessionHeld, MentoringProvided)


async def _record_support(
    session: AsyncSession,
    outbox: OutboxWriter,
    form: AdvisorySessionRecord | MentoringRecord,
    decide: Callable[..., Support],
    store: Callable[..., Awaitable[None]],
) -> Support:
    """Store a session or mentoring given to its beneficiary, who must be one advisory may support, and publish it."""
    try:
        fact = decide(hours=form.hours, participant_id=form.participant_id, organisation_id=form.organisation_id)
    except domain.InvalidHours as exc:
        raise InvalidInput(refusal("Invalid hours: %(reason)s.", reason=because(exc)), field="hours") from None
    async with session.begin():
        await _require_beneficiary(session, participant_id=fact.participant_id, organisation_id=fact.organisation_id)
        await store(session, **fact.model_dump())
        await outbox.add(session, fact)
    return fact


async def hold_advisory_session(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, form: AdvisorySessionRecord
) -> str:
    """Record an advisory session for an eligible participant or an enrolled organisation; publish it."""
    held_on = calendar.fact_date(form.held_on, field="held_on")
    hold = partial(
        domain.hold_session,
        session_id=domain.new_id("ses"),
        kind=form.kind,
        adviser_id=form.adviser_id,
        held_on=held_on,
    )
    held = await _record_support(session, outbox, form, hold, repository.add_advisory_session)
    return held.session_id


async def provide_mentoring(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, form: MentoringRecord
) -> str:
    """Record mentoring hours for an eligible participant or an enrolled organisation; publish them."""
    provided_on = calendar.fact_date(form.provided_on, field="provided_on")
    provide = partial(
        domain.provide_mentoring, mentoring_id=domain.new_id("men"), mentor_id=form.mentor_id, provided_on=provided_on
    )
    provided = await _record_support(session, outbox, form, provide, repository.add_mentoring)
    return provided.mentoring_id


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


async def _attendee(session: AsyncSession, training_id: str, participant_id: str) -> tuple[domain.Training, Decimal]:
    """The training, locked, for a participant advisory may support who has not completed it yet; with the hours
    they have attended."""
    training = found(
        await repository.get_training(session, training_id=training_id, for_update=True), f"No training {training_id}."
    )
    await _require_participant_supported(session, participant_id)
    if await repository.get_completion(session, training_id=training_id, participant_id=participant_id):
        raise Conflict(
            refusal(
                "Participant %(participant_id)s has already completed this training.", participant_id=participant_id
            )
        )
    return training, await repository.attended_hours(session, training_id=training_id, participant_id=participant_id)


async def record_attendance(
    *, session: AsyncSession, calendar: ProjectCalendar, training_id: str, form: AttendanceRecord
) -> AttendanceRecorded:
    """Add hours an eligible participant attended; they never exceed the training's length."""
    hours = _hours(form.hours, at_most=domain.MAX_ATTENDANCE_HOURS)
    attended_on = calendar.fact_date(form.attended_on, field="attended_on")
    attendance_id = domain.new_id("att")
    async with session.begin():
        training, attended = await _attendee(session, training_id, form.participant_id)
        try:
            total = training.attend(attended=attended, adding=hours)
        except domain.AttendanceExceeded as exc:
            raise InvalidInput(refusal("Invalid hours: %(reason)s.", reason=because(exc)), field="hours") from None
        await repository.add_attendance(
            session,
            attendance_id=attendance_id,
            training_id=training_id,
            participant_id=form.participant_id,
            attended_on=attended_on,
            hours=hours,
        )
    return AttendanceRecorded(
        attendance_id=attendance_id,
        participant_id=form.participant_id,
        attended_hours=total,
        required_hours=training.required_hours,
    )


async def complete_training(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, training_id: str, form: CompletionRecord
) -> CompletionRecorded:
    """Record that an eligible participant completed a training, their attendance met; publish TrainingCompleted."""
    completed_on = calendar.fact_date(form.completed_on, field="completed_on")
    async with session.begin():
        training, attended = await _attendee(session, training_id, form.participant_id)
        try:
            completed = training.complete(participant_id=form.participant_id, attended=attended, on=completed_on)
        except domain.AttendanceNotMet as exc:
            raise InvalidInput(
                refusal("Training not completed: %(reason)s.", reason=because(exc)), field="participant_id"
            ) from None
        await repository.add_completion(
            session,
            training_id=training_id,
            participant_id=form.participant_id,
            completed_on=completed_on,
            attended_hours=attended,
        )
        await outbox.add(session, completed)
    return CompletionRecorded(
        training_id=training_id, participant_id=form.participant_id, completed_on=completed_on, attended_hours=attended
    )


async def get_advisory_session(*, session: AsyncSession, session_id: str) -> AdvisorySessionView:
    return found(
        await repository.get_advisory_session(session, session_id=session_id), f"No advisory session {session_id}."
    )


async def get_mentoring(*, session: AsyncSession, mentoring_id: str) -> MentoringView:
    return found(
        await repository.get_mentoring(session, mentoring_id=mentoring_id), f"No mentoring record {mentoring_id}."
    )


async def get_training(*, session: AsyncSession, training_id: str) -> TrainingView:
    training = await repository.get_training(session, training_id=training_id)
    if training is None:
        raise NotFound(refusal("No training %(training_id)s.", training_id=training_id))
    return TrainingView(
        training_id=training.training_id,
        title=training.title,
        hours=training.hours,
        required_attendance_percent=training.required_attendance_percent,
        required_hours=training.required_hours,
        starts_on=training.starts_on,
        trainees=await repository.trainees(session, training_id=training_id),
    )


async def get_known_participant(*, session: AsyncSession, participant_id: str) -> KnownParticipantView:
    standing = await repository.get_known_participant(session, participant_id=participant_id)
    if standing is None:
        raise NotFound(
            refusal("Advisory has not heard of participant %(participant_id)s.", participant_id=participant_id)
        )
    return KnownParticipantView(
        **standing.model_dump(),
        may_receive_support=domain.why_participant_cannot_be_supported(participant_id, standing.standing) is None,
    )


async def get_known_organisation(*, session: AsyncSession, organisation_id: str) -> KnownOrganisationView:
    return found(
        await repository.get_known_organisation(session, organisation_id=organisation_id),
        f"Advisory has not heard of organisation {organisation_id}.",
    )


async def list_trainings(*, session: AsyncSession) -> Sequence[TrainingSummary]:
    """The trainings on offer, for the staff pages' list."""
    return await repository.list_trainings(session)


async def list_advisory_sessions(
    *, session: AsyncSession, participant_id: str | None = None, organisation_id: str | None = None
) -> Sequence[AdvisorySessionView]:
    """Advisory sessions, all or one beneficiary's (the staff pages' lists)."""
    return await repository.list_advisory_sessions(
        session, participant_id=participant_id, organisation_id=organisation_id
    )


async def list_mentoring(
    *, session: AsyncSession, participant_id: str | None = None, organisation_id: str | None = None
) -> Sequence[MentoringView]:
    """Mentoring records, all or one beneficiary's (the staff pages' lists)."""
    return await repository.list_mentoring(session, participant_id=participant_id, organisation_id=organisation_id)
