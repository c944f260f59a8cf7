"""Grants domain rules: pure values and decisions, no framework imports.

Each aggregate method checks its rules and returns the event that records the decision; the service layer
persists the new state and writes that event to the outbox in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Literal

from owes_contracts import (
    BridgeSupportPaid,
    GrantApplicationEvaluated,
    GrantAwarded,
    GrantDisbursed,
    JobEnded,
    JobEndReason,
    JobMaintenanceFunded,
    JobNotSustained,
    JobSustained,
    WorkingTime,
)
from owes_service import identifiers
from owes_service.project import Programme, ProjectDefinition, UnitRateKind
from owes_service.project_calendar import add_months  # one rule for "N months later" in every service
from owes_service.wording import Money, joined, refusal

GROSZ = Decimal("0.01")
# The largest amount the contracts carry (Money: 14 digits, 2 of them after the point).
MAX_AMOUNT = Decimal("999999999999.99")
# A social cooperative (ustawa o spółdzielniach socjalnych, art. 5): at least 3 natural persons, who must reach
# 5 members within 12 months, or at least 2 legal persons; at most 50 members.
MIN_FOUNDERS = 3
MIN_LEGAL_FOUNDERS = 2
MIN_MEMBERS = 5
MEMBERS_WITHIN_MONTHS = 12
MAX_MEMBERS = 50
BRIDGE_BASIC_MONTHS = 6
BRIDGE_MAX_MONTHS = 12
# The 2014–2020 period; a project's own comes from its definition (ProjectDefinition.sustainability).
SUSTAINABILITY_MONTHS = 12
MAINTENANCE_MONTHS = 12
MAINTENANCE_RATES: dict[WorkingTime, UnitRateKind] = {
    WorkingTime.FULL_TIME: "job_maintenance_full_time",
    WorkingTime.THREE_QUARTERS: "job_maintenance_three_quarters",
    WorkingTime.HALF_TIME: "job_maintenance_half_time",
}


class RuleBroken(ValueError):
    """The request breaks a rule of the domain (HTTP 422)."""

    def __init__(self, message: str, **extra: str | int | list[str]) -> None:
        super().__init__(message)
        self.extra = extra


class WrongState(Exception):
    """The request does not fit the current state of the thing it acts on (HTTP 409)."""

    def __init__(self, message: str, **extra: str | int) -> None:
        super().__init__(message)
        self.extra = extra


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


# --- money ------------------------------------------------------------------------------------------------


def money(value: Decimal | int | str, *, field_name: str = "amount") -> Decimal:
    """An amount in PLN with grosze: a finite Decimal with at most two places, greater than zero."""
    if isinstance(value, float):
        raise RuleBroken(
            refusal('%(field_name)s must be a decimal string such as "1500.00", never a float.', field_name=field_name),
            field=field_name,
        )
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise RuleBroken(refusal("%(field_name)s is not a number.", field_name=field_name), field=field_name) from None
    if not amount.is_finite():
        raise RuleBroken(refusal("%(field_name)s must be a finite number.", field_name=field_name), field=field_name)
    if amount != amount.quantize(GROSZ):
        raise RuleBroken(
            refusal(
                "%(field_name)s has more than two decimal places (PLN has grosze, not less).", field_name=field_name
            ),
            field=field_name,
        )
    if amount <= 0:
        raise RuleBroken(refusal("%(field_name)s must be greater than zero.", field_name=field_name), field=field_name)
    if amount > MAX_AMOUNT:
        raise RuleBroken(
            refusal(
                "%(field_name)s is larger than %(max_amount)s.", field_name=field_name, max_amount=Money(MAX_AMOUNT)
            ),
            field=field_name,
        )
    return amount.quantize(GROSZ)


# --- dates ------------------------------------------------------------------------------------------------


def not_before(day: dt.date, earlier: dt.date, *, what: str, since: str, field_name: str) -> None:
    if day < earlier:
        raise RuleBroken(
            refusal(
                "%(what)s (%(day)s) cannot be before %(since)s (%(earlier)s).",
                what=what,
                day=day,
                since=since,
                earlier=earlier,
            ),
            field=field_name,
        )


# --- KRS --------------------------------------------------------------------------------------------------


def normalise_krs(text: str) -> str:
    """The KRS number as 10 digits with leading zeros, by the one rule every service applies."""
    try:
        return identifiers.normalise_krs(text)
    except identifiers.InvalidKrs as exc:
        if exc.zero:
            raise RuleBroken("KRS number 0000000000 does not exist.", field="krs") from None
        raise RuleBroken(
            refusal('%(text)s is not a KRS number: expected up to 10 digits, optionally after "KRS".', text=repr(text)),
            field="krs",
        ) from None


# --- participants as grants knows them (from recruitment's events) ---------------------------------------


class Eligibility(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Standing:
    """What grants knows of a participant: recruited, eligibility decision, withdrawal."""

    participant_id: str
    recruited: bool
    eligibility: Eligibility
    withdrawn: bool
    # Recorded at recruitment (art. 2 pkt 6 of the social economy act); None: recruitment's event did not say.
    at_risk_of_exclusion: bool | None = None

    def why_not_eligible(self) -> str | None:
        if not self.recruited:
            return refusal("is not a known participant")
        if self.withdrawn:
            return refusal("has withdrawn from the project")
        if self.eligibility is Eligibility.REJECTED:
            return refusal("was found not eligible")
        if self.eligibility is Eligibility.PENDING:
            return refusal("has no confirmed eligibility yet")
        return None


def ineligible(participant_ids: list[str], standings: dict[str, Standing]) -> dict[str, str]:
    """Each participant who cannot take part, with the reason; empty when all can."""
    unknown = refusal("is not a known participant")
    reasons = {pid: (standings[pid].why_not_eligible() if pid in standings else unknown) for pid in participant_ids}
    return {pid: reason for pid, reason in reasons.items() if reason}


def explain_ineligible(reasons: dict[str, str]) -> str:
    return joined(
        [
            refusal("participant %(participant_id)s %(reason)s", participant_id=pid, reason=r)
            for pid, r in reasons.items()
        ]
    )


def _listed_twice(ids: list[str]) -> list[str]:
    """The ids a list of founders names more than once, sorted."""
    return sorted({i for i in ids if ids.count(i) > 1})


def _check_at_most_members(members: int, *, field: str) -> None:
    """A social cooperative has at most MAX_MEMBERS members, however it was founded and whoever joins it."""
    if members > MAX_MEMBERS:
        raise RuleBroken(
            refusal("A social cooperative has at most %(max_members)s members.", max_members=MAX_MEMBERS),
            field=field,
        )


def check_founders(founder_ids: list[str], standings: dict[str, Standing]) -> list[str]:
    """Natural persons found a social cooperative three or more, each a distinct eligible participant."""
    duplicates = _listed_twice(founder_ids)
    if duplicates:
        raise RuleBroken(
            refusal("Founders listed more than once: %(duplicates)s.", duplicates=", ".join(duplicates)),
            field="founder_ids",
            participant_ids=duplicates,
        )
    if len(founder_ids) < MIN_FOUNDERS:
        raise RuleBroken(
            refusal(
                "A social cooperative founded by natural persons needs at least %(min_founders)s founders "
                "(or at least %(min_legal_founders)s legal persons); %(given)s given.",
                min_founders=MIN_FOUNDERS,
                min_legal_founders=MIN_LEGAL_FOUNDERS,
                given=len(founder_ids),
            ),
            field="founder_ids",
        )
    _check_at_most_members(len(founder_ids), field="founder_ids")
    reasons = ineligible(founder_ids, standings)
    if reasons:
        raise RuleBroken(
            refusal("Every founder must be an eligible participant: %(reasons)s.", reasons=explain_ineligible(reasons)),
            field="founder_ids",
            participant_ids=list(reasons),
        )
    return founder_ids


def check_founding_organisations(organisation_ids: list[str], known: set[str]) -> list[str]:
    """Legal persons found a social cooperative two or more, each an organisation recruitment enrolled."""
    duplicates = _listed_twice(organisation_ids)
    if duplicates:
        raise RuleBroken(
            refusal("Founding organisations listed more than once: %(duplicates)s.", duplicates=", ".join(duplicates)),
            field="founding_organisation_ids",
        )
    if len(organisation_ids) < MIN_LEGAL_FOUNDERS:
        raise RuleBroken(
            refusal(
                "A social cooperative founded by legal persons needs at least %(min_legal_founders)s of "
                "them; %(given)s given.",
                min_legal_founders=MIN_LEGAL_FOUNDERS,
                given=len(organisation_ids),
            ),
            field="founding_organisation_ids",
        )
    _check_at_most_members(len(organisation_ids), field="founding_organisation_ids")
    unknown = [oid for oid in organisation_ids if oid not in known]
    if unknown:
        raise RuleBroken(
            refusal(
                "Founding organisations must be enrolled by recruitment; unknown: %(unknown)s.",
                unknown=", ".join(unknown),
            ),
            field="founding_organisation_ids",
        )
    return organisation_ids


def founded_by(founder_ids: list[str], organisation_ids: list[str]) -> str:
    """natural_persons or legal_persons: one kind of founder per cooperative, as the act provides."""
    if founder_ids and organisation_ids:
        raise RuleBroken(
            "A social cooperative is founded either by natural persons (founder_ids) or by legal persons "
            "(founding_organisation_ids), not both.",
            field="founding_organisation_ids",
        )
    return "legal_persons" if organisation_ids else "natural_persons"


@dataclass(frozen=True)
class Membership:
    """A cooperative's members now, and whether the five-member rule for natural-person founders is met."""

    founded_by: str
    founded_on: dt.date
    members: int

    @property
    def five_members_due_on(self) -> dt.date | None:
        return add_months(self.founded_on, MEMBERS_WITHIN_MONTHS) if self.founded_by == "natural_persons" else None

    def below_five_members(self, today: dt.date) -> bool:
        """Flagged: founded by natural persons, 12 months have passed and it still has fewer than five members."""
        due = self.five_members_due_on
        return due is not None and today >= due and self.members < MIN_MEMBERS

    def admit(self) -> None:
        _check_at_most_members(self.members + 1, field="participant_id")


