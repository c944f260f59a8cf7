"""HTTP request and response bodies of the grants API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from owes_contracts import JobEndReason, WorkingTime
from owes_contracts.base import EntityId, ParticipantId
from owes_service.numbers import Count, _plain_decimal
from owes_service.reasons import deprecated_reason_field, note_field, reason_as_note
from owes_service.text_guard import FreeText


def _no_float(value: Any) -> Any:
    # JSON numbers with a fraction arrive as binary floats, which cannot hold grosze exactly.
    if isinstance(value, float):
        raise ValueError('amounts are decimal strings such as "1500.00" (or whole numbers), never floats')
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    BeforeValidator(_plain_decimal),  # "1e3", or digits of another script, is no amount
    Field(
        gt=0,
        max_digits=14,
        decimal_places=2,
        allow_inf_nan=False,
        description="Amount in PLN with grosze, greater than zero, as a decimal string.",
        examples=["23500.00"],
    ),
]
Day = Annotated[dt.date | None, Field(default=None, description="Defaults to today; cannot be in the future.")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------------------------------


class ApplicationSubmission(_Request):
    """A grant application with its business plan, by an initiative group or an enrolled organisation."""

    applicant_kind: Literal["initiative_group", "organisation"] = Field(examples=["initiative_group"])
    applicant_id: EntityId = Field(description="Initiative group id or organisation id, as recruitment published it.")
    summary: FreeText = Field(
        min_length=1,
        max_length=10_000,
        description="The business plan in brief.",
        examples=["Catering cooperative serving schools in Rybnik"],
    )
    jobs_planned: Count = Field(ge=1, le=100, examples=[5])
    amount_requested: Amount
    submitted_on: Day = None


class Evaluation(_Request):
    score: Count = Field(ge=0, le=100, examples=[82])
    outcome: Literal["positive", "negative"] = Field(examples=["positive"])
    evaluated_on: Day = None


EurRate = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(
        gt=0,
        max_digits=10,
        decimal_places=6,
        allow_inf_nan=False,
        description="PLN for one EUR on the day of the award (the rate the de minimis certificate uses), as a "
        "decimal string; the award is checked against the de minimis ceiling in EUR.",
        examples=["4.2575"],
    ),
]


class Award(_Request):
    eur_rate: EurRate
    amount_per_job: Amount | None = Field(
        default=None,
        description="2021–2027: the unit rate for job creation applies (omit it, or give that rate); "
        "2014–2020: required, at most the project's rate where it sets one.",
    )
    jobs: Count | None = Field(default=None, ge=1, le=100, description="Jobs funded; defaults to the jobs planned.")
    awarded_on: Day = None


class Disbursement(_Request):
    amount: Amount
    disbursed_on: Day = None


class CooperativeFoundation(_Request):
    """A social cooperative registered in the KRS court register by at least five eligible participants."""

    krs: str = Field(
        min_length=1,
        max_length=32,
        description='KRS number: "KRS 0000380128", "0000380128" or "380128"; stored as 10 digits.',
        examples=["KRS 0000380128"],
    )
    cooperative_name: FreeText = Field(min_length=1, max_length=300, examples=["Spółdzielnia Socjalna Razem"])
    county: str = Field(min_length=1, max_length=64, pattern=r"^[\w .-]+$", examples=["rybnik"])
    founder_ids: list[ParticipantId] = Field(
        default_factory=list,
        max_length=100,
        description="Natural persons: at least three eligible participants (five members within 12 months).",
    )
    founding_organisation_ids: list[EntityId] = Field(
        default_factory=list,
        max_length=100,
        description="Or legal persons: at least two organisations recruitment enrolled.",
    )
    application_id: EntityId | None = Field(default=None, description="The awarded grant that funds it, if any.")
    founded_on: Day = None


class MemberAdmission(_Request):
    """A member who joined after the founding: a participant or an enrolled organisation."""

    participant_id: ParticipantId | None = None
    organisation_id: EntityId | None = None
    joined_on: Day = None


class JobCreation(_Request):
    cooperative_id: EntityId
    participant_id: ParticipantId = Field(
        description="The eligible participant who holds the job, at risk of social exclusion (recorded at recruitment)."
    )
    working_time: WorkingTime = Field(
        default=WorkingTime.FULL_TIME,
        description="full_time, three_quarters or half_time: a funded job is at least half time.",
    )
    created_on: Day = None


class MaintenanceFunding(_Request):
    """The 2021–2027 unit rate for maintaining a job 12 months, at the rate of its working time."""

    funded_on: Day = None


class BridgeSupportExtension(_Request):
    months: Count = Field(
        ge=1, le=12, description="New length of the schedule in months (more than now, at most 12).", examples=[12]
    )


class BridgeSupportPayment(_Request):
    instalment: Count = Field(ge=1, le=12, description="Month number within the schedule.", examples=[1])
    amount: Amount
    paid_on: Day = None


class SustainabilityCheck(_Request):
    checked_on: Day = None


class JobEnding(_Request):
    reason_code: JobEndReason | None = Field(
        default=None, description="Why the job ended (this code travels in the event).", examples=["dismissed"]
    )
    note: FreeText | None = note_field()
    reason: FreeText | None = deprecated_reason_field(examples=["Cooperative dissolved"])
    ended_on: Day = None

    @model_validator(mode="after")
    def _a_reason(self) -> JobEnding:
        return reason_as_note(self, JobEndReason.OTHER)


# --- responses -----------------------------------------------------------------------------------------------


class DeMinimisView(_Response):
    """An undertaking's de minimis aid on a day: the ceiling in force, its window, what is granted and what remains."""

    beneficiary_kind: str
    beneficiary_id: str
    on: dt.date
    ceiling_eur: Decimal
    window_from: dt.date
    granted_eur: Decimal
    headroom_eur: Decimal


