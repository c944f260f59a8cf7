"""The dashboard page (GET /dashboard) and its live stream of server-rendered sections (server-sent events)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from owes_service.problems import NotFound

from .charts import PALETTE, bar_chart, cumulative_chart, sparkline
from .freshness import PartnerFreshness
from .live import LiveDep, LiveReport
from .schemas import target_json
from .service import DIMENSION_TITLES, IndicatorFigures, Report
from .settings import ReportingSettings

STATIC = Path(__file__).with_name("static")
ASSETS = {"dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8"}
BREAKDOWN_DIMENSIONS = ("partner", "county", "gender", "age_band")
PRODUCER_TITLES = {"recruitment": "Recruitment", "advisory": "Advisory", "grants": "Grants"}
FUNNEL = (
    ("recruited", "Recruited"),
    ("eligible", "Eligible"),
    ("pending", "Pending check"),
    ("rejected", "Not eligible"),
    ("withdrawn", "Withdrawn"),
    ("erased", "Data erased"),
)

router = APIRouter(tags=["dashboard"])


# --- formatting -------------------------------------------------------------------------------------------------
def fmt(value: object, unit: str = "") -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}"


def _unit_suffix(unit: str) -> str:
    return {"hours": "h", "PLN": "PLN"}.get(unit, "")


def _ago(seconds: float) -> str:
    if seconds < 60:
        return f"{max(0, int(seconds))} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


# --- sections ---------------------------------------------------------------------------------------------------
def _card(f: IndicatorFigures, months: list[str], color: str, *, compact: bool = False) -> str:
    i = f.indicator
    suffix = _unit_suffix(i.unit)
    value = f"{fmt(f.value)}{f'<small>{suffix}</small>' if suffix else ''}"
    parts = [
        f'<article class="card{" compact" if compact else ""}" data-indicator="{i.key}" '
        f'title="{escape(i.definition)}">',
        f'<div class="title">{escape(i.title)}</div><div class="value">{value}</div>',
    ]
    if f.target is not None:
        pct = f.progress_percent or Decimal(0)
        width = min(100, float(pct))
        parts.append(
            f'<div class="target"><span>of {fmt(target_json(f.target))} target</span>'
            f"<b>{pct}%</b></div>"
            f'<div class="bar{" done" if pct >= 100 else ""}" role="progressbar" aria-valuenow="{pct}" '
            f'aria-valuemin="0" aria-valuemax="100"><span style="width:{width:.1f}%"></span></div>'
        )
    parts.append(sparkline([v for _, v, _ in f.series(months)][-24:], color=color, label=f"{i.title} per month"))
    parts.append("</article>")
    return "".join(parts)


def _cards(report: Report, *, targeted: bool) -> str:
    chosen = [f for f in report.figures.values() if (f.target is not None) == targeted]
    return "".join(
        _card(f, report.months, PALETTE[n % len(PALETTE)], compact=not targeted) for n, f in enumerate(chosen)
    )


def _freshness(lines: list[PartnerFreshness], now: dt.datetime, zone: dt.tzinfo | None) -> str:
    out = []
    for line in lines:
        producer = PRODUCER_TITLES.get(line.producer, line.producer)
        lag = "lag unknown" if line.lag is None else f"lag {line.lag:,} event{'s' if line.lag != 1 else ''}"
        if line.last_event_at is None:
            state, seen, tip = "idle", "no events yet", ""
        else:
            state = "ok" if not line.lag else "lagging"
            seen = f"last event {_ago((now - line.last_event_at).total_seconds())}"
            tip = line.last_event_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")  # the project's wall clock
        release = f" · release {escape(line.release)}" if line.release else ""
        warning = (
            f'<span class="warning" role="status">{escape(line.release_warning)}</span>' if line.release_warning else ""
        )
        out.append(
            f'<div class="fresh {state}" data-producer="{escape(line.producer)}" title="{tip}">'
            f'<span class="dot"></span><b>{escape(producer)}</b><span>{escape(line.partner)}</span>'
            f'<span class="meta">{seen} · {lag}{release}</span>{warning}</div>'
        )
    return "".join(out)


def _charts(report: Report) -> str:
    f = report.figures
    panels = []
    for key in ("people_supported", "jobs_for_people_at_risk"):
        fig = f[key]
        panels.append(
            f'<div class="panel"><h3>{escape(fig.indicator.title)}: per month and cumulative</h3>'
            f"{cumulative_chart(fig.series(report.months), target=fig.target, title=fig.indicator.title)}"
            "</div>"
        )
    hours = f["advisory_hours"]
    panels.append(
        '<div class="panel"><h3>Advisory hours by kind</h3>'
        f"{bar_chart(hours.breakdown('kind'), title='Advisory hours by kind', value_format=lambda v: f'{v:,.2f} h')}"
        "</div>"
    )
    people = f["people_supported"]
    panels.append(
        '<div class="panel"><h3>People supported by county</h3>'
        f"{bar_chart(people.breakdown('county')[:10], title='People supported by county')}</div>"
    )
    money = [
        ("Grants awarded", f["grants_awarded_pln"].value),
        ("Grants disbursed", f["grants_disbursed_pln"].value),
        ("Bridge support paid", f["bridge_support_paid_pln"].value),
    ]
    panels.append(
        '<div class="panel"><h3>Money (PLN)</h3>'
        f"{bar_chart(money, title='Grants and bridge support, PLN', value_format=lambda v: f'{v:,.2f}')}"
        "</div>"
    )
    jobs = [
        ("Created", f["jobs_created"].value),
        ("People at risk", f["jobs_for_people_at_risk"].value),
        ("Sustained 12 months", f["jobs_sustained_12_months"].value),
    ]
    panels.append(f'<div class="panel"><h3>Jobs</h3>{bar_chart(jobs, title="Jobs")}</div>')
    return "".join(panels)


def _funnel(report: Report) -> str:
    stages = "".join(
        f'<div data-stage="{key}"><b>{report.participants[key]:,}</b><span>{label}</span></div>'
        for key, label in FUNNEL
    )
    outside = report.outside_subregion
    if not outside:
        return stages
    over = "" if outside["within_limit"] else " over"
    return stages + (
        f'<div data-stage="outside-subregion" class="share{over}"><b>{outside["share_percent"]}%</b>'
        f"<span>from outside the subregion ({outside['outside_subregion']:,} of "
        f"{outside['people_supported']:,}; limit {outside['limit_percent']}%)</span></div>"
    )


def _breakdowns(report: Report) -> str:
    out = []
    for dim in BREAKDOWN_DIMENSIONS:
        figures = [f for f in report.figures.values() if dim in f.indicator.dimensions]
        buckets: list[str] = []
        for f in figures:
            buckets += [b for b, _ in f.breakdown(dim) if b not in buckets]
        head = "".join(f"<th>{escape(b)}</th>" for b in buckets)
        rows = []
        for f in figures:
            values = dict(f.breakdown(dim))
            cells = "".join(f"<td>{fmt(values[b]) if b in values else '–'}</td>" for b in buckets)
            rows.append(f"<tr><td>{escape(f.indicator.title)}</td>{cells}<td><b>{fmt(f.value)}</b></td></tr>")
        body = "".join(rows) if buckets else '<tr><td colspan="2">No data yet</td></tr>'
        out.append(
            f'<div class="panel" data-dimension="{dim}"><h3>By {DIMENSION_TITLES[dim].lower()}</h3>'
            f'<div class="table-wrap"><table><thead><tr><th>Indicator</th>{head}<th>Total</th></tr></thead>'
            f"<tbody>{body}</tbody></table></div></div>"
        )
    return "".join(out)


def _other_definitions(differing: dict[str, str]) -> str:
    """A warning naming the partners whose events say they run another project definition than the lead's."""
    if not differing:
        return ""
    names = ", ".join(f"{escape(who)}: {escape(fp)}" for who, fp in differing.items())
    return f' · <strong class="warning">project definition differs at {names}</strong>'


