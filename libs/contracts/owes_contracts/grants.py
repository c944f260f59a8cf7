"""Events published by the grants service (applications, awards, cooperatives, jobs, bridge support)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from .base import EntityId, Event, Money, ParticipantId, ReasonCode, reason_code_field, reason_label_field


class WorkingTime(StrEnum):
    """Working time of a funded job: a funded job is at least half time."""

    FULL_TIME = "full_time"
    THREE_QUARTERS = "three_quarters"
    HALF_TIME = "half_time"


class _GrantsEvent(Event):
    producer: ClassVar[str] = "grants"


class GrantApplicationSubmitted(_GrantsEvent):
    """A grant application with a business plan was submitted."""

    name: ClassVar[str] = "GrantApplicationSubmitted"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: EntityId = Field(description="Id of the grant application.", examples=["app_2026_017"])
    submitted_on: dt.date = Field(description="Day the application was submitted.", examples=["2026-07-01"])
    applicant_kind: Literal["initiative_group", "organisation"] = Field(
        description="Whether an initiative group or an organisation applies.", examples=["initiative_group"]
    )
    applicant_id: EntityId = Field(description="Initiative group id or organisation id.", examples=["grp_1"])
    jobs_planned: int = Field(ge=1, le=100, description="Jobs the business plan promises to create.", examples=[5])
    amount_requested: Money = Field(
        description="Grant requested, in PLN with grosze, as a decimal string.", examples=["117500.00"]
    )


class GrantApplicationEvaluated(_GrantsEvent):
    """An application was evaluated: positive or negative, with a score."""

    name: ClassVar[str] = "GrantApplicationEvaluated"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: EntityId = Field(description="Id of the grant application.", examples=["app_2026_017"])
    evaluated_on: dt.date = Field(description="Day of the evaluation.", examples=["2026-07-15"])
    score: int = Field(ge=0, le=100, description="Evaluation score, 0 to 100.", examples=[82])
    outcome: Literal["positive", "negative"] = Field(description="Result of the evaluation.", examples=["positive"])


class GrantAwarded(_GrantsEvent):
    """A grant was awarded: an amount per job created."""

    name: ClassVar[str] = "GrantAwarded"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: EntityId = Field(
        description="Id of the application the grant was awarded on.", examples=["app_2026_017"]
    )
    awarded_on: dt.date = Field(description="Day of the award.", examples=["2026-07-20"])
    jobs: int = Field(ge=1, le=100, description="Jobs the grant funds.", examples=[5])
    amount_per_job: Money = Field(
        description="Grant per job created, in PLN with grosze, as a decimal string.", examples=["23500.00"]
    )
    total_amount: Money = Field(
        description="Whole grant (jobs x amount_per_job), in PLN, as a decimal string.", examples=["117500.00"]
    )


class GrantDisbursed(_GrantsEvent):
    """Part or all of an awarded grant was paid out."""

    name: ClassVar[str] = "GrantDisbursed"
    aggregate_field: ClassVar[str] = "application_id"

    application_id: EntityId = Field(
        description="Id of the application whose grant is paid.", examples=["app_2026_017"]
    )
    disbursement_id: EntityId = Field(description="Id of this payment.", examples=["dsb_2026_017_1"])
    disbursed_on: dt.date = Field(description="Day of the payment.", examples=["2026-08-01"])
    amount: Money = Field(
        description="Amount paid out in this payment, in PLN with grosze, as a decimal string.", examples=["58750.00"]
    )


class _CooperativeRegistered(_GrantsEvent):
    """What every version of CooperativeFounded says of the cooperative itself (its founders differ by version)."""

    cooperative_id: EntityId = Field(description="Id of the social cooperative.", examples=["coop_4e8a1d"])
    founded_on: dt.date = Field(description="Day of registration in the KRS court register.", examples=["2026-08-10"])
    krs: str = Field(
        pattern=r"^\d{10}$", description="KRS number, 10 digits with leading zeros.", examples=["0000380128"]
    )
    cooperative_name: str = Field(
        min_length=1,
        max_length=300,
        description="Registered name of the cooperative.",
        examples=["Spółdzielnia Socjalna Razem"],
    )
    county: str = Field(
        min_length=1, max_length=64, description="County (powiat) of the cooperative's seat.", examples=["rybnik"]
    )


class CooperativeFounded(_CooperativeRegistered):
    """A social cooperative was registered in the KRS court register by at least five eligible founders."""

    name: ClassVar[str] = "CooperativeFounded"
    aggregate_field: ClassVar[str] = "cooperative_id"

    founder_ids: list[ParticipantId] = Field(
        min_length=5,
        max_length=100,
        description="Pseudonymous ids of the founders, at least five.",
        examples=[
            [
                "p_3f9c2a7d1b8e4c6f",
                "p_8a1d4e7b2c9f0a3e",
                "p_c2e7f9a1b4d6e8f0",
                "p_5b9e2d7a4c1f8e3b",
                "p_e4a7c1f9b2d5e8a6",
            ]
        ],
    )
    application_id: EntityId | None = Field(
        default=None, description="The grant application that funded it, if any.", examples=["app_2026_017"]
    )


class CooperativeFoundedV2(_CooperativeRegistered):
    """A social cooperative was registered in KRS: by at least three eligible participants (natural persons) or
    by at least two legal persons (enrolled organisations); at most 50 members."""

    name: ClassVar[str] = "CooperativeFounded"
    version: ClassVar[int] = 2
    aggregate_field: ClassVar[str] = "cooperative_id"

    founded_by: Literal["natural_persons", "legal_persons"] = Field(
        description="natural_persons: at least 3 participants (who must reach 5 members within 12 months); "
        "legal_persons: at least 2 enrolled organisations.",
        examples=["natural_persons"],
    )
    founder_ids: list[ParticipantId] = Field(
        default_factory=list,
        max_length=50,
        description="Pseudonymous ids of the founding participants (natural persons).",
        examples=[["p_3f9c2a7d1b8e4c6f", "p_8a1d4e7b2c9f0a3e", "p_c2e7f9a1b4d6e8f0"]],
    )
    founding_organisation_ids: list[EntityId] = Field(
        default_factory=list,
        max_length=50,
        description="Ids of the founding organisations (legal persons), as recruitment enrolled them.",
        examples=[[]],
    )
    application_id: EntityId | None = Field(
        default=None, description="The grant application that funded it, if any.", examples=["app_2026_017"]
    )

    def downcast(self) -> Event:
        """v1 knows only five or more natural persons: other foundations have no v1 form."""
        if self.founded_by != "natural_persons" or len(self.founder_ids) < 5:
            raise NotImplementedError("CooperativeFounded v1 needs at least five natural persons as founders")
        return CooperativeFounded(
            cooperative_id=self.cooperative_id,
            founded_on=self.founded_on,
            krs=self.krs,
            cooperative_name=self.cooperative_name,
            county=self.county,
            founder_ids=self.founder_ids,
            application_id=self.application_id,
        )


class JobCreated(_GrantsEvent):
    """A job was created in a social enterprise, held by an eligible participant."""

    name: ClassVar[str] = "JobCreated"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId = Field(description="Id of the job.", examples=["job_9b2f6c"])
    created_on: dt.date = Field(description="First day of the job.", examples=["2026-09-01"])
    cooperative_id: EntityId = Field(description="Id of the social enterprise that employs.", examples=["coop_4e8a1d"])
    participant_id: ParticipantId
    working_time: WorkingTime | None = Field(
        default=None,
        description="Working time of the job (at least half time); absent in events before 2026-12.",
        examples=["full_time"],
    )


class JobMaintenanceFunded(_GrantsEvent):
    """A job was granted the 2021–2027 unit rate for job maintenance (12 months, by working time)."""

    name: ClassVar[str] = "JobMaintenanceFunded"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId = Field(description="Id of the job supported.", examples=["job_9b2f6c"])
    funded_on: dt.date = Field(description="Day the maintenance support was granted.", examples=["2026-09-01"])
    working_time: WorkingTime = Field(description="Working time the rate is for.", examples=["full_time"])
    amount: Money = Field(
        description="The unit rate in force on the job's first day, in PLN, as a decimal string.",
        examples=["38700.00"],
    )
    months: int = Field(ge=1, le=24, description="Months the maintenance support covers.", examples=[12])


class BridgeSupportPaid(_GrantsEvent):
    """One monthly instalment of bridge support was paid for a job."""

    name: ClassVar[str] = "BridgeSupportPaid"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId = Field(description="Id of the job supported.", examples=["job_9b2f6c"])
    instalment: int = Field(ge=1, le=12, description="Month number of the schedule, 1 to 12.", examples=[1])
    paid_on: dt.date = Field(description="Day the instalment was paid.", examples=["2026-10-05"])
    amount: Money = Field(description="Instalment paid, in PLN with grosze, as a decimal string.", examples=["2800.00"])


class JobSustained(_GrantsEvent):
    """The job still existed when checked at the end of the sustainability period after its creation."""

    name: ClassVar[str] = "JobSustained"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId = Field(description="Id of the job checked.", examples=["job_9b2f6c"])
    checked_on: dt.date = Field(
        description="Day of the check, at the end of the project's sustainability period (12 months in "
        "2014–2020, 18 by default in 2021–2027) after the job was created.",
        examples=["2027-09-01"],
    )


class JobEndReason(ReasonCode):
    """Why a job ended: a fixed code (staff's own words stay in grants as a note)."""

    COOPERATIVE_DISSOLVED = "cooperative_dissolved", "Cooperative dissolved"
    EMPLOYEE_RESIGNED = "employee_resigned", "Employee resigned"
    DISMISSED = "dismissed", "Employee dismissed"
    CONTRACT_ENDED = "contract_ended", "Contract ended"
    OTHER = "other", "Other reason"


class JobNotSustained(_GrantsEvent):
    """The sustainability check found that the job ended before the required period ran out."""

    name: ClassVar[str] = "JobNotSustained"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId = Field(description="Id of the job checked.", examples=["job_9b2f6c"])
    checked_on: dt.date = Field(description="Day of the check.", examples=["2027-09-01"])
    ended_on: dt.date = Field(description="Last day of the job, before the period ran out.", examples=["2027-03-31"])
    due_on: dt.date = Field(description="Day the required period ran out.", examples=["2027-09-01"])


class JobEnded(_GrantsEvent):
    """The job ended, with the reason as a fixed code (never staff's own words)."""

    name: ClassVar[str] = "JobEnded"
    aggregate_field: ClassVar[str] = "job_id"

    job_id: EntityId = Field(description="Id of the job that ended.", examples=["job_9b2f6c"])
    ended_on: dt.date = Field(description="Last day of the job.", examples=["2027-03-31"])
    reason: str = reason_label_field(JobEndReason.COOPERATIVE_DISSOLVED)
    reason_code: JobEndReason | None = reason_code_field(
        JobEndReason.COOPERATIVE_DISSOLVED, "Why the job ended", "Staff's note stays in grants."
    )