# --- de minimis aid ---------------------------------------------------------------------------------------------

EURO_CENT = Decimal("0.01")
# Regulation (EU) 2023/2831 from 2024: EUR 300,000 over any rolling three years; Regulation 1407/2013 before:
# EUR 200,000 over the current and the two previous fiscal years.
DE_MINIMIS_FROM_2024 = dt.date(2024, 1, 1)
DE_MINIMIS_CEILING = Decimal("300000.00")
DE_MINIMIS_CEILING_BEFORE_2024 = Decimal("200000.00")


@dataclass(frozen=True)
class DeMinimisAid:
    """Aid granted to one undertaking, in EUR at the rate given with it."""

    granted_on: dt.date
    amount_eur: Decimal


@dataclass(frozen=True)
class DeMinimisHeadroom:
    """What an undertaking may still receive on a day: the ceiling, the window it counts over, what it used."""

    on: dt.date
    ceiling_eur: Decimal
    window_from: dt.date
    granted_eur: Decimal

    @property
    def headroom_eur(self) -> Decimal:
        return max(self.ceiling_eur - self.granted_eur, Decimal("0.00"))


def de_minimis_headroom(aid: list[DeMinimisAid], on: dt.date) -> DeMinimisHeadroom:
    """The ceiling in force on the day and the aid counted against it (granted in its window, up to that day)."""
    if on >= DE_MINIMIS_FROM_2024:
        ceiling, window_from = DE_MINIMIS_CEILING, add_months(on, -36) + dt.timedelta(days=1)
    else:
        ceiling, window_from = DE_MINIMIS_CEILING_BEFORE_2024, dt.date(on.year - 2, 1, 1)
    granted = sum((a.amount_eur for a in aid if window_from <= a.granted_on <= on), Decimal("0.00"))
    return DeMinimisHeadroom(on=on, ceiling_eur=ceiling, window_from=window_from, granted_eur=granted)


