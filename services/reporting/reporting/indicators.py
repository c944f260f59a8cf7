"""Indicators: what each one counts (its query over the read models lives in repository.py), and its dimensions.

Each indicator's query yields one row per counted unit (a person, an organisation, an hour total...), with the
unit's partner, county, gender, age band, month and (advisory) kind. The database groups them by all
dimensions at once; the total, each breakdown and the monthly series are rolled up from that one result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from .repository import (
    q_advisory_hours,
    q_bridge_support_paid,
    q_grants_awarded,
    q_grants_awarded_pln,
    q_grants_disbursed_pln,
    q_initiative_groups,
    q_job_maintenance_funded,
    q_jobs_created,
    q_jobs_for_people_at_risk,
    q_jobs_not_sustained,
    q_jobs_sustained,
    q_joint_cross_sector_initiatives,
    q_mentoring_hours,
    q_new_social_enterprises,
    q_ngos_started_economic_activity,
    q_organisations_supported,
    q_people_supported,
    q_social_enterprises_strengthened,
    q_trainings_completed,
)

DIMENSIONS = ("partner", "county", "gender", "age_band", "month", "kind")
PERSON_DIMENSIONS = ("partner", "county", "gender", "age_band", "month")
ENTITY_DIMENSIONS = ("partner", "county", "month")
UNKNOWN = "unknown"
AGE_BANDS = ("18-24", "25-34", "35-49", "50-64", "65+")


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
    Indicator(
        "people_supported",
        "People supported",
        "people",
        "Participants recruited and not found ineligible (pending, eligible, later withdrawn or erased "
        "all count). Month: recruitment.",
        q_people_supported,
        PERSON_DIMENSIONS,
    ),
    Indicator(
        "ngos_started_economic_activity",
        "NGOs starting paid or economic activity",
        "organisations",
        "Enrolled associations, foundations and church legal persons that ran no paid or economic activity "
        "at enrolment and then started one. Month: start of the activity.",
        q_ngos_started_economic_activity,
    ),
    Indicator(
        "social_enterprises_strengthened",
        "Existing social enterprises strengthened",
        "organisations",
        "Organisations enrolled as social enterprises that received advisory, mentoring or a grant. "
        "Month: first such support.",
        q_social_enterprises_strengthened,
    ),
    Indicator(
        "new_social_enterprises",
        "New social enterprises created",
        "enterprises",
        "Social cooperatives founded (registered in KRS). Month: foundation.",
        q_new_social_enterprises,
    ),
    Indicator(
        "jobs_for_people_at_risk",
        "Jobs for people at risk of exclusion",
        "jobs",
        "Jobs created whose holder was at risk of poverty or social exclusion when recruited. Month: job creation.",
        q_jobs_for_people_at_risk,
        PERSON_DIMENSIONS,
    ),
    Indicator(
        "joint_cross_sector_initiatives",
        "Joint cross-sector initiatives",
        "initiatives",
        "Grants awarded to an enrolled organisation (NGO, church, cooperative, public unit or business): an "
        "undertaking the organisation carries jointly with the public partners that fund it. "
        "Month: award.",
        q_joint_cross_sector_initiatives,
    ),
    Indicator(
        "initiative_groups_supported",
        "Initiative groups supported",
        "groups",
        "Initiative groups formed. Month: formation.",
        q_initiative_groups,
    ),
    Indicator(
        "organisations_supported",
        "Organisations supported",
        "organisations",
        "Social-economy entities enrolled. Month: enrolment.",
        q_organisations_supported,
    ),
    Indicator(
        "jobs_created",
        "Jobs created",
        "jobs",
        "All jobs created in social enterprises. Month: creation.",
        q_jobs_created,
        PERSON_DIMENSIONS,
    ),
    Indicator(
        "jobs_sustained_12_months",
        "Jobs sustained after 12 months",
        "jobs",
        "Jobs found still in place at the sustainability check, at the end of the project's period (12 months "
        "in 2014–2020, 18 by default in 2021–2027; the key keeps its first name). Month: the check.",
        q_jobs_sustained,
        PERSON_DIMENSIONS,
    ),
    Indicator(
        "jobs_not_sustained",
        "Jobs not sustained",
        "jobs",
        "Jobs the sustainability check found ended before the project's period ran out. Month: the check.",
        q_jobs_not_sustained,
        PERSON_DIMENSIONS,
    ),
    Indicator(
        "advisory_hours",
        "Advisory hours",
        "hours",
        "Hours of advisory sessions, general and specialist (by kind), for people and organisations. Month: session.",
        q_advisory_hours,
        (*PERSON_DIMENSIONS, "kind"),
        decimal=True,
    ),
    Indicator(
        "mentoring_hours",
        "Mentoring hours",
        "hours",
        "Hours of mentoring provided. Month: mentoring.",
        q_mentoring_hours,
        PERSON_DIMENSIONS,
        decimal=True,
    ),
    Indicator(
        "trainings_completed",
        "Trainings completed",
        "completions",
        "Trainings completed by participants (one per participant and training). Month: completion.",
        q_trainings_completed,
        PERSON_DIMENSIONS,
    ),
    Indicator(
        "bridge_support_paid_pln",
        "Bridge support paid",
        "PLN",
        "Monthly bridge-support instalments paid, in PLN. Month: payment.",
        q_bridge_support_paid,
        PERSON_DIMENSIONS,
        decimal=True,
    ),
    Indicator(
        "job_maintenance_funded_pln",
        "Job maintenance unit rates granted",
        "PLN",
        "2021–2027 job maintenance unit rates granted (12 months, by working time), in PLN. Month: the grant.",
        q_job_maintenance_funded,
        PERSON_DIMENSIONS,
        decimal=True,
    ),
    Indicator(
        "grants_awarded", "Grants awarded", "grants", "Grant applications awarded. Month: award.", q_grants_awarded
    ),
    Indicator(
        "grants_awarded_pln",
        "Grants awarded (PLN)",
        "PLN",
        "Total amount of grants awarded, in PLN. Month: award.",
        q_grants_awarded_pln,
        decimal=True,
    ),
    Indicator(
        "grants_disbursed_pln",
        "Grants disbursed (PLN)",
        "PLN",
        "Grant money paid out, in PLN. Month: disbursement.",
        q_grants_disbursed_pln,
        decimal=True,
    ),
)
BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}
