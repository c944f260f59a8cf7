"""Reporting pages for the lead's coordinator: the live dashboard, the indicator tables, exports and the printable
A4 report for the partnership board. Figures come from the same live report as the API and /dashboard."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from owes_service.pages import N_, Staff, StaffPages, place_name

from .exports import EXPORTS, FORMATS, table, to_csv, to_xlsx
from .live import LiveDep
from .service import Report
from .settings import ReportingSettings

pages = StaffPages("reporting", N_("Partnership reporting"), Path(__file__).parent)

INDICATOR_TITLES = {
    "people_supported": N_("People supported"),
    "ngos_started_economic_activity": N_("NGOs starting paid or economic activity"),
    "social_enterprises_strengthened": N_("Existing social enterprises strengthened"),
    "new_social_enterprises": N_("New social enterprises created"),
    "jobs_for_people_at_risk": N_("Jobs for people at risk of exclusion"),
    "joint_cross_sector_initiatives": N_("Joint cross-sector initiatives"),
    "initiative_groups_supported": N_("Initiative groups supported"),
    "organisations_supported": N_("Organisations supported"),
    "jobs_created": N_("Jobs created"),
    "jobs_sustained_12_months": N_("Jobs sustained after 12 months"),
    "advisory_hours": N_("Advisory hours"),
    "mentoring_hours": N_("Mentoring hours"),
    "trainings_completed": N_("Trainings completed"),
    "bridge_support_paid_pln": N_("Bridge support paid"),
    "job_maintenance_funded_pln": N_("Job maintenance unit rates granted"),
    "jobs_not_sustained": N_("Jobs not sustained"),
    "grants_awarded": N_("Grants awarded"),
    "grants_awarded_pln": N_("Grants awarded (PLN)"),
    "grants_disbursed_pln": N_("Grants disbursed (PLN)"),
}
DIMENSION_TITLES = {
    "partner": N_("By partner"),
    "county": N_("By county"),
    "gender": N_("By sex"),
    "age_band": N_("By age"),
}
BUCKETS = {"female": N_("women"), "male": N_("men"), "unknown": N_("not given")}
SECTIONS = ("updated", "targets", "activity", "partners")
EXPORT_TITLES = {
    "indicators": N_("Indicators against targets"),
    "breakdowns": N_("Breakdowns"),
    "series": N_("Monthly series"),
}


def _context(report: Report) -> dict[str, Any]:
    figures = list(report.figures.values())
    return {
        "report": report,
        "targeted": [f for f in figures if f.target is not None],
        "others": [f for f in figures if f.target is None],
        "titles": INDICATOR_TITLES,
        "dimensions": DIMENSION_TITLES,
        "buckets": BUCKETS,
        "place_name": place_name,
    }


def _sections(request: Request, report: Report) -> dict[str, str]:
    """Each live section rendered alone, for the page and for the stream that replaces them in place."""
    template = pages.env.get_template("dashboard_sections.html")
    values = pages.context(request, _context(report))
    return {name: "".join(template.blocks[name](template.new_context(values))) for name in SECTIONS}


@pages.nav_page("/dashboard", N_("Dashboard"))
async def dashboard(request: Request, staff: Staff, live: LiveDep) -> Response:
    report, _version = await live.report()
    return pages.render(request, "dashboard.html", {"sections": _sections(request, report)})


@pages.router.get("/dashboard/stream")
async def dashboard_stream(request: Request, staff: Staff, live: LiveDep) -> Response:
    """Server-sent events: the sections whose figures changed, as soon as an event changes them."""
    settings = cast(ReportingSettings, live.runtime.settings)  # the reporting runtime is built with them

    async def events() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        deadline = time.monotonic() + settings.dashboard_stream_seconds
        sent: dict[str, str] = {}
        while time.monotonic() < deadline and not await request.is_disconnected():
            report, version = await live.report()
            changed = {k: v for k, v in _sections(request, report).items() if sent.get(k) != v}
            if changed:
                sent.update(changed)
                yield f"event: sections\ndata: {json.dumps(changed, separators=(',', ':'))}\n\n"
            else:
                yield ": keep-alive\n\n"
            try:
                await live.feed.wait(
                    version, timeout=min(settings.dashboard_heartbeat, max(0.0, deadline - time.monotonic()))
                )
            except asyncio.CancelledError:
                return

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


@pages.nav_page("/indicators", N_("Indicator tables"))
async def indicators(request: Request, staff: Staff, live: LiveDep) -> Response:
    report, _version = await live.report()
    exports = [(name, EXPORT_TITLES[name], [f"/panel/exports/{name}.{fmt}" for fmt in FORMATS]) for name in EXPORTS]
    return pages.render(request, "indicators.html", {**_context(report), "exports": exports})


@pages.nav_page("/report", N_("Report for the board"))
async def board_report(request: Request, staff: Staff, live: LiveDep) -> Response:
    report, _version = await live.report()
    return pages.render(request, "report.html", _context(report))


@pages.router.get("/exports/{filename}")
async def export(request: Request, staff: Staff, live: LiveDep, filename: str) -> Response:
    """The API's exports, for a signed-in person (the API itself wants a machine's key)."""
    name, _, fmt = filename.rpartition(".")
    if name not in EXPORTS or fmt not in FORMATS:
        return Response(status_code=404)
    report, _version = await live.report()
    body = to_xlsx(report, (name,)) if fmt == "xlsx" else to_csv(*table(report, name))
    stamp = report.generated_at.strftime("%Y%m%d-%H%M")
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="owes-{name}-{stamp}.{fmt}"'},
    )
