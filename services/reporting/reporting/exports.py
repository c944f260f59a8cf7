"""Exports of the report as CSV and XLSX (openpyxl): indicators, breakdowns and monthly series."""

from __future__ import annotations

import io
from collections.abc import Set
from decimal import Decimal
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from owes_service.spreadsheets import csv_bytes, spreadsheet_safe

from .schemas import target_json
from .service import DIMENSION_TITLES, Report

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

EXPORTS = ("indicators", "breakdowns", "series")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def indicator_rows(report: Report) -> tuple[list[str], list[list]]:
    header = ["indicator", "title", "unit", "value", "target", "progress_percent"]
    rows = [
        [f.indicator.key, f.indicator.title, f.indicator.unit, f.value, target_json(f.target), f.progress_percent]
        for f in report.figures.values()
    ]
    return header, rows


def breakdown_rows(report: Report, dimension: str | None = None) -> tuple[list[str], list[list]]:
    header = ["indicator", "dimension", "bucket", "value", "unit"]
    rows = []
    for f in report.figures.values():
        for dim in f.indicator.dimensions:
            if dimension and dim != dimension:
                continue
            rows += [[f.indicator.key, dim, bucket, value, f.indicator.unit] for bucket, value in f.breakdown(dim)]
    return header, rows


def series_rows(report: Report) -> tuple[list[str], list[list]]:
    header = ["month", *report.figures]
    by_indicator = [f.series(report.months) for f in report.figures.values()]
    rows = [[month, *(s[i][1] for s in by_indicator)] for i, month in enumerate(report.months)]
    return header, rows


def table(report: Report, name: str, dimension: str | None = None) -> tuple[list[str], list[list]]:
    if name == "indicators":
        return indicator_rows(report)
    if name == "breakdowns":
        return breakdown_rows(report, dimension)
    return series_rows(report)


def to_csv(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 with a BOM, formula-like text neutralised (owes_service.spreadsheets)."""
    return csv_bytes(header, rows)


_HEAD = Font(bold=True, color="FFFFFF")
_FILL = PatternFill("solid", fgColor="1E3A8A")


def _sheet(ws: Worksheet, header: list[str], rows: list[list], money_columns: Set[int] = frozenset()) -> None:
    ws.append(header)
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = _HEAD, _FILL, Alignment(vertical="center")
    for row in rows:
        ws.append([spreadsheet_safe(v) for v in row])  # a county or a name from an event is no formula
    for col in range(1, len(header) + 1):
        letter = get_column_letter(col)
        width = max(len(str(c.value)) if c.value is not None else 0 for c in ws[letter])
        ws.column_dimensions[letter].width = min(60, max(10, width + 2))
        for cell in ws[letter][1:]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    ws.freeze_panes = "A2"


def to_xlsx(report: Report, names: tuple[str, ...] = EXPORTS, dimension: str | None = None) -> bytes:
    """A workbook with one sheet per export (numbers as numbers: Decimal cells with two places)."""
    wb = Workbook()
    wb.remove(wb.active)
    titles = {"indicators": "Indicators", "breakdowns": "Breakdowns", "series": "Monthly"}
    for name in names:
        header, rows = table(report, name, dimension)
        _sheet(wb.create_sheet(titles[name]), header, rows)
    about = wb.create_sheet("About")
    about.append(["project", spreadsheet_safe(report.project)])
    # the project's wall clock with its offset (e.g. 2026-01-01T00:30:00+01:00), as the people reading it live
    about.append(["generated_at", report.generated_at.isoformat()])
    about.append(["time_zone", str(report.generated_at.tzinfo)])
    about.append(["targets", spreadsheet_safe(report.targets_source)])
    for f in report.figures.values():
        about.append([f.indicator.key, spreadsheet_safe(f.indicator.definition)])
    about.column_dimensions["A"].width = 34
    about.column_dimensions["B"].width = 120
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["DIMENSION_TITLES", "EXPORTS", "FORMATS", "table", "to_csv", "to_xlsx"]
