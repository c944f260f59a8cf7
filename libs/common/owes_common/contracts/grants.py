"""Events published by the grants service (applications, awards, cooperatives, jobs, bridge support)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import Field

from .base import EntityId, Event, Money, ParticipantId


class _GrantsEvent(Event):
    producer: ClassVar[str] = "grants"


class GrantApplicationSubmitted(_GrantsEvent):
    """A grant application with a business plan was submitted."""

    name: ClassVar[str] = "GrantApplicationSubmitted"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: EntityId
    submitted_on: dt.date = Field(examples=["2026-07-01"])
    applicant_kind: Literal["initiative_group", "organisation"] = Field(examples=["initiative_group"])
    applicant_id: EntityId = Field(description="Initiative group id or organisation id.", examples=["grp_1"])
    jobs_planned: int = Field(ge=1, le=100, examples=[5])
    amount_requested: Money


class GrantApplicationEvaluated(_GrantsEvent):
    """An application was evaluated: positive or negative, with a score."""

    name: ClassVar[str] = "GrantApplicationEvaluated"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: EntityId
    evaluated_on: dt.date = Field(examples=["2026-07-15"])
    score: int = Field(ge=0, le=100, examples=[82])
    outcome: Literal["positive", "negative"] = Field(examples=["positive"])


class GrantAwarded(_GrantsEvent):
    """A grant was awarded: an amount per job created."""

    name: ClassVar[str] = "GrantAwarded"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: EntityId
    awarded_on: dt.date = Field(examples=["2026-07-20"])
    jobs: int = Field(ge=1, le=100, examples=[5])
    amount_per_job: Money
    total_amount: Money


class GrantDisbursed(_GrantsEvent):
    """Part or all of an awarded grant was paid out."""

    name: ClassVar[str] = "GrantDisbursed"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: EntityId
    disbursement_id: EntityId
    disbursed_on: dt.date = Field(examples=["2026-08-01"])
    amount: Money


class CooperativeFounded(_GrantsEvent):
    """A social cooperative was registered in the KRS court register by at least five eligible founders."""

    name: ClassVar[str] = "CooperativeFounded"
    aggregate_field: ClassVar[str] = "cooperative_id"

    cooperative_id: EntityId
    founded_on: dt.date = Field(examples=["2026-08-10"])
    krs: str = Field(pattern=r"^\d{10}$", description="KRS number, 10 digits with leading zeros.",
                     examples=["0000380128"])
    cooperative_name: str = Field(min_length=1, max_length=300, examples=["Spółdzielnia Socjalna Razem"])
    county: str = Field(min_length=1, max_length=64, examples=["rybnik"])
    founder_ids: list[ParticipantId] = Field(min_length=5, max_length=100)
    application_id: EntityId | None = None


class JobCreated(_GrantsEvent):
    """A job was created in a social enterprise, held by an eligible participant."""

    name: ClassVar[str] = "JobCreated"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId
    created_on: dt.date = Field(examples=["2026-09-01"])
    cooperative_id: EntityId
    participant_id: ParticipantId


class BridgeSupportPaid(_GrantsEvent):
    """One monthly instalment of bridge support was paid for a job."""

    name: ClassVar[str] = "BridgeSupportPaid"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId
    instalment: int = Field(ge=1, le=12, description="Month number of the schedule, 1 to 12.", examples=[1])
    paid_on: dt.date = Field(examples=["2026-10-05"])
    amount: Money


class JobSustained(_GrantsEvent):
    """The job still existed when checked 12 months after its creation."""

    name: ClassVar[str] = "JobSustained"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId
    checked_on: dt.date = Field(examples=["2027-09-01"])


class JobEnded(_GrantsEvent):
    """The job ended."""

    name: ClassVar[str] = "JobEnded"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId
    ended_on: dt.date = Field(examples=["2027-03-31"])
    reason: str = Field(min_length=1, max_length=500, examples=["Cooperative dissolved"])
