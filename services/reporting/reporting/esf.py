"""ESF+ common indicators (Regulation (EU) 2021/1057, Annex I) by sex, for a reporting period and cumulatively,
per partner: the participant figures of a payment claim, from ParticipantRecruited's coarse values alone.

A participant is counted in the period their participation started (recruited_on), unless found not eligible.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.ext.asyncio import AsyncSession

from owes_service.spreadsheets import spreadsheet_safe as _spreadsheet_safe

from .tables import participants

Row = dict[str, Any]
SEXES = ("female", "male")


@dataclass(frozen=True)
class EsfIndicator:
    key: str
    title: str
    counts: Callable[[Row], bool]


def _status(*values: str) -> Callable[[Row], bool]:
    return lambda r: r["labour_market_status"] in values


def _equals(column: str, value: object) -> Callable[[Row], bool]:
    return lambda r: r[column] == value


ESF_INDICATORS: tuple[EsfIndicator, ...] = (
    EsfIndicator("participants", "Participants", lambda r: True),
    EsfIndicator(
        "unemployed_incl_long_term",
        "Unemployed, including long-term unemployed",
        _status("unemployed", "long_term_unemployed"),
    ),
    EsfIndicator("long_term_unemployed", "Long-term unemployed", _status("long_term_unemployed")),
    EsfIndicator("inactive", "Inactive", _status("inactive")),
    EsfIndicator("employed", "Employed, including self-employed", _status("employed")),
    EsfIndicator("under_18", "Below 18 years of age", _equals("esf_age_group", "under_18")),
    EsfIndicator("aged_18_29", "Between 18 and 29 years of age", _equals("esf_age_group", "18_29")),
    EsfIndicator("aged_55_plus", "55 years of age and above", _equals("esf_age_group", "55_plus")),
    EsfIndicator("isced_0_2", "With lower secondary education or less (ISCED 0–2)", _equals("education", "isced_0_2")),
    EsfIndicator(
        "isced_3_4", "With upper secondary or post-secondary education (ISCED 3–4)", _equals("education", "isced_3_4")
    ),
    EsfIndicator("isced_5_8", "With tertiary education (ISCED 5–8)", _equals("education", "isced_5_8")),
    EsfIndicator("with_disabilities", "Participants with disabilities", _equals("disability", True)),
    EsfIndicator("third_country_nationals", "Third-country nationals", _equals("third_country_national", "yes")),
    EsfIndicator("foreign_background", "Participants with a foreign background", _equals("foreign_background", "yes")),
    EsfIndicator("minorities", "Participants from minorities", _equals("minority", "yes")),
    EsfIndicator("homeless", "Homeless or affected by housing exclusion", _equals("homeless", "yes")),
    EsfIndicator("rural", "Participants from rural areas", _equals("rural", True)),
    EsfIndicator(
        "refused_sensitive",
        "Participants who refused to answer at least one sensitive question",
        lambda r: "refused" in (r["third_country_national"], r["foreign_background"], r["minority"], r["homeless"]),
    ),
)
COLUMNS = (
    "participant_id",
    "partner",
    "gender",
    "recruited_on",
    "labour_market_status",
    "disability",
    "esf_age_group",
    "education",
    "third_country_national",
    "foreign_background",
    "minority",
    "homeless",
    "rural",
)


async def entrants(session: AsyncSession, until: dt.date) -> list[Row]:
    """Every participant who entered up to a day and was not found ineligible."""
    p = participants.c
    query = sa.select(*(p[c] for c in COLUMNS)).where(
        p.recruited_on.is_not(None),
        p.recruited_on <= until,
        sa.or_(p.eligibility.is_(None), p.eligibility != "rejected"),
    )
    return [dict(r._mapping) for r in (await session.execute(query)).all()]


def by_sex(rows: list[Row], indicator: EsfIndicator) -> dict[str, int]:
    counted = [r for r in rows if indicator.counts(r)]
    figures = {sex: sum(1 for r in counted if r["gender"] == sex) for sex in SEXES}
    return figures | {"total": len(counted)}


def esf_report(rows: list[Row], *, period_from: dt.date, period_to: dt.date) -> dict[str, Any]:
    """Each indicator by sex in the period and cumulatively (all entrants up to its end), overall and per partner."""
    in_period = [r for r in rows if period_from <= r["recruited_on"] <= period_to]
    partners = sorted({r["partner"] for r in rows if r["partner"]})

    def figures(subset_period: list[Row], subset_all: list[Row]) -> dict[str, Any]:
        return {
            i.key: {"title": i.title, "period": by_sex(subset_period, i), "cumulative": by_sex(subset_all, i)}
            for i in ESF_INDICATORS
        }

    return {
        "period": {"from": period_from.isoformat(), "to": period_to.isoformat()},
        "indicators": figures(in_period, rows),
        "partners": {
            partner: figures(
                [r for r in in_period if r["partner"] == partner], [r for r in rows if r["partner"] == partner]
            )
            for partner in partners
        },
    }


def spreadsheet_safe(value: object) -> object:
    """Text a spreadsheet would run as a formula is written as text (owes_service.spreadsheets: tab and CR too)."""
    return _spreadsheet_safe(value)


def payment_claim_xlsx(report: dict[str, Any], *, project_name: str) -> bytes:
    """The ESF+ participant figures of a payment claim: one row per indicator and partner, by sex."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101  a new workbook always has its first sheet
    sheet.title = "ESF+ indicators"
    period = report["period"]
    sheet.append([spreadsheet_safe(project_name)])
    sheet.append(["period", period["from"], period["to"]])
    header = [
        "indicator",
        "title",
        "partner",
        "period_women",
        "period_men",
        "period_total",
        "cumulative_women",
        "cumulative_men",
        "cumulative_total",
    ]
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    scopes = [("all", report["indicators"]), *report["partners"].items()]
    for partner, figures in scopes:
        for key, f in figures.items():
            p, c = f["period"], f["cumulative"]
            row = [key, f["title"], partner, p["female"], p["male"], p["total"], c["female"], c["male"], c["total"]]
            sheet.append([spreadsheet_safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