def in_euro(amount_pln: Decimal, eur_rate: Decimal) -> Decimal:
    """PLN in EUR at the rate given (PLN for one EUR), to the cent (half up, as the aid certificates round)."""
    if eur_rate <= 0:
        raise RuleBroken("eur_rate (PLN for one EUR) must be greater than zero.", field="eur_rate")
    return (amount_pln / eur_rate).quantize(EURO_CENT, rounding=ROUND_HALF_UP)


def check_de_minimis(aid: list[DeMinimisAid], *, on: dt.date, amount_pln: Decimal, eur_rate: Decimal) -> Decimal:
    """The award in EUR, refused when it would take the undertaking over the ceiling (the headroom is told)."""
    amount_eur = in_euro(amount_pln, eur_rate)
    room = de_minimis_headroom(aid, on)
    if amount_eur > room.headroom_eur:
        raise RuleBroken(
            refusal(
                "De minimis aid of EUR %(amount_eur)s (%(amount_pln)s PLN at %(eur_rate)s) would exceed the ceiling "
                "of EUR %(ceiling_eur)s counted from %(window_from)s: EUR %(granted_eur)s is already granted, "
                "EUR %(headroom_eur)s remains (PLN %(headroom_pln)s at that rate).",
                amount_eur=amount_eur,
                amount_pln=Money(amount_pln),
                eur_rate=eur_rate,
                ceiling_eur=room.ceiling_eur,
                window_from=room.window_from,
                granted_eur=room.granted_eur,
                headroom_eur=room.headroom_eur,
                headroom_pln=Money((room.headroom_eur * eur_rate).quantize(GROSZ)),
            ),
            field="eur_rate",
            headroom_eur=str(room.headroom_eur),
            headroom_pln=str((room.headroom_eur * eur_rate).quantize(GROSZ, rounding=ROUND_DOWN)),
            ceiling_eur=str(room.ceiling_eur),
            granted_eur=str(room.granted_eur),
        )
    return amount_eur


