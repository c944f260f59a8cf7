"""Reporting HTTP endpoints: every number as JSON, and the exports (CSV, XLSX)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from owes_service.deps import SessionDep
from owes_service.problems import InvalidInput, NotFound

from . import esf, service
from .exports import EXPORTS, FORMATS, table, to_csv, to_xlsx
from .freshness import freshness_json
from .indicators import BY_KEY, DIMENSIONS, Indicator
from .live import LiveDep, LiveReport
from .schemas import figures_json, json_number, report_json
from .service import Report, compute_report

router = APIRouter(tags=["indicators"])


async def _report(live: LiveReport, session: AsyncSession, keys: list[str] | None = None) -> Report:
    return await compute_report(session, live.targets, keys, calendar=live.runtime.calendar)


def _indicator(key: str) -> Indicator:
    if key not in BY_KEY:
        raise NotFound(f"no indicator {key!r}; known: {', '.join(BY_KEY)}")
    return BY_KEY[key]


@router.get("/indicators", summary="Every indicator's current figure (counts; hours and PLN as decimal strings)")
async def indicators(live: LiveDep, session: SessionDep) -> dict:
    report = await _report(live, session)
    return {key: json_number(value) for key, value in report.figures_only().items()}


@router.get("/indicators/report", summary="Every indicator with target, progress, breakdowns and monthly series")
async def full_report(live: LiveDep, session: SessionDep) -> dict:
    return report_json(await _report(live, session))


@router.get(
    "/indicators/{key}",
    summary="One indicator with its target, breakdowns and monthly series",
    responses={404: {"description": "No such indicator"}},
)
async def one_indicator(key: str, live: LiveDep, session: SessionDep) -> dict:
    indicator = _indicator(key)
    report = await _report(live, session, [indicator.key])
    return figures_json(report.figures[indicator.key], report.months, report.periods)


@router.get(
    "/indicators/{key}/breakdowns/{dimension}",
    summary="One indicator broken down by one dimension",
    responses={404: {"description": "No such indicator, or no such breakdown of it"}},
)
async def breakdown(key: str, dimension: str, live: LiveDep, session: SessionDep) -> dict:
    indicator = _indicator(key)
    if dimension not in indicator.dimensions:
        raise NotFound(f"{key} has no breakdown by {dimension!r}; it has: {', '.join(indicator.dimensions)}")
    report = await _report(live, session, [indicator.key])
    figures = report.figures[indicator.key]
    return {
        "indicator": key,
        "dimension": dimension,
        "unit": indicator.unit,
        "buckets": [{"bucket": b, "value": json_number(v)} for b, v in figures.breakdown(dimension)],
    }


@router.get(
    "/social-enterprises",
    summary="Supported cooperatives on a day, and whether each meets a social enterprise's employment conditions",
)
async def social_enterprises(live: LiveDep, session: SessionDep, on: dt.date | None = None) -> dict:
    day = on or live.runtime.calendar.today()
    entities = await service.social_enterprises(session, day)
    return {
        "on": day.isoformat(),
        "conditions": {
            "min_employees_at_half_time_or_more": service.SOCIAL_ENTERPRISE_MIN_EMPLOYEES,
            "min_at_risk_percent": service.SOCIAL_ENTERPRISE_MIN_AT_RISK_PERCENT,
        },
        "entities": entities,
        "meeting_conditions": [e["cooperative_id"] for e in entities if e["meets_conditions"]],
    }


@router.get(
    "/esf-indicators",
    summary="ESF+ common indicators by sex for a reporting period and cumulatively, per partner (JSON or XLSX)",
)
async def esf_indicators(
    live: LiveDep,
    session: SessionDep,
    period_from: Annotated[dt.date | None, Query(alias="from")] = None,
    period_to: Annotated[dt.date | None, Query(alias="to")] = None,
    format: Literal["json", "xlsx"] = "json",
) -> Response:
    calendar = live.runtime.calendar
    project = calendar.project
    first = period_from or (project.starts_on if project else dt.date(2021, 1, 1))
    last = period_to or calendar.today()
    if last < first:
        raise InvalidInput(f"the period ends ({last}) before it starts ({first})", field="to")
    report = esf.esf_report(await esf.entrants(session, last), period_from=first, period_to=last)
    if format == "xlsx":
        name = project.name if project else "OWES"
        return Response(
            esf.payment_claim_xlsx(report, project_name=name),
            media_type=FORMATS["xlsx"],
            headers={"Content-Disposition": f'attachment; filename="payment-claim-{first}-{last}.xlsx"'},
        )
    return JSONResponse(report)


@router.get("/freshness", summary="Last event seen from each partner, and the consumer's lag per topic")
async def freshness(live: LiveDep) -> dict:
    lines, lags, now = await live.freshness()
    return freshness_json(lines, lags, now)


@router.get(
    "/exports/{filename}",
    summary="Export: indicators, breakdowns or series, as .csv or .xlsx",
    responses={
        200: {"content": {v.split(";")[0]: {} for v in FORMATS.values()}},
        404: {"description": "No such export"},
        422: {"description": "Unknown dimension"},
    },
)
async def export(
    filename: str,
    live: LiveDep,
    session: SessionDep,
    dimension: Annotated[str | None, Query(description="Breakdowns of this dimension only")] = None,
) -> Response:
    name, _, fmt = filename.rpartition(".")
    if name not in EXPORTS or fmt not in FORMATS:
        raise NotFound(f"no export {filename!r}; try {', '.join(f'{n}.{f}' for n in EXPORTS for f in FORMATS)}")
    if dimension is not None and dimension not in DIMENSIONS:
        raise InvalidInput(f"unknown dimension {dimension!r}; known: {', '.join(DIMENSIONS)}")
    report = await _report(live, session)
    body = to_xlsx(report, (name,), dimension) if fmt == "xlsx" else to_csv(*table(report, name, dimension))
    stamp = report.generated_at.strftime("%Y%m%d-%H%M")  # the project's wall clock, as people name files
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="owes-{name}-{stamp}.{fmt}"'},
    )
