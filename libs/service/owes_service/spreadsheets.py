"""Cells that open safely in a spreadsheet (issue 13, "Bounds"): every CSV and XLSX export goes through here.

A text cell that begins with =, +, -, @, a tab or a carriage return is run as a formula by Excel and LibreOffice
(CSV injection: =HYPERLINK(...) sending data away, DDE commands); such text gets a leading apostrophe, which the
spreadsheet shows as plain text. Text reaches exports from events, which a partner's service writes: a county
or a name is not to be trusted as a cell. CSV starts with a UTF-8 byte-order mark, without which Excel reads
Polish letters as Windows-1250 mojibake.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def spreadsheet_safe(value: Any) -> Any:
    """The value as a cell: text a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, CR LF line ends, every cell made safe (None as an empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(h) for h in header])
    writer.writerows([["" if v is None else spreadsheet_safe(str(v)) for v in row] for row in rows])
    return (BOM + out.getvalue()).encode("utf-8")
