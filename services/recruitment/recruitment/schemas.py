"""HTTP request and response bodies of the recruitment API."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal, Self

# StrictBool on what a caller sends: "yes", "true" or 1 is not a boolean (issue 13, "Bounds")
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool, field_validator, model_validator

from owes_contracts import (
    AgeBand,
    EligibilityRejectionReason,
    Gender,
    LabourMarketStatus,
    LegalForm,
    OrganisationType,
    WithdrawalReason,
)
from owes_service import identifiers
from owes_service.reasons import deprecated_reason_field, note_field, reason_as_note
from owes_service.text_guard import FreeText
from owes_service.wording import refusal


class AtRiskCategory(StrEnum):
    """Why a person is at risk of social exclusion: the categories of art. 2 pkt 6 of the social economy act
    (ustawa z dnia 5 sierpnia 2022 r. o ekonomii społecznej), recorded at recruitment (docs/services.md). Personal
    data: kept in recruitment only; the events carry the coarse at_risk_of_exclusion."""

    UNEMPLOYED = "unemployed"
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    JOB_SEEKER_UNDER_30_OR_OVER_50 = "job_seeker_under_30_or_over_50"
    DISABILITY = "disability"
    MENTAL_DISORDER = "mental_disorder"
    HOMELESS = "homeless"
    ALCOHOL_ADDICTION = "alcohol_addiction"
    DRUG_ADDICTION = "drug_addiction"
    DEPRIVED_OF_LIBERTY = "deprived_of_liberty"
    LEAVING_YOUTH_INSTITUTION = "leaving_youth_institution"
    LEAVING_FOSTER_CARE = "leaving_foster_care"
    REFUGEE = "refugee"
    SOCIAL_INTEGRATION_GRADUATE = "social_integration_graduate"
    SPECIAL_CARE_ALLOWANCE = "special_care_allowance"
    OLDER_PERSON = "older_person"


County = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[\w .-]+$", description="County (powiat).", examples=["rybnicki"]),
]


class ParticipantRegistration(BaseModel):
    """A person registering for support, with consent to the processing of personal data."""

    model_config = ConfigDict(extra="forbid")

    pesel: str = Field(
        description="PESEL national id (11 digits, checksum and birth date validated).",
        examples=["02070803628"],
        min_length=1,
        max_length=20,
    )
    first_name: str = Field(min_length=1, max_length=100, examples=["Anna"])
    last_name: str = Field(min_length=1, max_length=100, examples=["Kowalska"])
    email: EmailStr | None = Field(default=None, examples=["anna@example.org"])
    phone: str | None = Field(
        default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{6,32}$", examples=["+48 600 100 200"]
    )
    address: str | None = Field(default=None, max_length=300, examples=["ul. Wrzosowa 12A, Jastrzębie-Zdrój"])
    county: County = Field(
        description="County (powiat) of residence, from the project's subregion (any case, "
        "with or without Polish letters, or its TERYT code).",
        examples=["rybnicki"],
    )
    outside_subregion: StrictBool = Field(
        default=False,
        description="The person lives outside the project's subregion: "
        "the county is then taken as written and the participant is flagged.",
    )
    labour_market_status: LabourMarketStatus
    unemployed_months: int | None = Field(
        default=None,
        ge=0,
        le=600,
        description="Unemployed: for how many months on the day participation starts (over 6 under 25, over 12 "
        "from 25, is long-term unemployment).",
    )
    education: Literal["isced_0_2", "isced_3_4", "isced_5_8"] | None = Field(
        default=None, description="Highest education completed: ISCED 0–2, 3–4 or 5–8."
    )
    third_country_national: Literal["yes", "no", "refused"] | None = None
    foreign_background: Literal["yes", "no", "refused"] | None = None
    minority: Literal["yes", "no", "refused"] | None = None
    homeless: Literal["yes", "no", "refused"] | None = None
    rural: StrictBool | None = Field(default=None, description="Lives in a rural area.")
    disability: StrictBool = False
    at_risk_of_exclusion: StrictBool | None = Field(
        default=None,
        description="At risk of social exclusion. Left out, it follows the categories (any: true; none: false); "
        "given, it must agree with them: true needs at least one category, false none.",
    )
    at_risk_categories: list[AtRiskCategory] = Field(
        default_factory=list,
        max_length=len(AtRiskCategory),
        description="The categories of art. 2 pkt 6 of the social economy act the person falls in (stays in "
        "recruitment).",
        examples=[["long_term_unemployed", "disability"]],
    )
    consent: StrictBool = Field(description="Consent to the processing of personal data; must be true.")
    recruited_on: dt.date | None = Field(default=None, description="Defaults to today.")

    @field_validator("pesel")
    @classmethod
    def _canonical_pesel(cls, pesel: str) -> str:
        return identifiers.canonical_pesel(pesel)  # checked, stored and compared without separators

    @field_validator("at_risk_categories")
    @classmethod
    def _each_category_once(cls, categories: list[AtRiskCategory]) -> list[AtRiskCategory]:
        return sorted(set(categories), key=list(AtRiskCategory).index)  # ticked twice is still one category


class ParticipantView(BaseModel):
    """A participant as the operating partner sees it (personal data included, this API is not public)."""

    participant_id: str
    status: str
    county: str
    outside_subregion: bool | None = None
    gender: Gender
    age_band: AgeBand
    labour_market_status: LabourMarketStatus
    disability: bool
    at_risk_of_exclusion: bool
    at_risk_categories: list[AtRiskCategory] | None = Field(
        default=None, description="None: recorded before the categories were (or erased with the personal data)."
    )
    recruited_on: dt.date
    first_name: str | None
    last_name: str | None
    pesel: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    eligibility_decided_on: dt.date | None = None
    rejection_reason_code: EligibilityRejectionReason | None = None
    rejection_reason: str | None = Field(default=None, description="Staff's note on the rejection (stays here).")
    withdrawn_on: dt.date | None = None
    withdrawal_reason_code: WithdrawalReason | None = None
    withdrawal_reason: str | None = Field(default=None, description="Staff's note on the withdrawal (stays here).")
    erased: bool


class ParticipantRecord(ParticipantView):
    """A participant as recruitment keeps them: the view, when their personal data was erased (staff pages) and
    since when their processing is restricted (erasure requested during the retention period)."""

    erased_at: dt.datetime | None = None
    restricted_on: dt.date | None = None


class ParticipantCreated(BaseModel):
    participant_id: str = Field(examples=["p_3f9c2a7d1b8e4c6f"])


class EligibilityDecision(BaseModel):
    """The outcome of checking a participant's eligibility: eligible, or not with the reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"eligible": True},
                {"eligible": False, "reason_code": "outside_subregion", "note": "Lives in Katowice"},
            ]
        },
    )

    eligible: StrictBool = Field(description="Whether the person is eligible for support.")
    reason_code: EligibilityRejectionReason | None = Field(
        default=None, description="Why the person is not eligible (this code travels in the event)."
    )
    note: FreeText | None = note_field("the rejection")
    reason: FreeText | None = deprecated_reason_field()
    decided_on: dt.date | None = Field(default=None, description="Day of the decision; defaults to today.")

    @model_validator(mode="after")
    def _reason_only_for_rejection(self) -> Self:
        if self.reason is not None and not self.reason.strip():
            raise ValueError("a reason is required when the participant is not eligible")
        reason_as_note(self, EligibilityRejectionReason.OTHER, required=False)
        if not self.eligible and self.reason_code is None:
            raise ValueError("a reason is required when the participant is not eligible")
        if self.eligible and (self.reason_code is not None or self.note is not None):
            raise ValueError("a reason is given only when the participant is not eligible")
        return self


