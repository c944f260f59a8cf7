"""The participant data sheet the beneficiary uploads to the central monitoring system (CST2021): one row per
participant with the participant form's fields, personal data included. It leaves recruitment only through this
export, for the operating partner, and each export is an audit row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from owes_service.identifiers import pesel_birth_date

from .tables import participants

COLUMNS = (
    "participant_id",
    "pesel",
    "first_name",
    "last_name",
    "gender",
    "age_at_entry",
    "email",
    "phone",
    "address",
    "county",
    "outside_subregion",
    "rural",
    "start_date",
    "labour_market_status",
    "unemployed_months",
    "education",
    "disability",
    "third_country_national",
    "foreign_background",
    "minority",
    "homeless",
    "at_risk_of_exclusion",
    "at_risk_categories",
    "status",
    "personal_data_erased",
)
FORMULA_STARTS = ("=", "+", "-", "@")


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would take for a formula (=, +, -, @ first: a phone "+48 ...", a name "=...") is
    written as text, with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _age(pesel: str | None, start: dt.date) -> int | None:
    if not pesel:
        return None
    birth = pesel_birth_date(pesel)
    return start.year - birth.year - ((start.month, start.day) < (birth.month, birth.day))


def _categories(codes: list[str] | None) -> str | None:
    """The social economy act's categories in one cell, as codes (docs/services.md lists them); empty when none
    were recorded (recruited before they were, or erased)."""
    return ", ".join(codes) if codes else None


async def participant_rows(session: AsyncSession) -> list[list[Any]]:
    """Every participant in the order they started, as the sheet's rows."""
    p = participants.c
    rows = (await session.execute(sa.select(participants).order_by(p.recruited_on, p.participant_id))).all()
    return [
        [
            r.participant_id,
            r.pesel,
            r.first_name,
            r.last_name,
            r.gender,
            _age(r.pesel, r.recruited_on),
            r.email,
            r.phone,
            r.address,
            r.county,
            r.outside_subregion,
            r.rural,
            r.recruited_on.isoformat(),
            r.labour_market_status,
            r.unemployed_months,
            r.education,
            r.disability,
            r.third_country_national,
            r.foreign_background,
            r.minority,
            r.homeless,
            r.at_risk_of_exclusion,
            _categories(r.at_risk_categories),
            r.status,
            r.erased_at is not None,
        ]
        for r in rows
    ]


def as_csv(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so a spreadsheet opens Polish letters right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows([[spreadsheet_safe(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if sheet is None:  # a new workbook always has its first sheet
        sheet = workbook.create_sheet()
    sheet.title = "Participants"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([spreadsheet_safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