class DisbursementView(_Response):
    disbursement_id: str
    amount: Decimal
    disbursed_on: dt.date


class ApplicationView(_Response):
    application_id: str
    applicant_kind: str
    applicant_id: str
    summary: str
    jobs_planned: int
    amount_requested: Decimal
    submitted_on: dt.date
    status: str = Field(description="submitted, rejected (evaluated negatively), approved (positively) or awarded")
    score: int | None
    evaluated_on: dt.date | None
    jobs_awarded: int | None
    amount_per_job: Decimal | None
    total_awarded: Decimal | None
    awarded_on: dt.date | None
    disbursed: Decimal
    remaining: Decimal
    disbursements: list[DisbursementView]


class CooperativeView(_Response):
    cooperative_id: str
    krs: str
    cooperative_name: str
    county: str
    founded_on: dt.date
    founded_by: Literal["natural_persons", "legal_persons"]
    founder_ids: list[str]
    founding_organisation_ids: list[str]
    member_ids: list[str] = Field(description="Members who joined after the founding.")
    members: int = Field(description="All members now, founders included (at most 50).")
    five_members_due_on: dt.date | None = Field(
        description="Founded by natural persons: the day it must have five members by (12 months)."
    )
    below_five_members: bool = Field(description="Flagged: that day has passed with fewer than five members.")
    application_id: str | None
    job_ids: list[str]


class BridgePaymentView(_Response):
    instalment: int
    amount: Decimal
    paid_on: dt.date


class JobView(_Response):
    job_id: str
    cooperative_id: str
    participant_id: str
    created_on: dt.date
    working_time: str
    maintenance_amount: Decimal | None = Field(description="The maintenance unit rate granted (2021–2027).")
    maintenance_funded_on: dt.date | None
    not_sustained_on: dt.date | None = Field(description="Day the check found the job ended before it was due.")
    status: Literal["active", "ended"]
    bridge_months: int
    bridge_payments: list[BridgePaymentView]
    sustainability_due_on: dt.date
    sustained_on: dt.date | None
    ended_on: dt.date | None
    end_reason_code: JobEndReason | None = None
    end_reason: str | None = Field(description="Staff's note on why the job ended (stays here).")