# --- unit rates (2021–2027) ----------------------------------------------------------------------------------


def amount_per_job_on(project: ProjectDefinition, day: dt.date, *, given: Decimal | None) -> Decimal:
    """The grant per job created: the unit rate in 2021–2027 projects, the amount given (capped) in 2014–2020."""
    rate = project.unit_rate("job_creation", day)
    if project.programme is Programme.ESF_PLUS_2021_2027:
        if rate is None:
            raise RuleBroken(
                refusal("The project defines no unit rate for job creation in force on %(day)s.", day=day),
                field="amount_per_job",
            )
        if given is not None and money(given, field_name="amount_per_job") != rate:
            raise RuleBroken(
                refusal(
                    "In a 2021–2027 project the grant per job is the unit rate for job creation in force on "
                    "%(day)s: %(rate)s PLN; %(given)s given.",
                    day=day,
                    rate=Money(rate),
                    given=given,
                ),
                field="amount_per_job",
                unit_rate=str(rate),
            )
        return rate
    if given is None:
        raise RuleBroken("amount_per_job is required in a 2014–2020 project.", field="amount_per_job")
    per_job = money(given, field_name="amount_per_job")
    if rate is not None and per_job > rate:
        raise RuleBroken(
            refusal(
                "The grant per job is at most %(rate)s PLN (the project's rate on %(day)s); %(per_job)s given.",
                rate=Money(rate),
                day=day,
                per_job=Money(per_job),
            ),
            field="amount_per_job",
            unit_rate=str(rate),
        )
    return per_job


def maintenance_rate(project: ProjectDefinition, working_time: WorkingTime, day: dt.date) -> Decimal:
    """The 2021–2027 unit rate for maintaining a job of that working time, in force on that day."""
    if project.programme is not Programme.ESF_PLUS_2021_2027:
        raise RuleBroken(
            "The job maintenance unit rate exists only in 2021–2027 projects; "
            "this project runs under 2014–2020 rules (bridge support).",
            field="job_id",
        )
    rate = project.unit_rate(MAINTENANCE_RATES[working_time], day)
    if rate is None:
        raise RuleBroken(
            refusal(
                "The project defines no maintenance unit rate for %(value)s jobs in force on %(day)s.",
                value=working_time.value,
                day=day,
            ),
            field="job_id",
        )
    return rate


