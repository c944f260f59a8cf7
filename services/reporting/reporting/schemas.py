"""The JSON shapes of reporting's HTTP API: the report, one indicator's figures, targets and numbers."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from owes_service.project_calendar import ReportingPeriod

from .service import IndicatorFigures, Report


def json_number(value: int | Decimal | None) -> int | str | None:
    return str(value) if isinstance(value, Decimal) else value


def target_json(target: Decimal | None) -> int | str | None:
    if target is None:
        return None
    return int(target) if target == target.to_integral_value() else str(target)


def figures_json(f: IndicatorFigures, months: list[str], periods: Sequence[ReportingPeriod] = ()) -> dict:
    i = f.indicator
    return {
        "key": i.key,
        "title": i.title,
        "unit": i.unit,
        "definition": i.definition,
        "value": json_number(f.value),
        "target": target_json(f.target),
        "progress_percent": json_number(f.progress_percent),
        "dimensions": list(i.dimensions),
        "breakdowns": {d: [{"bucket": b, "value": json_number(v)} for b, v in f.breakdown(d)] for d in i.dimensions},
        "series": [{"month": m, "value": json_number(v), "cumulative": json_number(c)} for m, v, c in f.series(months)],
        "periods": [
            {"period": p.label, "from": p.first_day.isoformat(), "to": p.last_day.isoformat(), "value": json_number(v)}
            for p, v in f.by_period(list(periods))
        ],
    }


def report_json(report: Report) -> dict:
    return {
        "generated_at": report.generated_at.isoformat(),
        "project": report.project,
        "targets_source": report.targets_source,
        "months": report.months,
        "periods": [p.label for p in report.periods],
        "outside_subregion": {k: json_number(v) for k, v in report.outside_subregion.items()},
        "participants": report.participants,
        "indicators": [figures_json(f, report.months, report.periods) for f in report.figures.values()],
    }
