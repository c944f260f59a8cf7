"""Recruitment domain rules: pure values and decisions, no framework imports.

As in grants, each decision about a participant or an organisation returns the event it causes; the service layer
stores the new state and writes that event to the outbox in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from owes_contracts import (
    AgeBand,
    EligibilityRejectionReason,
    Gender,
    InitiativeGroupFormed,
    LabourMarketStatus,
    LegalForm,
    OrganisationEconomicActivityStarted,
    OrganisationEnrolled,
    OrganisationType,
    ParticipantDataErased,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantRecruited,
    ParticipantWithdrawn,
    WithdrawalReason,
)
from owes_contracts.recruitment import withheld_name

# One rule per identifier for every service (owes_service.identifiers, python-stdnum), re-exported for the use cases.
from owes_service.identifiers import (  # noqa: F401
    InvalidIdentifier,
    InvalidKrs,
    InvalidNip,
    InvalidPesel,
    InvalidRegon,
    normalise_krs,
    normalise_nip,
    normalise_regon,
    pesel_birth_date,
    pesel_gender,
)
from owes_service.wording import refusal


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> AgeBand:
    if age < 25:
        return AgeBand.UNDER_25
    if age < 35:
        return AgeBand.FROM_25
    if age < 50:
        return AgeBand.FROM_35
    if age < 65:
        return AgeBand.FROM_50
    return AgeBand.OVER_64


def esf_age_group(age: int) -> Literal["under_18", "18_29", "30_54", "55_plus"]:
    """The ESF+ indicators' age group at entry: under 18, 18–29, 30–54, 55 and over."""
    if age < 18:
        return "under_18"
    if age < 30:
        return "18_29"
    if age < 55:
        return "30_54"
    return "55_plus"


def labour_status_at_start(status: LabourMarketStatus, unemployed_months: int | None, age: int) -> LabourMarketStatus:
    """The status on the day participation starts: unemployed longer than 6 months under 25, or longer than 12
    months from 25, is long-term unemployed (ESF+ common indicators)."""
    long_term = unemployed_months is not None and unemployed_months > (6 if age < 25 else 12)
    if status is LabourMarketStatus.UNEMPLOYED and long_term:
        return LabourMarketStatus.LONG_TERM_UNEMPLOYED
    return status


def new_participant_id() -> str:
    """A random pseudonymous id: it reveals nothing and is only linkable through the recruitment database."""
    return f"p_{secrets.token_hex(8)}"


def new_organisation_id() -> str:
    return f"org_{secrets.token_hex(8)}"


def new_group_id() -> str:
    return f"grp_{secrets.token_hex(8)}"


# --- Participant life cycle ---------------------------------------------------------------------------


class ParticipantStatus(StrEnum):
    """Where a participant is: recruited, then eligible or rejected; withdrawn ends participation."""

    RECRUITED = "recruited"
    ELIGIBLE = "eligible"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class StateConflict(ValueError):
    """The current state of a participant or organisation does not allow the requested step."""


class NotRecruitable(ValueError):
    """The person cannot be recruited as the form describes them (a minor, or born after the day)."""


class AtRiskCategoriesDisagree(ValueError):
    """Whether the person is at risk of social exclusion and the categories recorded for it do not agree."""


def at_risk_of_exclusion(stated: bool | None, categories: Sequence[str]) -> bool:
    """At risk of social exclusion exactly when the person falls in a category of the social economy act (art. 2
    pkt 6): a funded job's holder must, and the category is what a control checks; not stated, it follows them."""
    if stated is None:
        return bool(categories)
    if stated and not categories:
        raise AtRiskCategoriesDisagree(
            "A person at risk of social exclusion needs at least one category of the social economy act."
        )
    if not stated and categories:
        raise AtRiskCategoriesDisagree(
            "A person in a category of the social economy act is at risk of social exclusion: "
            "say so, or leave the categories out."
        )
    return stated


