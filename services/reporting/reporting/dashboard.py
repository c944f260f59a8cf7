"""The dashboard page (GET /dashboard) and its live stream of server-rendered sections (server-sent events).

People read it in Polish unless they ask for English (?lang=en, or an English browser), as on the staff pages; the
words come from reporting's catalogue. The JSON and the exports stay as they are."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import cast

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from owes_service.pages import N_, place_name
from owes_service.pages.i18n import Formats, choose_language
from owes_service.pages.web import say_refusal
from owes_service.problems import NotFound
from owes_service.wording import refusal, worded

from .charts import PALETTE, bar_chart, cumulative_chart, sparkline
from .freshness import PartnerFreshness
from .live import LiveDep, LiveReport
from .pages import BUCKETS, INDICATOR_TITLES
from .pages import DIMENSION_TITLES as DIMENSION_HEADINGS
from .pages import pages as staff_pages
from .schemas import target_json
from .service import DIMENSION_TITLES, IndicatorFigures, Report
from .settings import ReportingSettings

STATIC = Path(__file__).with_name("static")
ASSETS = {"dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8"}
BREAKDOWN_DIMENSIONS = ("partner", "county", "gender", "age_band")
PRODUCER_TITLES = {"recruitment": N_("Recruitment"), "advisory": N_("Advisory"), "grants": N_("Grants")}
FUNNEL = (
    ("recruited", N_("Recruited")),
    ("eligible", N_("Eligible")),
    ("pending", N_("Pending check")),
    ("rejected", N_("Not eligible")),
    ("withdrawn", N_("Withdrawn")),
    ("erased", N_("Data erased")),
)
KIND_TITLES = {
    "general": N_("general advisory"),
    "legal": N_("legal advisory"),
    "marketing": N_("marketing advisory"),
    "accounting": N_("accounting advisory"),
    "business": N_("business advisory"),
}
# The language of the page being drawn: English where nobody chose (the functions' callers in tests and scripts);
# the routes set the reader's language (Polish unless asked otherwise).
LANGUAGE: ContextVar[str] = ContextVar("dashboard_language", default="en")

router = APIRouter(tags=["dashboard"])


# --- language and formatting ------------------------------------------------------------------------------------
def _(message: str) -> str:
    return staff_pages.translations[LANGUAGE.get()].gettext(message)


def _said(text: str, **shown: str) -> str:
    """A refusal or warning with values in the page's language (its English text where no catalogue knows it);
    `shown` replaces values with what a person reads (a partner's name with its Polish letters, not its code)."""
    carried = worded(text)
    if carried is not None and shown:
        carried = refusal(carried.template, **{**carried.values, **shown})
    said = say_refusal(carried, _, Formats(LANGUAGE.get())) if carried is not None else None
    return said if said is not None else text


def ngettext(singular: str, plural: str, n: int) -> str:
    return staff_pages.translations[LANGUAGE.get()].ngettext(singular, plural, n)


def _title(f: IndicatorFigures) -> str:
    return _(INDICATOR_TITLES.get(f.indicator.key, f.indicator.title))


def fmt(value: object, unit: str = "") -> str:
    if LANGUAGE.get() == "pl":  # 1 800,00: a no-break space between thousands, a decimal comma
        pattern = "#,##0.00" if isinstance(value, Decimal) else None
        return format_decimal(value, format=pattern, locale="pl_PL")  # type: ignore[arg-type]
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}"


def _percent(value: object) -> str:
    return str(value).replace(".", ",") if LANGUAGE.get() == "pl" else str(value)


def _unit_suffix(unit: str) -> str:
    return {"hours": "h", "PLN": "PLN"}.get(unit, "")


