"""Indicators: what each one counts (a query over the read models), and its figures rolled up by dimension.

Each indicator is a query yielding one row per counted unit (a person, an organisation, an hour total...), with
the unit's partner, county, gender, age band, month and (advisory) kind. The database groups them by all
dimensions at once; the total, each breakdown and the monthly series are rolled up from that one result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from .tables import (
    advisory_sessions,
    bridge_support,
    cooperatives,
    disbursements,
    grant_applications,
    initiative_groups,
    jobs,
    mentoring,
    organisations,
    participants,
    trainings,
)

DIMENSIONS = ("partner", "county", "gender", "age_band", "month", "kind")
PERSON_DIMENSIONS = ("partner", "county", "gender", "age_band", "month")
ENTITY_DIMENSIONS = ("partner", "county", "month")
NGO_TYPES = ("association", "foundation", "church_legal_person")
UNKNOWN = "unknown"
AGE_BANDS = ("18-24", "25-34", "35-49", "50-64", "65+")

P, O, G, A, M, T = participants.c, organisations.c, grant_applications.c, advisory_sessions.c, mentoring.c, trainings.c
J, B, C, D, IG = jobs.c, bridge_support.c, cooperatives.c, disbursements.c, initiative_groups.c


def month_of(column, dialect: str):
    """'YYYY-MM' of a date column (SQLite stores dates as ISO text)."""
    if dialect == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.substr(column, 1, 7)


def _units(dialect: str, *, partner, month, value=None, county=None, gender=None, age_band=None, kind=None):
    """The select list every indicator query shares; NULL for dimensions that do not apply."""
    def col(expr, name):
        return (expr if expr is not None else sa.null()).label(name)

    return [col(partner, "partner"), col(county, "county"), col(gender, "gender"), col(age_band, "age_band"),
            month_of(month, dialect).label("month"), col(kind, "kind"),
            (value if value is not None else sa.literal(1)).label("value")]


def _person(dialect, *, partner, month, value=None, kind=None):
    return _units(dialect, partner=partner, month=month, value=value, county=P.county, gender=P.gender,
                  age_band=P.age_band, kind=kind)


def q_people_supported(d):
    return sa.select(*_person(d, partner=P.partner, month=P.recruited_on)).where(
        P.recruited_on.is_not(None), sa.or_(P.eligibility.is_(None), P.eligibility != "rejected"))


def q_ngos_started_economic_activity(d):
    return sa.select(*_units(d, partner=O.partner, county=O.county, month=O.activity_started_on)).where(
        O.organisation_type.in_(NGO_TYPES), O.activity_started_on.is_not(None),
        O.runs_economic_activity == sa.false())


def q_social_enterprises_strengthened(d):
    supports = sa.union_all(
        sa.select(A.organisation_id.label("org"), A.held_on.label("support_on")).where(A.organisation_id.is_not(None)),
        sa.select(M.organisation_id, M.provided_on).where(M.organisation_id.is_not(None)),
        sa.select(G.applicant_id, G.awarded_on).where(G.applicant_kind == "organisation", G.awarded_on.is_not(None)),
    ).subquery("supports")
    first = (sa.select(supports.c.org, sa.func.min(supports.c.support_on).label("first_on"))
             .group_by(supports.c.org).subquery("first_support"))
    return (sa.select(*_units(d, partner=O.partner, county=O.county, month=first.c.first_on))
            .select_from(organisations.join(first, first.c.org == O.organisation_id))
            .where(O.is_social_enterprise == sa.true(), O.enrolled_on.is_not(None)))


def q_new_social_enterprises(d):
    return sa.select(*_units(d, partner=C.partner, county=C.county, month=C.founded_on)).where(
        C.founded_on.is_not(None))


def _jobs(d, when, *extra):
    return (sa.select(*_person(d, partner=J.partner, month=when))
            .select_from(jobs.outerjoin(participants, P.participant_id == J.participant_id))
            .where(when.is_not(None), *extra))


def q_jobs_for_people_at_risk(d):
    return _jobs(d, J.created_on, P.at_risk_of_exclusion == sa.true())


def q_jobs_created(d):
    return _jobs(d, J.created_on)


def q_jobs_sustained(d):
    return _jobs(d, J.sustained_on)


def _applicant_county():
    return sa.func.coalesce(O.county, IG.county)


def _with_applicant(table):
    return (table.outerjoin(organisations, sa.and_(G.applicant_kind == "organisation",
                                                   O.organisation_id == G.applicant_id))
            .outerjoin(initiative_groups, sa.and_(G.applicant_kind == "initiative_group",
                                                  IG.group_id == G.applicant_id)))


def q_joint_cross_sector_initiatives(d):
    return (sa.select(*_units(d, partner=G.partner, county=_applicant_county(), month=G.awarded_on))
            .select_from(_with_applicant(grant_applications))
            .where(G.applicant_kind == "organisation", G.awarded_on.is_not(None)))


def q_initiative_groups(d):
    return sa.select(*_units(d, partner=IG.partner, county=IG.county, month=IG.formed_on)).where(
        IG.formed_on.is_not(None))


def q_organisations_supported(d):
    return sa.select(*_units(d, partner=O.partner, county=O.county, month=O.enrolled_on)).where(
        O.enrolled_on.is_not(None))


def _hours(d, table, cols, when, kind=None):
    source = (table.outerjoin(participants, P.participant_id == cols.participant_id)
              .outerjoin(organisations, O.organisation_id == cols.organisation_id))
    return (sa.select(*_units(d, partner=cols.partner, county=sa.func.coalesce(P.county, O.county),
                              gender=P.gender, age_band=P.age_band, month=when, value=cols.hours_hundredths,
                              kind=kind))
            .select_from(source).where(when.is_not(None)))


def q_advisory_hours(d):
    return _hours(d, advisory_sessions, A, A.held_on, kind=A.kind)


def q_mentoring_hours(d):
    return _hours(d, mentoring, M, M.provided_on)


def q_trainings_completed(d):
    return (sa.select(*_person(d, partner=T.partner, month=T.completed_on))
            .select_from(trainings.outerjoin(participants, P.participant_id == T.participant_id))
            .where(T.completed_on.is_not(None)))


def q_bridge_support_paid(d):
    source = (bridge_support.outerjoin(jobs, J.job_id == B.job_id)
              .outerjoin(participants, P.participant_id == J.participant_id))
    return (sa.select(*_person(d, partner=B.partner, month=B.paid_on, value=B.amount_grosze))
            .select_from(source).where(B.paid_on.is_not(None)))


def q_grants_awarded(d):
    return (sa.select(*_units(d, partner=G.partner, county=_applicant_county(), month=G.awarded_on))
            .select_from(_with_applicant(grant_applications)).where(G.awarded_on.is_not(None)))


def q_grants_awarded_pln(d):
    return (sa.select(*_units(d, partner=G.partner, county=_applicant_county(), month=G.awarded_on,
                              value=G.awarded_grosze))
            .select_from(_with_applicant(grant_applications)).where(G.awarded_on.is_not(None)))


def q_grants_disbursed_pln(d):
    source = _with_applicant(disbursements.outerjoin(grant_applications, G.application_id == D.application_id))
    return (sa.select(*_units(d, partner=D.partner, county=_applicant_county(), month=D.disbursed_on,
                              value=D.amount_grosze))
            .select_from(source).where(D.disbursed_on.is_not(None)))


@dataclass(frozen=True)
class Indicator:
    key: str
    title: str
    unit: str  # what one counts: people, organisations, ..., hours, PLN
    definition: str
    query: Callable[[str], sa.Select]
    dimensions: tuple[str, ...] = ENTITY_DIMENSIONS
    # Values are counts, or hundredths (hours, grosze) shown with two decimal places.
    decimal: bool = False

    def figure(self, raw: int) -> int | Decimal:
        return Decimal(raw).scaleb(-2).quantize(Decimal("0.01")) if self.decimal else int(raw)


INDICATORS: tuple[Indicator, ...] = (
    Indicator("people_supported", "People supported", "people",
              "Participants recruited and not found ineligible (pending, eligible, later withdrawn or erased "
              "all count). Month: recruitment.", q_people_supported, PERSON_DIMENSIONS),
    Indicator("ngos_started_economic_activity", "NGOs starting paid or economic activity", "organisations",
              "Enrolled associations, foundations and church legal persons that ran no paid or economic activity "
              "at enrolment and then started one. Month: start of the activity.", q_ngos_started_economic_activity),
    Indicator("social_enterprises_strengthened", "Existing social enterprises strengthened", "organisations",
              "Organisations enrolled as social enterprises that received advisory, mentoring or a grant. "
              "Month: first such support.", q_social_enterprises_strengthened),
    Indicator("new_social_enterprises", "New social enterprises created", "enterprises",
              "Social cooperatives founded (registered in KRS). Month: foundation.", q_new_social_enterprises),
    Indicator("jobs_for_people_at_risk", "Jobs for people at risk of exclusion", "jobs",
              "Jobs created whose holder was at risk of poverty or social exclusion when recruited. "
              "Month: job creation.", q_jobs_for_people_at_risk, PERSON_DIMENSIONS),
    Indicator("joint_cross_sector_initiatives", "Joint cross-sector initiatives", "initiatives",
              "Grants awarded to an enrolled organisation (NGO, church, cooperative, public unit or business): an "
              "undertaking the organisation carries jointly with the public partners that fund it. "
              "Month: award.", q_joint_cross_sector_initiatives),
    Indicator("initiative_groups_supported", "Initiative groups supported", "groups",
              "Initiative groups formed. Month: formation.", q_initiative_groups),
    Indicator("organisations_supported", "Organisations supported", "organisations",
              "Social-economy entities enrolled. Month: enrolment.", q_organisations_supported),
    Indicator("jobs_created", "Jobs created", "jobs", "All jobs created in social enterprises. Month: creation.",
              q_jobs_created, PERSON_DIMENSIONS),
    Indicator("jobs_sustained_12_months", "Jobs sustained after 12 months", "jobs",
              "Jobs found still in place at the 12-month check. Month: the check.", q_jobs_sustained,
              PERSON_DIMENSIONS),
    Indicator("advisory_hours", "Advisory hours", "hours",
              "Hours of advisory sessions, general and specialist (by kind), for people and organisations. "
              "Month: session.", q_advisory_hours, (*PERSON_DIMENSIONS, "kind"), decimal=True),
    Indicator("mentoring_hours", "Mentoring hours", "hours", "Hours of mentoring provided. Month: mentoring.",
              q_mentoring_hours, PERSON_DIMENSIONS, decimal=True),
    Indicator("trainings_completed", "Trainings completed", "completions",
              "Trainings completed by participants (one per participant and training). Month: completion.",
              q_trainings_completed, PERSON_DIMENSIONS),
    Indicator("bridge_support_paid_pln", "Bridge support paid", "PLN",
              "Monthly bridge-support instalments paid, in PLN. Month: payment.", q_bridge_support_paid,
              PERSON_DIMENSIONS, decimal=True),
    Indicator("grants_awarded", "Grants awarded", "grants", "Grant applications awarded. Month: award.",
              q_grants_awarded),
    Indicator("grants_awarded_pln", "Grants awarded (PLN)", "PLN", "Total amount of grants awarded, in PLN. "
              "Month: award.", q_grants_awarded_pln, decimal=True),
    Indicator("grants_disbursed_pln", "Grants disbursed (PLN)", "PLN", "Grant money paid out, in PLN. "
              "Month: disbursement.", q_grants_disbursed_pln, decimal=True),
)
BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}