def require_bridge_support(project: ProjectDefinition) -> None:
    """Bridge support belongs to 2014–2020 projects; 2021–2027 ones fund maintenance at a unit rate instead."""
    if not project.bridge_support:
        raise RuleBroken(
            refusal(
                "Bridge support exists only in 2014–2020 projects; this project runs under %(value)s "
                "rules: a job is supported with the job maintenance unit rate (POST "
                "/jobs/{job_id}/maintenance).",
                value=project.programme.value,
            ),
            field="job_id",
            programme=project.programme.value,
        )


# --- grant applications -----------------------------------------------------------------------------------


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    REJECTED = "rejected"  # evaluated negatively
    APPROVED = "approved"  # evaluated positively, not yet awarded
    AWARDED = "awarded"


@dataclass
class Application:
    """A grant application with its business plan, from evaluation through award to disbursement."""

    application_id: str
    submitted_on: dt.date
    jobs_planned: int
    status: ApplicationStatus = ApplicationStatus.SUBMITTED
    evaluated_on: dt.date | None = None
    awarded_on: dt.date | None = None
    total_awarded: Decimal | None = None
    disbursed: Decimal = Decimal("0.00")

    def evaluate(
        self, *, score: int, outcome: Literal["positive", "negative"], on: dt.date
    ) -> GrantApplicationEvaluated:
        if self.status is not ApplicationStatus.SUBMITTED:
            raise WrongState(
                refusal("Application %(application_id)s was already evaluated.", application_id=self.application_id),
                application_status=self.status.value,
            )
        if not 0 <= score <= 100:
            raise RuleBroken("The score must be between 0 and 100.", field="score")
        not_before(
            on,
            self.submitted_on,
            what=refusal("The evaluation"),
            since=refusal("the submission"),
            field_name="evaluated_on",
        )
        self.status = ApplicationStatus.APPROVED if outcome == "positive" else ApplicationStatus.REJECTED
        self.evaluated_on = on
        return GrantApplicationEvaluated(
            application_id=self.application_id, evaluated_on=on, score=score, outcome=outcome
        )

    def award(
        self, *, amount_per_job: Decimal | None, jobs: int | None, on: dt.date, project: ProjectDefinition
    ) -> GrantAwarded:
        """Award an amount per job; only after a positive evaluation, at most for the jobs planned.

        2021–2027: the amount is the unit rate for job creation in force on the day of the award (given or not);
        2014–2020: the amount given, at most the rate where the project sets one.
        """
        if self.status is ApplicationStatus.AWARDED:
            raise WrongState(
                refusal(
                    "Application %(application_id)s was already awarded a grant.", application_id=self.application_id
                ),
                application_status=self.status.value,
            )
        if self.status is not ApplicationStatus.APPROVED:
            state = (
                refusal("was evaluated negatively")
                if self.status is ApplicationStatus.REJECTED
                else refusal("is not evaluated yet")
            )
            raise WrongState(
                refusal(
                    "A grant is awarded only after a positive evaluation; application %(application_id)s %(state)s.",
                    application_id=self.application_id,
                    state=state,
                ),
                application_status=self.status.value,
            )
        jobs = self.jobs_planned if jobs is None else jobs
        if not 1 <= jobs <= self.jobs_planned:
            raise RuleBroken(
                refusal(
                    "The grant can fund 1 to %(jobs_planned)s jobs (the jobs planned); %(jobs)s given.",
                    jobs_planned=self.jobs_planned,
                    jobs=jobs,
                ),
                field="jobs",
            )
        if self.evaluated_on is None:  # AWARDABLE statuses are reached only through evaluate()
            raise RuleBroken("The application has not been evaluated yet.", field="awarded_on")
        not_before(
            on, self.evaluated_on, what=refusal("The award"), since=refusal("the evaluation"), field_name="awarded_on"
        )
        per_job = amount_per_job_on(project, on, given=amount_per_job)
        total = money(per_job * jobs, field_name="total_amount")
        self.status = ApplicationStatus.AWARDED
        self.awarded_on = on
        self.total_awarded = total
        return GrantAwarded(
            application_id=self.application_id, awarded_on=on, jobs=jobs, amount_per_job=per_job, total_amount=total
        )

    @property
    def remaining(self) -> Decimal:
        return (self.total_awarded or Decimal("0.00")) - self.disbursed

    def disburse(self, *, amount: Decimal, on: dt.date, disbursement_id: str) -> GrantDisbursed:
        """Pay out part of the award; the payments together never exceed the total awarded."""
        if self.status is not ApplicationStatus.AWARDED:
            raise WrongState(
                refusal(
                    "Application %(application_id)s has no grant awarded to disburse.",
                    application_id=self.application_id,
                ),
                application_status=self.status.value,
            )
        amount = money(amount)
        if amount > self.remaining:
            raise RuleBroken(
                refusal(
                    "Disbursing %(amount)s PLN would exceed the grant awarded: %(total_awarded)s PLN, of which "
                    "%(disbursed)s PLN is already disbursed and %(remaining)s PLN remains.",
                    amount=Money(amount),
                    total_awarded=Money(self.total_awarded or 0),  # awarded: set above
                    disbursed=Money(self.disbursed),
                    remaining=Money(self.remaining),
                ),
                field="amount",
                remaining=str(self.remaining),
            )
        if self.awarded_on is None:  # disbursement needs an award, checked above
            raise RuleBroken("The grant has not been awarded yet.", field="disbursed_on")
        not_before(
            on, self.awarded_on, what=refusal("The disbursement"), since=refusal("the award"), field_name="disbursed_on"
        )
        self.disbursed += amount
        return GrantDisbursed(
            application_id=self.application_id, disbursement_id=disbursement_id, disbursed_on=on, amount=amount
        )


