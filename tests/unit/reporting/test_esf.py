"""ESF+ common indicators by sex, in a period and cumulatively, and the payment-claim sheet's safe cells."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from reporting import esf

D = dt.date


def entrant(n: int, gender: str, on: dt.date, partner: str = "jastrzebie-zdroj", **values) -> dict:
    row = dict.fromkeys(esf.COLUMNS) | {"participant_id": f"p{n}", "partner": partner, "gender": gender}
    return row | {"recruited_on": on, "labour_market_status": "inactive", "disability": False} | values


ROWS = [
    entrant(1, "female", D(2025, 1, 5), labour_market_status="long_term_unemployed", education="isced_0_2"),
    entrant(2, "male", D(2025, 2, 5), labour_market_status="unemployed", esf_age_group="18_29", minority="refused"),
    entrant(3, "female", D(2025, 4, 2), labour_market_status="employed", disability=True, homeless="yes"),
    entrant(4, "female", D(2025, 4, 3), partner="zory", esf_age_group="55_plus", rural=True),
]


def test_period_and_cumulative_figures_by_sex_and_partner():
    report = esf.esf_report(ROWS, period_from=D(2025, 4, 1), period_to=D(2025, 6, 30))
    figures = report["indicators"]
    assert figures["participants"]["period"] == {"female": 2, "male": 0, "total": 2}
    assert figures["participants"]["cumulative"] == {"female": 3, "male": 1, "total": 4}
    assert figures["unemployed_incl_long_term"]["cumulative"] == {"female": 1, "male": 1, "total": 2}
    assert figures["long_term_unemployed"]["cumulative"]["total"] == 1
    assert (figures["homeless"]["period"]["total"], figures["with_disabilities"]["period"]["female"]) == (1, 1)
    assert figures["refused_sensitive"]["cumulative"] == {"female": 0, "male": 1, "total": 1}
    assert report["partners"]["zory"]["rural"]["period"] == {"female": 1, "male": 0, "total": 1}
    assert report["partners"]["jastrzebie-zdroj"]["participants"]["cumulative"]["total"] == 3


def test_the_sheet_holds_the_figures_and_no_formula():
    report = esf.esf_report(ROWS, period_from=D(2025, 1, 1), period_to=D(2025, 3, 31))
    sheet = load_workbook(io.BytesIO(esf.payment_claim_xlsx(report, project_name="=HYPERLINK(1)")))["ESF+ indicators"]
    assert sheet["A1"].value == "'=HYPERLINK(1)"
    rows = {(r[0], r[2]): r[3:] for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows[("participants", "all")] == (1, 1, 2, 3, 1, 4)
    assert rows[("aged_55_plus", "zory")] == (0, 0, 0, 1, 0, 1)
    assert esf.spreadsheet_safe("+48 600") == "'+48 600" and esf.spreadsheet_safe("-1") == "'-1"
    assert esf.spreadsheet_safe(5) == 5
