"""Events published by the advisory service (advice, trainings, mentoring)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pydantic import Field, model_validator

from .base import EntityId, Event, Hours, ParticipantId


class _AdvisoryEvent(Event):
    producer: ClassVar[str] = "advisory"


def _beneficiary_field(whom: str, example: str) -> Any:
    """An event's participant_id or organisation_id: who was supported, when it was this kind of beneficiary."""
    return Field(
        default=None,
        description=f"{whom}: exactly one of participant_id and organisation_id is set.",
        examples=[example],
    )


_Support = TypeVar("_Support", "AdvisorySessionHeld", "MentoringProvided")


def _one_beneficiary(event: _Support) -> _Support:
    """Support goes to exactly one beneficiary, a participant or an organisation (a model validator of each)."""
    if (event.participant_id is None) == (event.organisation_id is None):
        raise ValueError("exactly one of participant_id and organisation_id is required")
    return event


class AdvisoryKind(StrEnum):
    GENERAL = "general"
    LEGAL = "legal"
    MARKETING = "marketing"
    ACCOUNTING = "accounting"
    BUSINESS = "business"


class AdvisorySessionHeld(_AdvisoryEvent):
    """An advisory session took place, for a participant or an organisation."""

    name: ClassVar[str] = "AdvisorySessionHeld"
    aggregate_field: ClassVar[str] = "session_id"

    session_id: EntityId = Field(description="Id of the advisory session.", examples=["ses_0a4b8c21"])
    held_on: dt.date = Field(description="Day the session took place.", examples=["2026-04-12"])
    kind: AdvisoryKind = Field(description="General, or a specialist field.", examples=["legal"])
    hours: Hours
    adviser_id: EntityId = Field(description="Id of the adviser (staff).", examples=["adv_12"])
    participant_id: ParticipantId | None = _beneficiary_field("The participant advised", "p_3f9c2a7d1b8e4c6f")
    organisation_id: EntityId | None = _beneficiary_field("The organisation advised", "org_7c1e5b9a")

    _one_beneficiary = model_validator(mode="after")(_one_beneficiary)


class TrainingCompleted(_AdvisoryEvent):
    """A participant completed a training (attendance met)."""

    name: ClassVar[str] = "TrainingCompleted"
    aggregate_field: ClassVar[str] = "training_id"

    training_id: EntityId = Field(description="Id of the training.", examples=["trn_2026_05"])
    participant_id: ParticipantId
    completed_on: dt.date = Field(description="Day the participant completed the training.", examples=["2026-05-20"])
    title: str = Field(
        min_length=1,
        max_length=200,
        description="Title of the training.",
        examples=["Zakładanie spółdzielni socjalnej"],
    )
    hours: Hours


class MentoringProvided(_AdvisoryEvent):
    """Mentoring hours were provided to a participant or an organisation."""

    name: ClassVar[str] = "MentoringProvided"
    aggregate_field: ClassVar[str] = "mentoring_id"

    mentoring_id: EntityId = Field(description="Id of this mentoring record.", examples=["mnt_4f1a9c"])
    provided_on: dt.date = Field(description="Day the mentoring was provided.", examples=["2026-06-02"])
    hours: Hours
    mentor_id: EntityId = Field(description="Id of the mentor (staff).", examples=["mentor_3"])
    participant_id: ParticipantId | None = _beneficiary_field("The participant mentored", "p_3f9c2a7d1b8e4c6f")
    organisation_id: EntityId | None = _beneficiary_field("The organisation mentored", "org_7c1e5b9a")

    _one_beneficiary = model_validator(mode="after")(_one_beneficiary)