class ParticipantStatusChanged(BaseModel):
    """The participant's status after the step."""

    participant_id: str
    status: str = Field(examples=["eligible"])


class Withdrawal(BaseModel):
    """A participant leaving the project."""

    model_config = ConfigDict(extra="forbid")

    reason_code: WithdrawalReason | None = Field(
        default=None, description="Why the participant left (this code travels in the event).", examples=["employment"]
    )
    note: FreeText | None = note_field("the withdrawal", pattern=r"\S")
    reason: FreeText | None = deprecated_reason_field(pattern=r"\S")
    withdrawn_on: dt.date | None = Field(default=None, description="Day of withdrawal; defaults to today.")

    @model_validator(mode="after")
    def _a_reason(self) -> Self:
        return reason_as_note(self, WithdrawalReason.OTHER)


class OrganisationEnrolment(BaseModel):
    """A social-economy entity enrolling for support, with its registry identifiers."""

    model_config = ConfigDict(extra="forbid")

    organisation_type: OrganisationType = Field(examples=["association"])
    legal_form: LegalForm = Field(
        default=LegalForm.LEGAL_PERSON,
        description="A local business may be a sole trader or a civil partnership: its name names people, so it "
        "stays here and events carry a neutral one. Every other type is a legal person.",
        examples=["legal_person"],
    )
    organisation_name: FreeText = Field(
        min_length=1, max_length=300, pattern=r"\S", examples=["Stowarzyszenie Razem dla Żor"]
    )
    county: County
    nip: str = Field(
        min_length=1,
        max_length=20,
        examples=["123-456-32-18"],
        description="NIP tax id: 10 digits, dashes and spaces allowed; checksum validated.",
    )
    regon: str = Field(
        min_length=1,
        max_length=20,
        examples=["123456785"],
        description="REGON: 9 digits, or 14 for a local unit; checksum validated.",
    )
    krs: str | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        examples=["KRS 0000380128"],
        description='KRS court register number; "KRS 0000380128" and "380128" both become "0000380128".',
    )
    is_social_enterprise: StrictBool = Field(default=False, description="Already a social enterprise.")
    runs_economic_activity: StrictBool = Field(
        default=False, description="Already runs paid public-benefit or economic activity."
    )
    enrolled_on: dt.date | None = Field(default=None, description="Day of enrolment; defaults to today.")

    @model_validator(mode="after")
    def _people_run_local_businesses_only(self) -> Self:
        people = self.legal_form is not LegalForm.LEGAL_PERSON
        if people and self.organisation_type is not OrganisationType.LOCAL_BUSINESS:
            raise ValueError(
                refusal(
                    "a %(kind)s is a legal person: legal_form must be legal_person", kind=self.organisation_type.value
                )
            )
        return self