def _ago(seconds: float) -> str:
    if seconds < 60:
        return _("%(num)d s ago") % {"num": max(0, int(seconds))}
    if seconds < 3600:
        return _("%(num)d min ago") % {"num": int(seconds // 60)}
    if seconds < 86400:
        return _("%(num)d h ago") % {"num": int(seconds // 3600)}
    days = int(seconds // 86400)
    return ngettext("%(num)d day ago", "%(num)d days ago", days) % {"num": days}


# --- sections ---------------------------------------------------------------------------------------------------
def _card(f: IndicatorFigures, months: list[str], color: str, *, compact: bool = False) -> str:
    i = f.indicator
    suffix = _unit_suffix(i.unit)
    value = f"{fmt(f.value)}{f'<small>{suffix}</small>' if suffix else ''}"
    parts = [
        f'<article class="card{" compact" if compact else ""}" data-indicator="{i.key}" '
        f'title="{escape(_(i.definition))}">',
        f'<div class="title">{escape(_title(f))}</div><div class="value">{value}</div>',
    ]
    if f.target is not None:
        pct = f.progress_percent or Decimal(0)
        width = min(100, float(pct))
        parts.append(
            f'<div class="target"><span>{_("of %(target)s target") % {"target": fmt(target_json(f.target))}}</span>'
            f"<b>{_percent(pct)}%</b></div>"
            f'<div class="bar{" done" if pct >= 100 else ""}" role="progressbar" aria-valuenow="{pct}" '
            f'aria-valuemin="0" aria-valuemax="100"><span style="width:{width:.1f}%"></span></div>'
        )
    parts.append(
        sparkline(
            [v for _, v, _ in f.series(months)][-24:],
            color=color,
            label=_("%(title)s per month") % {"title": _title(f)},
        )
    )
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
        producer = _(PRODUCER_TITLES.get(line.producer, line.producer))
        if line.lag is None:
            lag = _("lag unknown")
        else:
            lag = ngettext("lag %(num)s event", "lag %(num)s events", line.lag) % {"num": fmt(line.lag)}
        if line.last_event_at is None:
            state, seen, tip = "idle", _("no events yet"), ""
        else:
            state = "ok" if not line.lag else "lagging"
            seen = _("last event %(ago)s") % {"ago": _ago((now - line.last_event_at).total_seconds())}
            tip = line.last_event_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")  # the project's wall clock
        release = f" · {_('release')} {escape(line.release)}" if line.release else ""
        warning = ""
        if line.release_warning:
            said = _said(line.release_warning, partner=place_name(line.partner))
            warning = f'<span class="warning" role="status">{escape(said)}</span>'
        out.append(
            f'<div class="fresh {state}" data-producer="{escape(line.producer)}" title="{tip}">'
            f'<span class="dot"></span><b>{escape(producer)}</b><span>{escape(place_name(line.partner))}</span>'
            f'<span class="meta">{seen} · {lag}{release}</span>{warning}</div>'
        )
    return "".join(out)


def _charts(report: Report) -> str:
    f = report.figures
    panels = []
    for key in ("people_supported", "jobs_for_people_at_risk"):
        fig = f[key]
        heading = _("%(title)s: per month and cumulative") % {"title": _title(fig)}
        panels.append(
            f'<div class="panel"><h3>{escape(heading)}</h3>'
            f"{cumulative_chart(fig.series(report.months), target=fig.target, title=_title(fig))}"
            "</div>"
        )
    hours = f["advisory_hours"]
    by_kind = _("Advisory hours by kind")
    kinds = [(_(KIND_TITLES.get(kind, kind)), hours_of) for kind, hours_of in hours.breakdown("kind")]
    panels.append(
        f'<div class="panel"><h3>{by_kind}</h3>'
        f"{bar_chart(kinds, title=by_kind, value_format=lambda v: fmt(Decimal(v)) + ' h')}"
        "</div>"
    )
    people = f["people_supported"]
    by_county = _("People supported by county")
    counties = [(place_name(county), value) for county, value in people.breakdown("county")[:10]]
    panels.append(f'<div class="panel"><h3>{by_county}</h3>{bar_chart(counties, title=by_county)}</div>')
    money = [
        (_("Grants awarded"), f["grants_awarded_pln"].value),
        (_("Grants disbursed"), f["grants_disbursed_pln"].value),
        (_("Bridge support paid"), f["bridge_support_paid_pln"].value),
    ]
    money_title = _("Grants and bridge support, PLN")
    panels.append(
        f'<div class="panel"><h3>{_("Money (PLN)")}</h3>'
        f"{bar_chart(money, title=money_title, value_format=lambda v: fmt(Decimal(v)))}"
        "</div>"
    )
    jobs = [
        (_("Created"), f["jobs_created"].value),
        (_("People at risk"), f["jobs_for_people_at_risk"].value),
        (_("Sustained 12 months"), f["jobs_sustained_12_months"].value),
    ]
    panels.append(f'<div class="panel"><h3>{_("Jobs")}</h3>{bar_chart(jobs, title=_("Jobs"))}</div>')
    return "".join(panels)


def _funnel(report: Report) -> str:
    stages = "".join(
        f'<div data-stage="{key}"><b>{fmt(report.participants[key])}</b><span>{_(label)}</span></div>'
        for key, label in FUNNEL
    )
    outside = report.outside_subregion
    if not outside:
        return stages
    over = "" if outside["within_limit"] else " over"
    return stages + (
        f'<div data-stage="outside-subregion" class="share{over}"><b>{_percent(outside["share_percent"])}%</b>'
        "<span>"
        + _("from outside the subregion (%(outside)s of %(people)s; limit %(limit)s%%)")
        % {
            "outside": fmt(outside["outside_subregion"]),
            "people": fmt(outside["people_supported"]),
            "limit": _percent(outside["limit_percent"]),
        }
        + "</span></div>"
    )


def _breakdowns(report: Report) -> str:
    out = []
    for dim in BREAKDOWN_DIMENSIONS:
        figures = [f for f in report.figures.values() if dim in f.indicator.dimensions]
        buckets: list[str] = []
        for f in figures:
            buckets += [b for b, _ in f.breakdown(dim) if b not in buckets]
        head = "".join(f"<th>{escape(_(BUCKETS[b]) if b in BUCKETS else place_name(b))}</th>" for b in buckets)
        rows = []
        for f in figures:
            values = dict(f.breakdown(dim))
            cells = "".join(f"<td>{fmt(values[b]) if b in values else '–'}</td>" for b in buckets)
            rows.append(f"<tr><td>{escape(_title(f))}</td>{cells}<td><b>{fmt(f.value)}</b></td></tr>")
        body = "".join(rows) if buckets else f'<tr><td colspan="2">{_("No data yet")}</td></tr>'
        heading = _(DIMENSION_HEADINGS[dim]) if dim in DIMENSION_HEADINGS else f"By {DIMENSION_TITLES[dim].lower()}"
        out.append(
            f'<div class="panel" data-dimension="{dim}"><h3>{heading}</h3>'
            f'<div class="table-wrap"><table><thead><tr><th>{_("Indicator")}</th>{head}'
            f"<th>{_('Total')}</th></tr></thead>"
            f"<tbody>{body}</tbody></table></div></div>"
        )
    return "".join(out)


def _other_definitions(differing: dict[str, str]) -> str:
    """A warning naming the partners whose events say they run another project definition than the lead's."""
    if not differing:
        return ""
    names = ", ".join(f"{escape(who)}: {escape(fp)}" for who, fp in differing.items())
    return f' · <strong class="warning">{_("project definition differs at %(names)s") % {"names": names}}</strong>'


def render_sections(
    report: Report, freshness: list[PartnerFreshness], now: dt.datetime, differing: dict[str, str] | None = None
) -> dict[str, str]:
    return {
        "freshness": _freshness(freshness, now, report.generated_at.tzinfo),
        "updated": _("Figures as of %(when)s · targets: %(source)s")
        % {"when": _as_of(report.generated_at), "source": escape(report.project or report.targets_source)}
        + _other_definitions(differing or {}),
        "target-cards": _cards(report, targeted=True),
        "other-cards": _cards(report, targeted=False),
        "charts": _charts(report),
        "participants": _funnel(report),
        "breakdowns": _breakdowns(report),
    }


def _as_of(moment: dt.datetime) -> str:
    if LANGUAGE.get() == "pl":
        return Formats("pl").datetime(moment)
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


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
    lang = LANGUAGE.get()
    other = "en" if lang == "pl" else "pl"
    switch = f'<a href="?lang={other}" lang="{other}" hreflang="{other}">{"English" if other == "en" else "Polski"}</a>'
    title = _("OWES Mesh · Partnership dashboard")
    subtitle = _("Consolidated indicators of the social-economy support centre, built from partners' events")
    connecting = _("Connecting…")
    links = f'<a href="/indicators/report">{_("JSON report")}</a> <a href="/docs">{_("API docs")}</a>'
    # The browser's status line says these as the stream connects, drops and comes back (dashboard.js reads them).
    status = " ".join(
        f'data-{kind}="{escape(_(text))}"'
        for kind, text in (
            ("live", N_("Live")),
            ("lost", N_("Reconnecting…")),
            ("none", N_("Live updates unavailable")),
        )
    )
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/dashboard/assets/dashboard.css"></head>
<body data-stream="/dashboard/stream?lang={lang}" data-version="{version}">
<header class="top"><div><h1>{title}</h1>
<div class="sub">{subtitle}</div></div>
<div class="tools">{switch}
<div id="live-status" class="live" {status}><span class="dot"></span><span>{connecting}</span></div></div></header>
<main>
<section><h2>{_("Data freshness")}</h2>{block("freshness", "freshness")}{block("updated", "updated")}</section>
<section><h2>{_("Indicators against targets")}</h2>{block("target-cards", "grid")}</section>
<section><h2>{_("Participants")}</h2>{block("participants", "funnel")}</section>
<section><h2>{_("Activity and results")}</h2>{block("other-cards", "grid")}</section>
<section><h2>{_("Over time and by kind")}</h2>{block("charts", "panels")}</section>
<section><h2>{_("Breakdowns")}</h2>{block("breakdowns", "panels stack")}</section>
</main>
<footer>{_("Exports:")} {exports} · {links}</footer>
<script src="/dashboard/assets/dashboard.js"></script>
</body></html>"""


async def _snapshot(live: LiveReport) -> tuple[dict[str, str], int]:
    report, version = await live.report()
    lines, _lags, now = await live.freshness()
    return render_sections(report, lines, now, live.runtime.project_copies.differing()), version


def _reader_language(request: Request) -> str:
    """As on the staff pages: ?lang= first, then the browser's language, else Polish."""
    return choose_language(
        asked=request.query_params.get("lang"), remembered=None, accept_language=request.headers.get("accept-language")
    )


@router.get("/dashboard", response_class=HTMLResponse, summary="The lead organisation's live dashboard")
async def dashboard(request: Request, live: LiveDep) -> HTMLResponse:
    LANGUAGE.set(_reader_language(request))
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

    language = _reader_language(request)

    async def events() -> AsyncIterator[str]:
        LANGUAGE.set(language)  # the stream's sections in the language of the page that opened it
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
