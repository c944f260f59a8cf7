"""Events published by the recruitment service (participants, organisations, initiative groups)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from .base import (
    AgeBand,
    EntityId,
    Event,
    Gender,
    LabourMarketStatus,
    ParticipantId,
    ReasonCode,
    reason_code_field,
    reason_label_field,
)

SensitiveAnswer = Literal["yes", "no", "refused"]


class _RecruitmentEvent(Event):
    producer: ClassVar[str] = "recruitment"


class ParticipantRecruited(_RecruitmentEvent):
    """A person was registered as a participant. Carries only coarse attributes, never personal data."""

    name: ClassVar[str] = "ParticipantRecruited"
    aggregate_field: ClassVar[str] = "participant_id"

    participant_id: ParticipantId
    recruited_on: dt.date = Field(description="Day of registration.", examples=["2026-03-02"])
    gender: Gender = Field(description="Gender, as the indicators report it.", examples=["female"])
    age_band: AgeBand = Field(description="Age band at registration.", examples=["25-34"])
    county: str = Field(min_length=1, max_length=64, description="County (powiat) of residence.", examples=["rybnicki"])
    labour_market_status: LabourMarketStatus = Field(
        description="Labour-market status at registration.", examples=["unemployed"]
    )
    disability: bool = Field(description="Whether the person has a disability.", examples=[False])
    at_risk_of_exclusion: bool = Field(description="At risk of poverty or social exclusion.", examples=[True])
    county_teryt: str | None = Field(
        default=None,
        pattern=r"^[0-9]{4}$",
        description="TERYT code of the county when it is in the project's subregion.",
        examples=["2412"],
    )
    outside_subregion: bool | None = Field(
        default=None,
        description="The person lives outside the project's "
        "subregion (a limited share may); absent in events before 2026-11.",
        examples=[False],
    )
    # ESF+ common indicators (Regulation (EU) 2021/1057, Annex I): coarse values only, fixed on the day
    # participation starts; absent in events before 2026-12 (and where the participant form did not ask).
    esf_age_group: Literal["under_18", "18_29", "30_54", "55_plus"] | None = Field(
        default=None, description="Age group at entry, as the ESF+ indicators count it.", examples=["30_54"]
    )
    education: Literal["isced_0_2", "isced_3_4", "isced_5_8"] | None = Field(
        default=None, description="Highest education completed, as an ISCED group.", examples=["isced_3_4"]
    )
    third_country_national: SensitiveAnswer | None = Field(
        default=None, description="A third-country national: yes, no, or refused to answer.", examples=["no"]
    )
    foreign_background: SensitiveAnswer | None = Field(
        default=None, description="Of foreign background: yes, no, or refused to answer.", examples=["no"]
    )
    minority: SensitiveAnswer | None = Field(
        default=None, description="A member of a minority: yes, no, or refused to answer.", examples=["refused"]
    )
    homeless: SensitiveAnswer | None = Field(
        default=None, description="Homeless or excluded from housing: yes, no, or refused.", examples=["no"]
    )
    rural: bool | None = Field(default=None, description="Lives in a rural area.", examples=[False])


class ParticipantEligibilityConfirmed(_RecruitmentEvent):
    """The participant was found eligible for support."""

    name: ClassVar[str] = "ParticipantEligibilityConfirmed"
    aggregate_field: ClassVar[str] = "participant_id"

    participant_id: ParticipantId
    confirmed_on: dt.date = Field(description="Day eligibility was confirmed.", examples=["2026-03-05"])

    eligible: ClassVar[bool] = True  # what the decision was, as EligibilityDecided names it

    @property
    def decided_on(self) -> dt.date:
        return self.confirmed_on


class EligibilityRejectionReason(ReasonCode):
    """Why a person is not eligible: a fixed code, so no staff-typed text (which may name a person) travels."""

    OUTSIDE_SUBREGION = "outside_subregion", "Lives outside the subregion"
    NOT_AT_RISK_OF_EXCLUSION = "not_at_risk_of_exclusion", "Not at risk of poverty or social exclusion"
    NOT_IN_TARGET_GROUP = "not_in_target_group", "Not in the project's target group"
    ALREADY_SUPPORTED = "already_supported", "Already supported by another project"
    INCOMPLETE_DOCUMENTS = "incomplete_documents", "Documents incomplete"
    OTHER = "other", "Other reason"


class WithdrawalReason(ReasonCode):
    """Why a participant left: a fixed code (staff's own words stay in recruitment as a note)."""

    EMPLOYMENT = "employment", "Took up employment"
    EDUCATION = "education", "Took up education"
    HEALTH = "health", "Health"
    FAMILY = "family", "Family matters"
    MOVED_AWAY = "moved_away", "Moved away"
    LOST_CONTACT = "lost_contact", "Lost contact"
    OWN_DECISION = "own_decision", "Own decision"
    OTHER = "other", "Other reason"


class ParticipantEligibilityRejected(_RecruitmentEvent):
    """The participant was found not eligible, with the reason as a fixed code (never staff's own words)."""

    name: ClassVar[str] = "ParticipantEligibilityRejected"
    aggregate_field: ClassVar[str] = "participant_id"

    participant_id: ParticipantId
    rejected_on: dt.date = Field(description="Day eligibility was rejected.", examples=["2026-03-05"])
    reason: str = reason_label_field(EligibilityRejectionReason.OUTSIDE_SUBREGION)
    reason_code: EligibilityRejectionReason | None = reason_code_field(
        EligibilityRejectionReason.OUTSIDE_SUBREGION,
        "Why the person is not eligible",
        "Staff's note on it stays in recruitment.",
    )

    eligible: ClassVar[bool] = False

    @property
    def decided_on(self) -> dt.date:
        return self.rejected_on


# Either decision on a participant's eligibility: services that keep who may be supported read them alike.
EligibilityDecided = ParticipantEligibilityConfirmed | ParticipantEligibilityRejected


class ParticipantWithdrawn(_RecruitmentEvent):
    """The participant left the project, with the reason as a fixed code (never staff's own words)."""

    name: ClassVar[str] = "ParticipantWithdrawn"
    aggregate_field: ClassVar[str] = "participant_id"

    participant_id: ParticipantId
    withdrawn_on: dt.date = Field(description="Day the participant left the project.", examples=["2026-06-30"])
    reason: str = reason_label_field(WithdrawalReason.EMPLOYMENT)
    reason_code: WithdrawalReason | None = reason_code_field(
        WithdrawalReason.EMPLOYMENT, "Why the participant left", "Staff's note on it stays in recruitment."
    )


class ParticipantDataErased(_RecruitmentEvent):
    """The participant's personal data was erased (GDPR); the pseudonymous id and coarse attributes remain."""

    name: ClassVar[str] = "ParticipantDataErased"
    aggregate_field: ClassVar[str] = "participant_id"

    participant_id: ParticipantId
    erased_on: dt.date = Field(
        description="Day the personal data was erased in the recruitment service.", examples=["2027-01-15"]
    )


class OrganisationType(StrEnum):
    ASSOCIATION = "association"
    FOUNDATION = "foundation"
    CHURCH_LEGAL_PERSON = "church_legal_person"
    SOCIAL_COOPERATIVE = "social_cooperative"
    WORK_COOPERATIVE = "work_cooperative"
    ZAZ = "zaz"
    WTZ = "wtz"
    CIS = "cis"
    KIS = "kis"
    LOCAL_BUSINESS = "local_business"


class LegalForm(StrEnum):
    """Who the entity is in law: a legal person, or people doing business under their own names."""

    LEGAL_PERSON = "legal_person"
    SOLE_TRADER = "sole_trader"  # jednoosobowa działalność gospodarcza: its business name holds the owner's name
    CIVIL_PARTNERSHIP = "civil_partnership"  # spółka cywilna: a contract between people, named after them as a rule

    @property
    def names_a_person(self) -> bool:
        """Whether the registered name is, as a rule, a person's name (personal data that stays in recruitment)."""
        return self is not LegalForm.LEGAL_PERSON


def withheld_name(legal_form: LegalForm, organisation_id: str) -> str:
    """What OrganisationEnrolled carries in organisation_name for an entity whose name names a person."""
    label = "Sole trader" if legal_form is LegalForm.SOLE_TRADER else "Civil partnership"
    return f"{label} {organisation_id}"


class OrganisationEnrolled(_RecruitmentEvent):
    """A social-economy entity was enrolled for support. The registered name travels for legal persons only: a
    sole trader's or a civil partnership's name is, as a rule, its owners' names (personal data) and stays in
    recruitment; the event then carries "Sole trader <organisation_id>" or "Civil partnership <organisation_id>"."""

    name: ClassVar[str] = "OrganisationEnrolled"
    aggregate_field: ClassVar[str] = "organisation_id"

    organisation_id: EntityId = Field(
        description="Id of the organisation, the same in every later event.", examples=["org_7c1e5b9a"]
    )
    enrolled_on: dt.date = Field(description="Day of enrolment.", examples=["2026-02-10"])
    organisation_type: OrganisationType = Field(description="Legal form of the entity.", examples=["association"])
    organisation_name: str = Field(
        min_length=1,
        max_length=300,
        description="Registered name of the entity when it is a legal person (public in the KRS court register); "
        'for a sole trader or a civil partnership (see legal_form), "Sole trader <organisation_id>" or '
        '"Civil partnership <organisation_id>" instead, since their names are their owners\' names.',
        examples=["Stowarzyszenie Razem dla Żor"],
    )
    county: str = Field(
        min_length=1, max_length=64, description="County (powiat) of the entity's seat.", examples=["zory"]
    )
    is_social_enterprise: bool = Field(description="Already a social enterprise at enrolment.", examples=[False])
    runs_economic_activity: bool = Field(
        description="Already runs paid public-benefit or economic activity.", examples=[False]
    )
    legal_form: LegalForm | None = Field(
        default=None,
        description="legal_person, sole_trader or civil_partnership; absent in events before 2026-11 "
        "(legal persons, and local businesses whose name did travel).",
        examples=["legal_person"],
    )


class OrganisationEconomicActivityStarted(_RecruitmentEvent):
    """An enrolled NGO started paid public-benefit or economic activity."""

    name: ClassVar[str] = "OrganisationEconomicActivityStarted"
    aggregate_field: ClassVar[str] = "organisation_id"

    organisation_id: EntityId = Field(
        description="Id of the organisation (see OrganisationEnrolled).", examples=["org_7c1e5b9a"]
    )
    started_on: dt.date = Field(description="Day the activity started.", examples=["2026-09-01"])
    activity: str = Field(
        pattern=r"^(paid_public_benefit|economic)$",
        examples=["economic"],
        description="paid_public_benefit or economic",
    )


class InitiativeGroupFormed(_RecruitmentEvent):
    """A group of eligible participants formed to prepare a social enterprise."""

    name: ClassVar[str] = "InitiativeGroupFormed"
    aggregate_field: ClassVar[str] = "group_id"

    group_id: EntityId = Field(description="Id of the initiative group.", examples=["grp_5d2e9f41"])
    formed_on: dt.date = Field(description="Day the group was formed.", examples=["2026-04-01"])
    county: str = Field(
        min_length=1, max_length=64, description="County (powiat) where the group works.", examples=["rybnicki"]
    )
    member_ids: list[ParticipantId] = Field(
        min_length=1,
        max_length=100,
        description="Pseudonymous ids of the members.",
        examples=[["p_3f9c2a7d1b8e4c6f", "p_8a1d4e7b2c9f0a3e", "p_c2e7f9a1b4d6e8f0"]],
    )
