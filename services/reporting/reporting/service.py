"""The report: every indicator's total, target, breakdowns and monthly series, computed from the read models."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from .indicators import AGE_BANDS, BY_KEY, INDICATORS, UNKNOWN, Indicator
from .readmodel import dialect_name
from .tables import participants
from .targets import Targets

DIMENSION_TITLES = {"partner": "Partner", "county": "County", "gender": "Gender", "age_band": "Age band",
                    "month": "Month", "kind": "Kind"}
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


@dataclass
class Report:
    generated_at: dt.datetime
    project: str
    targets_source: str
    figures: dict[str, IndicatorFigures]
    participants: dict[str, int]
    months: list[str]

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


async def indicator_figures(connection, indicator: Indicator) -> IndicatorFigures:
    units = indicator.query(dialect_name(connection)).subquery("units")
    dims = [units.c[d] for d in indicator.dimensions]
    cube = sa.select(*dims, sa.func.sum(units.c.value)).group_by(*dims)
    figures = IndicatorFigures(indicator)
    for *buckets, value in (await connection.execute(cube)).all():
        value = int(value or 0)
        figures.total += value
        for dimension, bucket in zip(indicator.dimensions, buckets):
            figures.by[dimension][bucket if bucket is not None else UNKNOWN] += value
    return figures


async def participant_funnel(connection) -> dict[str, int]:
    p = participants.c
    recruited = p.recruited_on.is_not(None)

    def count(*conditions):
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(recruited, *conditions), 1), else_=0)), 0)

    row = (await connection.execute(sa.select(
        count(), count(p.eligibility == "confirmed"), count(p.eligibility == "rejected"),
        count(p.eligibility.is_(None)), count(p.withdrawn_on.is_not(None)), count(p.erased == sa.true()),
    ))).one()
    return dict(zip(("recruited", "eligible", "rejected", "pending", "withdrawn", "erased"), map(int, row)))


async def compute_report(connection, targets: Targets, keys: list[str] | None = None) -> Report:
    """Figures of the indicators (all, or the given keys) from one consistent read of the read models."""
    figures: dict[str, IndicatorFigures] = {}
    for indicator in (BY_KEY[k] for k in keys) if keys else INDICATORS:
        f = await indicator_figures(connection, indicator)
        f.target = targets.of(indicator.key)
        figures[indicator.key] = f
    months = _month_range({m for f in figures.values() for m in f.by.get("month", {}) if m != UNKNOWN})
    return Report(generated_at=dt.datetime.now(dt.UTC), project=targets.project, targets_source=targets.source,
                  figures=figures, participants=await participant_funnel(connection), months=months)


def json_number(value):
    return str(value) if isinstance(value, Decimal) else value


def target_json(target: Decimal | None) -> int | str | None:
    if target is None:
        return None
    return int(target) if target == target.to_integral_value() else str(target)


def figures_json(f: IndicatorFigures, months: list[str]) -> dict:
    i = f.indicator
    return {
        "key": i.key, "title": i.title, "unit": i.unit, "definition": i.definition,
        "value": json_number(f.value), "target": target_json(f.target),
        "progress_percent": json_number(f.progress_percent),
        "dimensions": list(i.dimensions),
        "breakdowns": {d: [{"bucket": b, "value": json_number(v)} for b, v in f.breakdown(d)]
                       for d in i.dimensions},
        "series": [{"month": m, "value": json_number(v), "cumulative": json_number(c)}
                   for m, v, c in f.series(months)],
    }


def report_json(report: Report) -> dict:
    return {
        "generated_at": report.generated_at.isoformat(),
        "project": report.project,
        "targets_source": report.targets_source,
        "months": report.months,
        "participants": report.participants,
        "indicators": [figures_json(f, report.months) for f in report.figures.values()],
    }
