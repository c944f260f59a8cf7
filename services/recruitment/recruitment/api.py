"""Recruitment HTTP endpoints: thin, each parses, calls one use case and answers."""

from __future__ import annotations

from fastapi import APIRouter, status

from owes_common.deps import OutboxDep, SessionDep
from owes_common.problems import PROBLEM_JSON

from . import service
from .schemas import ParticipantRegistration, ParticipantView

PROBLEMS = {code: {"description": desc, "content": {PROBLEM_JSON: {}}}
            for code, desc in {400: "Malformed request", 404: "Not found", 409: "Conflict",
                               413: "Body too large", 422: "Invalid input"}.items()}

router = APIRouter(prefix="/participants", tags=["participants"], responses=PROBLEMS)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a participant")
async def register_participant(form: ParticipantRegistration, session: SessionDep, outbox: OutboxDep) -> dict:
    participant_id = await service.recruit_participant(session=session, outbox=outbox, form=form)
    return {"participant_id": participant_id}


@router.get("/{participant_id}", summary="Read a participant")
async def read_participant(participant_id: str, session: SessionDep) -> ParticipantView:
    row = await service.get_participant(session=session, participant_id=participant_id)
    return ParticipantView(**row._mapping, erased=row.erased_at is not None)