def check_eligibility_can_be_decided(status: str, *, erased: bool) -> None:
    """Eligibility is decided once, for a recruited participant whose personal data is still held."""
    if status == ParticipantStatus.WITHDRAWN:
        raise StateConflict("the participant has withdrawn")
    if status in (ParticipantStatus.ELIGIBLE, ParticipantStatus.REJECTED):
        raise StateConflict(refusal("eligibility was already decided (%(status)s)", status=status))
    if erased:
        raise StateConflict("the participant's personal data was erased, so eligibility cannot be assessed")


def check_can_withdraw(status: str) -> None:
    """Only a participant taking part (recruited or eligible) can withdraw."""
    if status == ParticipantStatus.WITHDRAWN:
        raise StateConflict("the participant has already withdrawn")
    if status == ParticipantStatus.REJECTED:
        raise StateConflict("the participant was found not eligible and is not taking part")


@dataclass
class Participant:
    """A participant as recruitment decides about them (the personal data is the repository's business)."""

    participant_id: str
    status: ParticipantStatus
    recruited_on: dt.date
    erased: bool = False

    @classmethod
    def recruit(
        cls,
        participant_id: str,
        *,
        on: dt.date,
        birth: dt.date,
        gender: Gender,
        county: str,
        county_teryt: str | None,
        outside_subregion: bool,
        labour_market_status: LabourMarketStatus,
        unemployed_months: int | None,
        disability: bool,
        at_risk_of_exclusion: bool,
        esf_answers: Mapping[str, Any],
    ) -> tuple[Participant, ParticipantRecruited]:
        """Recruit an adult; the event carries coarse values only (age band, status at start), never the PESEL."""
        if birth > on:
            raise NotRecruitable("Invalid PESEL: the birth date is after the recruitment date.")
        age = age_on(birth, on)
        if age < 18:
            raise NotRecruitable("Participants must be adults (18 or older).")
        recruited = ParticipantRecruited(
            participant_id=participant_id,
            recruited_on=on,
            gender=gender,
            age_band=age_band(age),
            county=county,
            labour_market_status=labour_status_at_start(labour_market_status, unemployed_months, age),
            disability=disability,
            at_risk_of_exclusion=at_risk_of_exclusion,
            county_teryt=county_teryt,
            outside_subregion=outside_subregion,
            esf_age_group=esf_age_group(age),
            **esf_answers,
        )
        return cls(participant_id, ParticipantStatus.RECRUITED, on), recruited

    def decide_eligibility(
        self, *, eligible: bool, on: dt.date, reason_code: EligibilityRejectionReason | None = None
    ) -> ParticipantEligibilityConfirmed | ParticipantEligibilityRejected:
        """Confirm or reject eligibility, once; a rejection carries its fixed code (staff's note stays here)."""
        check_eligibility_can_be_decided(self.status, erased=self.erased)
        if eligible:
            self.status = ParticipantStatus.ELIGIBLE
            return ParticipantEligibilityConfirmed(participant_id=self.participant_id, confirmed_on=on)
        if reason_code is None:
            raise ValueError("a rejection needs its reason code")
        self.status = ParticipantStatus.REJECTED
        return ParticipantEligibilityRejected(
            participant_id=self.participant_id, rejected_on=on, reason=reason_code.label, reason_code=reason_code
        )

    def withdraw(self, *, on: dt.date, reason_code: WithdrawalReason) -> ParticipantWithdrawn:
        """Leave the project (recruited or eligible only), with the fixed code of why."""
        check_can_withdraw(self.status)
        self.status = ParticipantStatus.WITHDRAWN
        return ParticipantWithdrawn(
            participant_id=self.participant_id, withdrawn_on=on, reason=reason_code.label, reason_code=reason_code
        )

    def erase(self, *, on: dt.date) -> ParticipantDataErased | None:
        """Erase the personal data (GDPR); erasing again changes nothing and causes no event."""
        if self.erased:
            return None
        self.erased = True
        return ParticipantDataErased(participant_id=self.participant_id, erased_on=on)