def render_sections(
    report: Report, freshness: list[PartnerFreshness], now: dt.datetime, differing: dict[str, str] | None = None
) -> dict[str, str]:
    return {
        "freshness": _freshness(freshness, now, report.generated_at.tzinfo),
        "updated": f"Figures as of {report.generated_at.strftime('%Y-%m-%d %H:%M:%S %Z')} · targets: "
        f"{escape(report.project or report.targets_source)}{_other_definitions(differing or {})}",
        "target-cards": _cards(report, targeted=True),
        "other-cards": _cards(report, targeted=False),
        "charts": _charts(report),
        "participants": _funnel(report),
        "breakdowns": _breakdowns(report),
    }


def _hash(html: str) -> str:
    return hashlib.blake2s(html.encode(), digest_size=8).hexdigest()


def render_page(sections: dict[str, str], version: int) -> str:
    s = {k: v for k, v in sections.items()}
    h = {k: _hash(v) for k, v in sections.items()}

    def block(id_: str, cls: str, tag: str = "div") -> str:
        return f'<{tag} id="{id_}" class="{cls}" data-hash="{h[id_]}">{s[id_]}</{tag}>'

    exports = " ".join(
        f'<a href="/exports/{n}.{f}">{n}.{f}</a>'
        for n in ("indicators", "breakdowns", "series")
        for f in ("csv", "xlsx")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>OWES Mesh · Partnership dashboard</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/dashboard/assets/dashboard.css"></head>
<body data-stream="/dashboard/stream" data-version="{version}">
<header class="top"><div><h1>OWES Mesh · Partnership dashboard</h1>
<div class="sub">Consolidated indicators of the social-economy support centre, built from partners' events</div></div>
<div id="live-status" class="live"><span class="dot"></span><span>Connecting…</span></div></header>
<main>
<section><h2>Data freshness</h2>{block("freshness", "freshness")}{block("updated", "updated")}</section>
<section><h2>Indicators against targets</h2>{block("target-cards", "grid")}</section>
<section><h2>Participants</h2>{block("participants", "funnel")}</section>
<section><h2>Activity and results</h2>{block("other-cards", "grid")}</section>
<section><h2>Over time and by kind</h2>{block("charts", "panels")}</section>
<section><h2>Breakdowns</h2>{block("breakdowns", "panels stack")}</section>
</main>
<footer>Exports: {exports} · <a href="/indicators/report">JSON report</a> <a href="/docs">API docs</a></footer>
<script src="/dashboard/assets/dashboard.js"></script>
</body></html>"""


async def _snapshot(live: LiveReport) -> tuple[dict[str, str], int]:
    report, version = await live.report()
    lines, _lags, now = await live.freshness()
    return render_sections(report, lines, now, live.runtime.project_copies.differing()), version


@router.get("/dashboard", response_class=HTMLResponse, summary="The lead organisation's live dashboard")
async def dashboard(live: LiveDep) -> HTMLResponse:
    sections, version = await _snapshot(live)
    return HTMLResponse(render_page(sections, version), headers={"Cache-Control": "no-store"})


@router.get("/dashboard/assets/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound(f"no asset {name!r}")
    return Response((STATIC / name).read_bytes(), media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})


@router.get(
    "/dashboard/stream",
    summary="Server-sent events: the dashboard's sections whenever figures change",
    response_class=StreamingResponse,
)
async def stream(request: Request, live: LiveDep) -> StreamingResponse:
    settings = cast(ReportingSettings, live.runtime.settings)  # the reporting runtime is built with them

    async def events() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        deadline = time.monotonic() + settings.dashboard_stream_seconds
        sent: dict[str, str] = {}
        while time.monotonic() < deadline and not await request.is_disconnected():
            sections, version = await _snapshot(live)
            changed = {k: v for k, v in sections.items() if sent.get(k) != _hash(v)}
            if changed:
                sent.update({k: _hash(v) for k, v in changed.items()})
                data = json.dumps(
                    {"version": version, "sections": changed, "hashes": {k: sent[k] for k in changed}},
                    separators=(",", ":"),
                )
                yield f"event: dashboard\ndata: {data}\n\n"
            else:
                yield ": keep-alive\n\n"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await live.feed.wait(version, timeout=min(settings.dashboard_heartbeat, remaining))

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


__all__ = ["render_page", "render_sections", "router"]
