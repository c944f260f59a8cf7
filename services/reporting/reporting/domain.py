"""Folding partners' events into the reporting read models, and how two versions of one row merge.

`fold(origin, payload)` is pure: it turns one event into the read-model rows it tells about. The live path
(consumers.HANDLERS, applied once each through the inbox) upserts those rows per event; the rebuild folds whole
batches in memory with the same functions and the same merge rule (merger) and writes them in bulk
(repository.py), so both paths reach the same state.
Nothing personal is kept: free-text reasons, organisation and cooperative names, KRS numbers are not copied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa

from owes_contracts import (
    AdvisorySessionHeld,
    BridgeSupportPaid,
    CooperativeFounded,
    CooperativeFoundedV2,
    Event,
    GrantApplicationEvaluated,
    GrantApplicationSubmitted,
    GrantAwarded,
    GrantDisbursed,
    InitiativeGroupFormed,
    JobCreated,
    JobEnded,
    JobMaintenanceFunded,
    JobNotSustained,
    JobSustained,
    MentoringProvided,
    OrganisationEconomicActivityStarted,
    OrganisationEnrolled,
    ParticipantDataErased,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantRecruited,
    ParticipantWithdrawn,
    TrainingCompleted,
)
from owes_contracts.envelope import CloudEvent

from . import tables

# The read model each row type is made from and merged into, in the order of the row types below.
TABLE_OF: dict[type, sa.Table] = {}


def _row_type(table: sa.Table) -> type[Any]:
    """A named tuple with one field per column, all defaulting to None (None means: not known from this event)."""
    names = [c.name for c in table.columns]
    # Built from the table's columns at import, so mypy cannot see its fields: constructors are typed Any.
    cls = NamedTuple(table.name, [(n, Any) for n in names])  # type: ignore[misc]
    cls.__new__.__defaults__ = (None,) * len(names)
    TABLE_OF[cls] = table
    return cls


Participant = _row_type(tables.participants)
Organisation = _row_type(tables.organisations)
InitiativeGroup = _row_type(tables.initiative_groups)
AdvisorySession = _row_type(tables.advisory_sessions)
TrainingCompletion = _row_type(tables.trainings)
Mentoring = _row_type(tables.mentoring)
GrantApplication = _row_type(tables.grant_applications)
Disbursement = _row_type(tables.disbursements)
Cooperative = _row_type(tables.cooperatives)
Job = _row_type(tables.jobs)
BridgeInstalment = _row_type(tables.bridge_support)
PartnerActivity = _row_type(tables.partner_activity)


def key_of(row: tuple) -> tuple:
    """The primary key values of a row (the first columns of every read model)."""
    return row[: _key_length(type(row))]


@cache
def _key_length(row_type: type) -> int:
    return len(TABLE_OF[row_type].primary_key.columns)


def _merge_max(new: Any, old: Any) -> Any:
    if new is None:
        return old
    if old is None:
        return new
    return max(old, new)


@cache
def merger(row_type: type[Any]) -> Callable[[tuple, tuple], tuple]:
    """merge(old, new): per column, the new non-null value wins ("coalesce"), or the greatest one ("max")."""
    rules = tuple(c.info.get("merge", "coalesce") for c in TABLE_OF[row_type].columns)
    if all(r == "coalesce" for r in rules):

        def merge(old: tuple, new: tuple) -> tuple:
            return row_type._make([n if n is not None else o for o, n in zip(old, new, strict=False)])
    else:

        def merge(old: tuple, new: tuple) -> tuple:
            return row_type._make(
                [
                    _merge_max(n, o) if r == "max" else (n if n is not None else o)
                    for r, o, n in zip(rules, old, new, strict=False)
                ]
            )

    return merge


class Origin(NamedTuple):
    """Who published an event and when: the CloudEvents attributes the read models use."""

    partner: str
    producer: str
    occurred_at: dt.datetime

    @classmethod
    def of(cls, event: CloudEvent, producer: str) -> Origin:
        return cls(event.partner or event.source, producer, event.time.astimezone(dt.UTC))


def hundredths(amount: Decimal) -> int:
    """PLN to grosze, hours to hundredths: exact, as contracts allow two decimal places at most."""
    return int(amount.scaleb(2))


# Any: each fold takes its own event class (a subclass of Event), which Callable[[Origin, Event], ...] refuses.
Fold = Callable[[Origin, Any], list[tuple]]


def participant_recruited(o: Origin, e: ParticipantRecruited) -> list[tuple]:
    return [
        Participant(
            e.participant_id,
            o.partner,
            e.county,
            e.gender.value,
            e.age_band.value,
            e.labour_market_status.value,
            e.disability,
            e.at_risk_of_exclusion,
            e.recruited_on,
            outside_subregion=e.outside_subregion,
            esf_age_group=e.esf_age_group,
            education=e.education,
            third_country_national=e.third_country_national,
            foreign_background=e.foreign_background,
            minority=e.minority,
            homeless=e.homeless,
            rural=e.rural,
        )
    ]


def eligibility_confirmed(o: Origin, e: ParticipantEligibilityConfirmed) -> list[tuple]:
    return [Participant(e.participant_id, eligibility="confirmed", eligibility_on=e.confirmed_on)]


def eligibility_rejected(o: Origin, e: ParticipantEligibilityRejected) -> list[tuple]:
    return [Participant(e.participant_id, eligibility="rejected", eligibility_on=e.rejected_on)]


def participant_withdrawn(o: Origin, e: ParticipantWithdrawn) -> list[tuple]:
    return [Participant(e.participant_id, withdrawn_on=e.withdrawn_on)]


def participant_data_erased(o: Origin, e: ParticipantDataErased) -> list[tuple]:
    # Reporting holds no personal data; the flag records that the source erased it. The person still counts.
    return [Participant(e.participant_id, erased=True, erased_on=e.erased_on)]


def organisation_enrolled(o: Origin, e: OrganisationEnrolled) -> list[tuple]:
    return [
        Organisation(
            e.organisation_id,
            o.partner,
            e.county,
            e.organisation_type.value,
            e.is_social_enterprise,
            e.runs_economic_activity,
            e.enrolled_on,
        )
    ]


def economic_activity_started(o: Origin, e: OrganisationEconomicActivityStarted) -> list[tuple]:
    return [Organisation(e.organisation_id, activity=e.activity, activity_started_on=e.started_on)]


def initiative_group_formed(o: Origin, e: InitiativeGroupFormed) -> list[tuple]:
    return [InitiativeGroup(e.group_id, o.partner, e.county, e.formed_on, len(set(e.member_ids)))]


def advisory_session_held(o: Origin, e: AdvisorySessionHeld) -> list[tuple]:
    return [
        AdvisorySession(
            e.session_id, o.partner, e.held_on, e.kind.value, hundredths(e.hours), e.participant_id, e.organisation_id
        )
    ]


def training_completed(o: Origin, e: TrainingCompleted) -> list[tuple]:
    return [TrainingCompletion(e.training_id, e.participant_id, o.partner, e.completed_on, hundredths(e.hours))]


def mentoring_provided(o: Origin, e: MentoringProvided) -> list[tuple]:
    return [
        Mentoring(e.mentoring_id, o.partner, e.provided_on, hundredths(e.hours), e.participant_id, e.organisation_id)
    ]


def grant_application_submitted(o: Origin, e: GrantApplicationSubmitted) -> list[tuple]:
    return [
        GrantApplication(
            e.application_id,
            o.partner,
            e.applicant_kind,
            e.applicant_id,
            e.submitted_on,
            e.jobs_planned,
            hundredths(e.amount_requested),
        )
    ]


def grant_application_evaluated(o: Origin, e: GrantApplicationEvaluated) -> list[tuple]:
    return [GrantApplication(e.application_id, evaluated_on=e.evaluated_on, score=e.score, outcome=e.outcome)]


def grant_awarded(o: Origin, e: GrantAwarded) -> list[tuple]:
    return [
        GrantApplication(
            e.application_id,
            awarded_on=e.awarded_on,
            jobs_awarded=e.jobs,
            amount_per_job_grosze=hundredths(e.amount_per_job),
            awarded_grosze=hundredths(e.total_amount),
        )
    ]


def grant_disbursed(o: Origin, e: GrantDisbursed) -> list[tuple]:
    return [Disbursement(e.disbursement_id, e.application_id, o.partner, e.disbursed_on, hundredths(e.amount))]


def cooperative_founded(o: Origin, e: CooperativeFounded) -> list[tuple]:
    return [Cooperative(e.cooperative_id, o.partner, e.county, e.founded_on, len(set(e.founder_ids)), e.application_id)]


def cooperative_founded_v2(o: Origin, e: CooperativeFoundedV2) -> list[tuple]:
    founders = len(set(e.founder_ids)) + len(set(e.founding_organisation_ids))
    return [Cooperative(e.cooperative_id, o.partner, e.county, e.founded_on, founders, e.application_id)]


def job_created(o: Origin, e: JobCreated) -> list[tuple]:
    working_time = e.working_time.value if e.working_time else None
    return [Job(e.job_id, o.partner, e.cooperative_id, e.participant_id, e.created_on, working_time=working_time)]


def job_maintenance_funded(o: Origin, e: JobMaintenanceFunded) -> list[tuple]:
    return [Job(e.job_id, maintenance_funded_on=e.funded_on, maintenance_grosze=hundredths(e.amount))]


def job_not_sustained(o: Origin, e: JobNotSustained) -> list[tuple]:
    return [Job(e.job_id, not_sustained_on=e.checked_on)]


def bridge_support_paid(o: Origin, e: BridgeSupportPaid) -> list[tuple]:
    return [BridgeInstalment(e.job_id, e.instalment, o.partner, e.paid_on, hundredths(e.amount))]


def job_sustained(o: Origin, e: JobSustained) -> list[tuple]:
    return [Job(e.job_id, sustained_on=e.checked_on)]


def job_ended(o: Origin, e: JobEnded) -> list[tuple]:
    return [Job(e.job_id, ended_on=e.ended_on)]


FOLDS: dict[type[Event], Fold] = {
    ParticipantRecruited: participant_recruited,
    ParticipantEligibilityConfirmed: eligibility_confirmed,
    ParticipantEligibilityRejected: eligibility_rejected,
    ParticipantWithdrawn: participant_withdrawn,
    ParticipantDataErased: participant_data_erased,
    OrganisationEnrolled: organisation_enrolled,
    OrganisationEconomicActivityStarted: economic_activity_started,
    InitiativeGroupFormed: initiative_group_formed,
    AdvisorySessionHeld: advisory_session_held,
    TrainingCompleted: training_completed,
    MentoringProvided: mentoring_provided,
    GrantApplicationSubmitted: grant_application_submitted,
    GrantApplicationEvaluated: grant_application_evaluated,
    GrantAwarded: grant_awarded,
    GrantDisbursed: grant_disbursed,
    CooperativeFounded: cooperative_founded,
    CooperativeFoundedV2: cooperative_founded_v2,
    JobCreated: job_created,
    BridgeSupportPaid: bridge_support_paid,
    JobSustained: job_sustained,
    JobNotSustained: job_not_sustained,
    JobMaintenanceFunded: job_maintenance_funded,
    JobEnded: job_ended,
}


def fold(origin: Origin, payload: Event) -> list[tuple]:
    """The read-model rows one event tells about, plus the freshness of its partner."""
    rows = FOLDS[type(payload)](origin, payload)
    rows.append(PartnerActivity(origin.partner, origin.producer, origin.occurred_at))
    return rows