class MembersCannotJoin(ValueError):
    """Some would-be members of an initiative group cannot join; `refused` says why for each."""

    def __init__(self, refused: dict[str, str]) -> None:
        self.refused = refused
        super().__init__("; ".join(f"{member}: {why}" for member, why in refused.items()))


@dataclass
class InitiativeGroup:
    """A group of eligible participants preparing to found a social enterprise."""

    group_id: str
    county: str
    member_ids: list[str]

    @classmethod
    def form(
        cls, group_id: str, *, on: dt.date, county: str, member_ids: list[str], statuses: Mapping[str, str]
    ) -> tuple[InitiativeGroup, InitiativeGroupFormed]:
        """Form the group when every member is an eligible participant; the event names them by id only."""
        refused = members_who_cannot_join(member_ids, statuses)
        if refused:
            raise MembersCannotJoin(refused)
        formed = InitiativeGroupFormed(group_id=group_id, formed_on=on, county=county, member_ids=member_ids)
        return cls(group_id, county, list(member_ids)), formed


def members_who_cannot_join(member_ids: Sequence[str], statuses: Mapping[str, str]) -> dict[str, str]:
    """For each would-be member of an initiative group who cannot join, why: only eligible participants join."""
    refused = {}
    for member_id in member_ids:
        status = statuses.get(member_id)
        if status is None:
            refused[member_id] = "unknown participant"
        elif status != ParticipantStatus.ELIGIBLE:
            why_not: dict[str, str] = {
                ParticipantStatus.RECRUITED: "eligibility not confirmed yet",
                ParticipantStatus.REJECTED: "found not eligible",
                ParticipantStatus.WITHDRAWN: "withdrawn",
            }
            refused[member_id] = why_not.get(status, status)
    return refused


NGO_TYPES = frozenset({OrganisationType.ASSOCIATION, OrganisationType.FOUNDATION, OrganisationType.CHURCH_LEGAL_PERSON})


class NotAnNgo(ValueError):
    """The step applies to NGOs (associations, foundations, church legal persons) only."""


def check_can_start_economic_activity(organisation_type: OrganisationType, *, already_runs: bool) -> None:
    """Only an NGO that does not run paid or economic activity yet can start it (the indicator counts NGOs)."""
    if organisation_type not in NGO_TYPES:
        raise NotAnNgo(
            refusal(
                "a %(value)s is not an NGO; only associations, foundations and church legal persons start "
                "paid public-benefit or economic activity",
                value=organisation_type.value,
            )
        )
    if already_runs:
        raise StateConflict("the organisation already runs paid public-benefit or economic activity")


@dataclass
class Organisation:
    """An enrolled organisation as recruitment decides about it."""

    organisation_id: str
    organisation_type: OrganisationType
    runs_economic_activity: bool

    @classmethod
    def enrol(
        cls,
        organisation_id: str,
        *,
        on: dt.date,
        organisation_type: OrganisationType,
        legal_form: LegalForm,
        name: str,
        county: str,
        is_social_enterprise: bool,
        runs_economic_activity: bool,
    ) -> tuple[Organisation, OrganisationEnrolled]:
        """Enrol an entity; a sole trader's or a civil partnership's name is its owners' names, so it stays here."""
        enrolled = OrganisationEnrolled(
            organisation_id=organisation_id,
            enrolled_on=on,
            organisation_type=organisation_type,
            organisation_name=withheld_name(legal_form, organisation_id) if legal_form.names_a_person else name,
            legal_form=legal_form,
            county=county,
            is_social_enterprise=is_social_enterprise,
            runs_economic_activity=runs_economic_activity,
        )
        return cls(organisation_id, organisation_type, runs_economic_activity), enrolled

    def start_economic_activity(self, *, activity: str, on: dt.date) -> OrganisationEconomicActivityStarted:
        """An NGO starts paid public-benefit or economic activity, once."""
        check_can_start_economic_activity(self.organisation_type, already_runs=self.runs_economic_activity)
        self.runs_economic_activity = True
        return OrganisationEconomicActivityStarted(
            organisation_id=self.organisation_id, started_on=on, activity=activity
        )
