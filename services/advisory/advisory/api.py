"""Advisory HTTP endpoints: thin, each a route and the use case it serves (owes_service.endpoints.serve: the use
case's parameters are the endpoint's), answering with its result or, for a record created, its id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel

from owes_service.endpoints import serve
from owes_service.problems import PROBLEMS

from . import schemas, service

CREATED = status.HTTP_201_CREATED

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


def _records_support(router: APIRouter, summary: str, created: type[BaseModel], event: str) -> Callable[..., Any]:
    """The route that records support given to one beneficiary: 201 with the record's id; event published."""
    description = f"Publishes {event}. {BENEFICIARY_RULE}"
    return router.post("", status_code=CREATED, summary=summary, response_model=created, description=description)


serve(
    _records_support(sessions, "Record an advisory session", schemas.SessionCreated, "AdvisorySessionHeld"),
    service.hold_advisory_session,
    answer="session_id",
)
serve(
    sessions.get("/{session_id}", summary="Read an advisory session", name="read_advisory_session"),
    service.get_advisory_session,
)
serve(
    _records_support(mentoring, "Record mentoring hours", schemas.MentoringCreated, "MentoringProvided"),
    service.provide_mentoring,
    answer="mentoring_id",
)
serve(mentoring.get("/{mentoring_id}", summary="Read a mentoring record", name="read_mentoring"), service.get_mentoring)
serve(
    trainings.post(
        "",
        status_code=CREATED,
        summary="Create a training",
        response_model=schemas.TrainingCreated,
        description="A training on offer, with its length and the share of it a participant must attend to complete "
        "it.",
    ),
    service.create_training,
    answer="training_id",
)
serve(
    trainings.get("/{training_id}", summary="Read a training with its trainees' attendance", name="read_training"),
    service.get_training,
)
serve(
    trainings.post(
        "/{training_id}/attendance",
        status_code=CREATED,
        summary="Record a participant's attendance at a training",
        description="Hours one eligible participant attended on one day; the total never exceeds the training's "
        "length.\nNothing is published: completion is the fact others need.",
    ),
    service.record_attendance,
)
serve(
    trainings.post(
        "/{training_id}/completions",
        status_code=CREATED,
        summary="Record that a participant completed a training",
        description="The participant's attendance must meet the training's requirement (422 otherwise); once per "
        "participant\n(409 on repeat). Publishes TrainingCompleted with the training's title and hours.",
    ),
    service.complete_training,
)
serve(
    beneficiaries.get(
        "/participants/{participant_id}",
        summary="What advisory knows of a participant",
        description="Eligibility and withdrawal as learnt from recruitment's events (no personal data). 404 when no "
        "event about\nthe participant has arrived.",
        name="read_known_participant",
    ),
    service.get_known_participant,
)
serve(
    beneficiaries.get(
        "/organisations/{organisation_id}",
        summary="What advisory knows of an organisation",
        name="read_known_organisation",
    ),
    service.get_known_organisation,
)