# --- jobs and bridge support ------------------------------------------------------------------------------


@dataclass
class Job:
    """A job in a social cooperative, with its bridge-support schedule and its 12-month sustainability check."""

    job_id: str
    created_on: dt.date
    bridge_months: int = BRIDGE_BASIC_MONTHS
    instalments_paid: set[int] = field(default_factory=set)
    ended_on: dt.date | None = None
    sustained_on: dt.date | None = None
    sustainability_months: int = SUSTAINABILITY_MONTHS
    working_time: WorkingTime = WorkingTime.FULL_TIME
    maintenance_funded_on: dt.date | None = None
    not_sustained_on: dt.date | None = None

    @property
    def sustainability_due_on(self) -> dt.date:
        return add_months(self.created_on, self.sustainability_months)

    def fund_maintenance(self, *, rate: Decimal, on: dt.date) -> JobMaintenanceFunded:
        """Grant the maintenance unit rate once per job (12 months, by its working time)."""
        self._active(refusal("its maintenance cannot be funded"))
        if self.maintenance_funded_on is not None:
            raise WrongState(
                refusal(
                    "Job %(job_id)s was already granted maintenance support on %(maintenance_funded_on)s.",
                    job_id=self.job_id,
                    maintenance_funded_on=self.maintenance_funded_on,
                ),
                funded_on=self.maintenance_funded_on.isoformat(),
            )
        not_before(
            on,
            self.created_on,
            what=refusal("The maintenance support"),
            since=refusal("the job's creation"),
            field_name="funded_on",
        )
        self.maintenance_funded_on = on
        return JobMaintenanceFunded(
            job_id=self.job_id, funded_on=on, working_time=self.working_time, amount=rate, months=MAINTENANCE_MONTHS
        )

    def _active(self, action: str) -> None:
        if self.ended_on is not None:
            raise WrongState(
                refusal(
                    "Job %(job_id)s ended on %(ended_on)s: %(action)s.",
                    job_id=self.job_id,
                    ended_on=self.ended_on,
                    action=action,
                ),
                ended_on=self.ended_on.isoformat(),
            )

    def extend_bridge_support(self, *, months: int) -> None:
        """Lengthen the schedule beyond the basic six months, up to twelve."""
        self._active(refusal("its bridge support cannot be extended"))
        if not self.bridge_months < months <= BRIDGE_MAX_MONTHS:
            raise RuleBroken(
                refusal(
                    "The schedule of %(bridge_months)s months can be extended to %(shortest)s to "
                    "%(bridge_max_months)s months; %(months)s given.",
                    bridge_months=self.bridge_months,
                    shortest=self.bridge_months + 1,
                    bridge_max_months=BRIDGE_MAX_MONTHS,
                    months=months,
                ),
                field="months",
            )
        self.bridge_months = months

    def pay_bridge_support(self, *, instalment: int, amount: Decimal, on: dt.date) -> BridgeSupportPaid:
        """Record one monthly instalment: within the schedule, each paid once."""
        self._active(refusal("no more bridge support is paid"))
        if not 1 <= instalment <= self.bridge_months:
            raise RuleBroken(
                refusal(
                    "Instalment %(instalment)s is outside the bridge-support schedule of %(bridge_months)s months.",
                    instalment=instalment,
                    bridge_months=self.bridge_months,
                ),
                field="instalment",
                schedule_months=self.bridge_months,
            )
        if instalment in self.instalments_paid:
            raise WrongState(
                refusal(
                    "Instalment %(instalment)s of job %(job_id)s was already paid.",
                    instalment=instalment,
                    job_id=self.job_id,
                ),
                instalment=instalment,
            )
        amount = money(amount)
        not_before(
            on, self.created_on, what=refusal("The payment"), since=refusal("the job's creation"), field_name="paid_on"
        )
        self.instalments_paid.add(instalment)
        return BridgeSupportPaid(job_id=self.job_id, instalment=instalment, paid_on=on, amount=amount)

    def check_sustainability(self, *, on: dt.date) -> JobSustained | JobNotSustained:
        """Check the job at the end of the sustainability period; either outcome is recorded (and reported)."""
        if self.sustained_on is not None:
            raise WrongState(
                refusal(
                    "Job %(job_id)s was already found sustained on %(sustained_on)s.",
                    job_id=self.job_id,
                    sustained_on=self.sustained_on,
                ),
                sustained_on=self.sustained_on.isoformat(),
            )
        if self.not_sustained_on is not None:
            raise WrongState(
                refusal(
                    "Job %(job_id)s was already found not sustained on %(not_sustained_on)s.",
                    job_id=self.job_id,
                    not_sustained_on=self.not_sustained_on,
                ),
                not_sustained_on=self.not_sustained_on.isoformat(),
            )
        due = self.sustainability_due_on
        ended_early = self.ended_on is not None and self.ended_on < due
        if on < due and not ended_early:
            raise RuleBroken(
                refusal(
                    "Sustainability is checked %(sustainability_months)s months after the job's creation "
                    "(%(created_on)s), so not before %(due)s.",
                    sustainability_months=self.sustainability_months,
                    created_on=self.created_on,
                    due=due,
                ),
                field="checked_on",
                due_on=due.isoformat(),
            )
        if self.ended_on is not None and ended_early:
            not_before(
                on, self.ended_on, what=refusal("The check"), since=refusal("the job's end"), field_name="checked_on"
            )
            self.not_sustained_on = on
            return JobNotSustained(job_id=self.job_id, checked_on=on, ended_on=self.ended_on, due_on=due)
        self.sustained_on = on
        return JobSustained(job_id=self.job_id, checked_on=on)

    def end(self, *, reason: JobEndReason, on: dt.date) -> JobEnded:
        self._active(refusal("it cannot end again"))
        not_before(
            on, self.created_on, what=refusal("The end"), since=refusal("the job's creation"), field_name="ended_on"
        )
        self.ended_on = on
        # the code and its fixed label travel; staff's note stays in grants
        return JobEnded(job_id=self.job_id, ended_on=on, reason=reason.label, reason_code=reason)
