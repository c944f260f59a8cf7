"""HTTP request and response bodies of the advisory API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from owes_contracts import AdvisoryKind
from owes_contracts.base import EntityId, ParticipantId
from owes_service.numbers import Count, PlainDecimal
from owes_service.text_guard import FreeText

from . import domain

RequestedHours = Annotated[
    PlainDecimal,
    Field(
        description="Duration in hours, in quarter hours (0.25 steps), as a number or a decimal string.",
        examples=["1.50"],
    ),
]


class _OneBeneficiary(BaseModel):
    """Support goes to exactly one beneficiary: a participant or an organisation."""

    model_config = ConfigDict(extra="forbid")

    participant_id: ParticipantId | None = Field(
        default=None, description="A participant recruitment confirmed eligible (and who has not withdrawn)."
    )
    organisation_id: EntityId | None = Field(
        default=None, description="An organisation recruitment enrolled.", examples=["org_7c1e5b9a3d2f4e60"]
    )

    @model_validator(mode="after")
    def _exactly_one_beneficiary(self) -> Self:
        if (self.participant_id is None) == (self.organisation_id is None):
            raise ValueError("give exactly one of participant_id and organisation_id")
        return self


class AdvisorySessionRecord(_OneBeneficiary):
    """An advisory session that took place."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "legal",
                    "hours": "1.50",
                    "adviser_id": "adv_12",
                    "participant_id": "p_3f9c2a7d1b8e4c6f",
                    "held_on": "2026-04-12",
                },
                {"kind": "accounting", "hours": "2", "adviser_id": "adv_7", "organisation_id": "org_7c1e5b9a3d2f4e60"},
            ]
        },
    )

    kind: AdvisoryKind = Field(description="General advice, or a specialist field.", examples=["legal"])
    hours: RequestedHours = Field(description=f"Quarter hours, at most {domain.MAX_SESSION_HOURS}.")
    adviser_id: EntityId = Field(description="Id of the adviser (staff).", examples=["adv_12"])
    held_on: dt.date | None = Field(default=None, description="Day of the session; defaults to today.")


class MentoringRecord(_OneBeneficiary):
    """Mentoring hours provided."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "mentor_id": "mentor_3",
                    "hours": "3",
                    "organisation_id": "org_7c1e5b9a3d2f4e60",
                    "provided_on": "2026-06-02",
                },
            ]
        },
    )

    mentor_id: EntityId = Field(examples=["mentor_3"])
    hours: RequestedHours = Field(description=f"Quarter hours, at most {domain.MAX_MENTORING_HOURS}.")
    provided_on: dt.date | None = Field(default=None, description="Day of the mentoring; defaults to today.")


class TrainingCreation(BaseModel):
    """A training on offer: its programme length and the attendance needed to complete it."""

    model_config = ConfigDict(extra="forbid")

    # the title travels in TrainingCompleted: no PESEL, e-mail or phone in it
    title: FreeText = Field(min_length=1, max_length=200, pattern=r"\S", examples=["Zakładanie spółdzielni socjalnej"])
    hours: RequestedHours = Field(
        description=f"Length of the programme, at most {domain.MAX_TRAINING_HOURS}.", examples=["24"]
    )
    required_attendance_percent: Count = Field(
        default=domain.DEFAULT_REQUIRED_ATTENDANCE_PERCENT,
        ge=1,
        le=100,
        examples=[80],
        description="Share of the hours a participant must attend to complete the training.",
    )
    starts_on: dt.date | None = Field(default=None, examples=["2026-05-04"])


class AttendanceRecord(BaseModel):
    """Hours one participant attended on one day."""

    model_config = ConfigDict(extra="forbid")

    participant_id: ParticipantId
    hours: RequestedHours = Field(
        description=f"Quarter hours, at most {domain.MAX_ATTENDANCE_HOURS} a day.", examples=["6"]
    )
    attended_on: dt.date | None = Field(default=None, description="Defaults to today.")


class CompletionRecord(BaseModel):
    """A participant completing a training (attendance must have met the training's requirement)."""

    model_config = ConfigDict(extra="forbid")

    participant_id: ParticipantId
    completed_on: dt.date | None = Field(default=None, description="Defaults to today.")


class SessionCreated(BaseModel):
    session_id: str = Field(examples=["ses_5d2c9e1a7b3f4a80"])


class TrainingCreated(BaseModel):
    training_id: str = Field(examples=["trn_0b1c2d3e4f5a6b7c"])


class MentoringCreated(BaseModel):
    mentoring_id: str = Field(examples=["men_9a8b7c6d5e4f3a2b"])


class AttendanceRecorded(BaseModel):
    attendance_id: str
    participant_id: str
    attended_hours: Decimal = Field(description="The participant's attended hours on this training so far.")
    required_hours: Decimal = Field(description="Hours needed to complete the training.")


class CompletionRecorded(BaseModel):
    training_id: str
    participant_id: str
    completed_on: dt.date
    attended_hours: Decimal


class AdvisorySessionView(BaseModel):
    session_id: str
    kind: AdvisoryKind
    hours: Decimal
    adviser_id: str
    participant_id: str | None
    organisation_id: str | None
    held_on: dt.date


class MentoringView(BaseModel):
    mentoring_id: str
    mentor_id: str
    hours: Decimal
    participant_id: str | None
    organisation_id: str | None
    provided_on: dt.date


class TraineeView(BaseModel):
    participant_id: str
    attended_hours: Decimal
    completed_on: dt.date | None


class TrainingSummary(BaseModel):
    """A training in the list of those on offer, with how many participants attended it."""

    training_id: str
    title: str
    hours: Decimal
    required_attendance_percent: int
    starts_on: dt.date | None
    participants: int


class TrainingView(BaseModel):
    training_id: str
    title: str
    hours: Decimal
    required_attendance_percent: int
    required_hours: Decimal
    starts_on: dt.date | None
    trainees: list[TraineeView]


class KnownParticipant(BaseModel):
    """What advisory has learnt about a participant from recruitment's events."""

    participant_id: str
    eligibility: str | None = Field(examples=["eligible"])
    eligibility_decided_on: dt.date | None
    withdrawn: bool
    withdrawn_on: dt.date | None

    @property
    def standing(self) -> domain.ParticipantStanding:
        return domain.ParticipantStanding(self.eligibility, self.withdrawn)


class KnownParticipantView(KnownParticipant):
    """What advisory has learnt about a participant, and whether it may receive support now."""

    may_receive_support: bool


class KnownOrganisationView(BaseModel):
    """An organisation advisory has learnt of from recruitment's events."""

    organisation_id: str
    organisation_type: str
    organisation_name: str
    county: str
    enrolled_on: dt.date