class OrganisationCreated(BaseModel):
    organisation_id: str = Field(examples=["org_7c1e5b9a3d2f4e60"])


class EconomicActivityStart(BaseModel):
    """An enrolled NGO starting paid public-benefit or economic activity."""

    model_config = ConfigDict(extra="forbid")

    activity: Literal["paid_public_benefit", "economic"] = Field(examples=["economic"])
    started_on: dt.date | None = Field(default=None, description="Day the activity started; defaults to today.")


class OrganisationView(BaseModel):
    """An enrolled organisation."""

    organisation_id: str
    organisation_type: OrganisationType
    legal_form: LegalForm | None = None
    organisation_name: str
    county: str
    nip: str
    regon: str
    krs: str | None
    is_social_enterprise: bool
    runs_economic_activity: bool
    enrolled_on: dt.date
    economic_activity: str | None
    economic_activity_started_on: dt.date | None


class InitiativeGroupFormation(BaseModel):
    """Eligible participants forming a group to prepare a social enterprise."""

    model_config = ConfigDict(extra="forbid")

    county: County
    member_ids: list[str] = Field(
        min_length=1,
        max_length=100,
        examples=[["p_3f9c2a7d1b8e4c6f", "p_0a1b2c3d4e5f6a7b"]],
        description="Pseudonymous ids of the members; each must be an eligible participant.",
    )
    group_name: FreeText | None = Field(default=None, min_length=1, max_length=200, examples=["Grupa Razem"])
    formed_on: dt.date | None = Field(default=None, description="Day the group formed; defaults to today.")

    @field_validator("member_ids")
    @classmethod
    def _distinct(cls, member_ids: list[str]) -> list[str]:
        if len(set(member_ids)) != len(member_ids):
            raise ValueError("each member is listed once")
        return member_ids


class InitiativeGroupCreated(BaseModel):
    group_id: str = Field(examples=["grp_5d2c9e1a7b3f4a80"])


class InitiativeGroupView(BaseModel):
    group_id: str
    group_name: str | None
    county: str
    formed_on: dt.date
    member_ids: list[str]


class InitiativeGroupSummary(BaseModel):
    """An initiative group in the staff pages' list, with its number of members."""

    group_id: str
    group_name: str | None
    county: str
    formed_on: dt.date
    members: int
