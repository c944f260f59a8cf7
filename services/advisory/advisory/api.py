"""Advisory HTTP endpoints: thin, each parses, calls one use case and answers."""

from __future__ import annotations

from fastapi import APIRouter, status

from owes_service.deps import CalendarDep, OutboxDep, SessionDep
from owes_service.problems import PROBLEMS

from . import schemas, service

sessions = APIRouter(prefix="/advisory-sessions", tags=["advisory sessions"], responses=PROBLEMS)
trainings = APIRouter(prefix="/trainings", tags=["trainings"], responses=PROBLEMS)
mentoring = APIRouter(prefix="/mentoring", tags=["mentoring"], responses=PROBLEMS)
beneficiaries = APIRouter(tags=["beneficiaries (from recruitment's events)"], responses=PROBLEMS)
routers = [sessions, trainings, mentoring, beneficiaries]

BENEFICIARY_RULE = (
    "The beneficiary is either a participant recruitment confirmed eligible and who has not "
    "withdrawn, or an organisation recruitment enrolled, as advisory has learnt from recruitment's "
    "events; anyone else gets 422 and nothing is stored or published."
)


@sessions.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record an advisory session",
    response_model=schemas.SessionCreated,
    description=f"Publishes AdvisorySessionHeld. {BENEFICIARY_RULE}",
)
async def hold_advisory_session(
    form: schemas.AdvisorySessionRecord, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> dict:
    return {
        "session_id": await service.hold_advisory_session(session=session, calendar=calendar, outbox=outbox, form=form)
    }


@sessions.get("/{session_id}", summary="Read an advisory session")
async def read_advisory_session(session_id: str, session: SessionDep) -> schemas.AdvisorySessionView:
    return await service.get_advisory_session(session=session, session_id=session_id)


@mentoring.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record mentoring hours",
    response_model=schemas.MentoringCreated,
    description=f"Publishes MentoringProvided. {BENEFICIARY_RULE}",
)
async def provide_mentoring(
    form: schemas.MentoringRecord, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> dict:
    return {
        "mentoring_id": await service.provide_mentoring(session=session, calendar=calendar, outbox=outbox, form=form)
    }


@mentoring.get("/{mentoring_id}", summary="Read a mentoring record")
async def read_mentoring(mentoring_id: str, session: SessionDep) -> schemas.MentoringView:
    return await service.get_mentoring(session=session, mentoring_id=mentoring_id)


@trainings.post(
    "", status_code=status.HTTP_201_CREATED, summary="Create a training", response_model=schemas.TrainingCreated
)
async def create_training(form: schemas.TrainingCreation, session: SessionDep) -> dict:
    """A training on offer, with its length and the share of it a participant must attend to complete it."""
    return {"training_id": await service.create_training(session=session, form=form)}


@trainings.get("/{training_id}", summary="Read a training with its trainees' attendance")
async def read_training(training_id: str, session: SessionDep) -> schemas.TrainingView:
    return await service.get_training(session=session, training_id=training_id)


@trainings.post(
    "/{training_id}/attendance",
    status_code=status.HTTP_201_CREATED,
    summary="Record a participant's attendance at a training",
)
async def record_attendance(
    training_id: str, form: schemas.AttendanceRecord, session: SessionDep, calendar: CalendarDep
) -> schemas.AttendanceRecorded:
    """Hours one eligible participant attended on one day; the total never exceeds the training's length.
    Nothing is published: completion is the fact others need."""
    return await service.record_attendance(session=session, calendar=calendar, training_id=training_id, form=form)


@trainings.post(
    "/{training_id}/completions",
    status_code=status.HTTP_201_CREATED,
    summary="Record that a participant completed a training",
)
async def complete_training(
    training_id: str, form: schemas.CompletionRecord, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.CompletionRecorded:
    """The participant's attendance must meet the training's requirement (422 otherwise); once per participant
    (409 on repeat). Publishes TrainingCompleted with the training's title and hours."""
    return await service.complete_training(
        session=session, calendar=calendar, outbox=outbox, training_id=training_id, form=form
    )


@beneficiaries.get("/participants/{participant_id}", summary="What advisory knows of a participant")
async def read_known_participant(participant_id: str, session: SessionDep) -> schemas.KnownParticipantView:
    """Eligibility and withdrawal as learnt from recruitment's events (no personal data). 404 when no event about
    the participant has arrived."""
    return await service.get_known_participant(session=session, participant_id=participant_id)


@beneficiaries.get("/organisations/{organisation_id}", summary="What advisory knows of an organisation")
async def read_known_organisation(organisation_id: str, session: SessionDep) -> schemas.KnownOrganisationView:
    return await service.get_known_organisation(session=session, organisation_id=organisation_id)
