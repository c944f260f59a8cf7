"""The report use case: every indicator's total, target, breakdowns and monthly series from the read models."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from owes_service.project import ProjectDefinition
from owes_service.project_calendar import ProjectCalendar, ReportingPeriod, month_of, period_of_month

from .indicators import AGE_BANDS, BY_KEY, INDICATORS, UNKNOWN, Indicator
from .repository import (
    Connection,
    indicator_cube,
    participant_funnel,
    people_outside_subregion,
    social_enterprise_status,
)
from .targets import Targets

DIMENSION_TITLES = {
    "partner": "Partner",
    "county": "County",
    "gender": "Gender",
    "age_band": "Age band",
    "month": "Month",
    "kind": "Kind",
}
GENDER_ORDER = ("female", "male")


@dataclass
class IndicatorFigures:
    indicator: Indicator
    total: int = 0  # raw: a count, or hundredths
    by: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    target: Decimal | None = None

    @property
    def value(self) -> int | Decimal:
        return self.indicator.figure(self.total)

    @property
    def progress_percent(self) -> Decimal | None:
        if self.target is None:
            return None
        return (Decimal(self.value) * 100 / self.target).quantize(Decimal("0.1"))

    def breakdown(self, dimension: str) -> list[tuple[str, int | Decimal]]:
        """(bucket, figure) pairs in reading order: months and age bands in order, others largest first."""
        buckets = self.by.get(dimension, {})
        if dimension == "month":
            keys = sorted(buckets)
        elif dimension == "age_band":
            keys = sorted(buckets, key=lambda b: AGE_BANDS.index(b) if b in AGE_BANDS else len(AGE_BANDS))
        elif dimension == "gender":
            keys = sorted(buckets, key=lambda b: GENDER_ORDER.index(b) if b in GENDER_ORDER else 9)
        else:
            keys = sorted(buckets, key=lambda b: (b == UNKNOWN, -buckets[b], b))
        return [(k, self.indicator.figure(buckets[k])) for k in keys]

    def series(self, months: list[str]) -> list[tuple[str, int | Decimal, int | Decimal]]:
        """(month, figure, cumulative figure) for every month of the report."""
        per_month = self.by.get("month", {})
        out, running = [], 0
        for month in months:
            running += per_month.get(month, 0)
            out.append((month, self.indicator.figure(per_month.get(month, 0)), self.indicator.figure(running)))
        return out

    def by_period(self, periods: list[ReportingPeriod]) -> list[tuple[ReportingPeriod, int | Decimal]]:
        """(payment-claim period, figure) for every period of the report, summed from its calendar months."""
        per_month = self.by.get("month", {})
        return [(p, self.indicator.figure(sum(per_month.get(m, 0) for m in p.months()))) for p in periods]


@dataclass
class Report:
    generated_at: dt.datetime
    project: str
    targets_source: str
    figures: dict[str, IndicatorFigures]
    participants: dict[str, int]
    months: list[str]
    # Payment-claim periods covering the months, in the project's calendar (quarters by default).
    periods: list[ReportingPeriod] = field(default_factory=list)
    # People supported from outside the project's subregion against the project's limit.
    outside_subregion: dict = field(default_factory=dict)

    def figures_only(self) -> dict[str, int | Decimal]:
        return {key: f.value for key, f in self.figures.items()}


def _month_range(months: set[str]) -> list[str]:
    """Every month from the first to the last one seen, so series have no gaps."""
    if not months:
        return []
    first, last = min(months), max(months)
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


async def indicator_figures(connection: Connection, indicator: Indicator) -> IndicatorFigures:
    figures = IndicatorFigures(indicator)
    buckets: list[Any]  # the dimension values of each row, before its sum
    for *buckets, value in await indicator_cube(connection, indicator.query, indicator.dimensions):
        value = int(value or 0)
        figures.total += value
        for dimension, bucket in zip(indicator.dimensions, buckets, strict=False):
            figures.by[dimension][bucket if bucket is not None else UNKNOWN] += value
    return figures


async def compute_report(
    connection: Connection, targets: Targets, keys: list[str] | None = None, *, calendar: ProjectCalendar
) -> Report:
    """Figures of the indicators (all, or the given keys) from one consistent read of the read models.

    Months are those of the events' dates, which each service took in the project's calendar, bounded by the
    project period whatever the events say; the payment-claim periods group those months; the time of the
    report is shown on the project's wall clock.
    """
    figures: dict[str, IndicatorFigures] = {}
    for indicator in (BY_KEY[k] for k in keys) if keys else INDICATORS:
        f = await indicator_figures(connection, indicator)
        f.target = targets.of(indicator.key)
        figures[indicator.key] = f
    project = calendar.project
    first, last = (month_of(project.starts_on), month_of(project.ends_on)) if project is not None else ("", "~")
    months = _month_range(
        {m for f in figures.values() for m in f.by.get("month", {}) if m != UNKNOWN and first <= m <= last}
    )
    period_months = project.reporting_period_months if project is not None else 3
    periods = list({p.label: p for p in (period_of_month(m, months=period_months) for m in months)}.values())
    return Report(
        generated_at=calendar.local(calendar.now()),
        project=targets.project,
        targets_source=targets.source,
        figures=figures,
        participants=await participant_funnel(connection),
        months=months,
        periods=periods,
        outside_subregion=outside_share(*await people_outside_subregion(connection), project),
    )


def outside_share(supported: int, outside: int, project: ProjectDefinition | None) -> dict[str, Any]:
    """The share of people supported who live outside the subregion, against the project's limit."""
    share = (Decimal(outside) * 100 / supported).quantize(Decimal("0.1")) if supported else Decimal(0)
    limit = project.outside_subregion_limit_percent if project is not None else None
    return {
        "people_supported": supported,
        "outside_subregion": outside,
        "share_percent": share,
        "limit_percent": limit,
        "within_limit": limit is None or share <= limit,
    }


# A social enterprise (ustawa o ekonomii społecznej, art. 3): at least 3 people employed at half time or more, at
# least 30 % of them at risk of social exclusion.
SOCIAL_ENTERPRISE_MIN_EMPLOYEES = 3
SOCIAL_ENTERPRISE_MIN_AT_RISK_PERCENT = 30


def social_enterprise_conditions(employees: int, at_risk: int) -> bool:
    """Whether the employment conditions of a social enterprise's status are met (30 % in whole numbers)."""
    return (
        employees >= SOCIAL_ENTERPRISE_MIN_EMPLOYEES
        and at_risk * 100 >= SOCIAL_ENTERPRISE_MIN_AT_RISK_PERCENT * employees
    )


async def social_enterprises(session: Any, on: dt.date) -> list[dict[str, Any]]:
    """Every supported cooperative on a day, its employment and whether it meets the status conditions."""
    rows = await social_enterprise_status(session, on)
    return [
        {
            **row,
            "founded_on": row["founded_on"].isoformat(),
            "at_risk_percent": str(
                (Decimal(100) * row["at_risk"] / row["employees"]).quantize(Decimal("0.1")) if row["employees"] else 0
            ),
            "meets_conditions": social_enterprise_conditions(row["employees"], row["at_risk"]),
        }
        for row in rows
    ]
