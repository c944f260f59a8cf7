"""The participant data sheet for the central monitoring system: one row per participant with the form's fields,
personal data included; only the operating partner exports it, and each export is an audit row."""

from __future__ import annotations

import csv
import datetime as dt
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from helpers import assert_problem, client_as, make_pesel, participant_form, running


async def exports_audited(client) -> list[str]:
    async with client.runtime.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT entity_id FROM audit_log WHERE path = '/participants/data-sheet' ORDER BY id")
        )
        return [r[0] for r in rows]


class TestParticipantDataSheet:
    async def test_one_row_per_participant_for_the_operating_partner_only_each_export_audited(self, recruitment_app):
        async with running(recruitment_app) as rec:
            forms = [
                participant_form(
                    make_pesel(dt.date(1990, 1, 1), female=True),
                    first_name="Żaneta",
                    last_name="Łęcka",
                    phone="+48 600 100 200",
                    recruited_on="2025-03-03",
                    unemployed_months=13,
                    education="isced_3_4",
                    minority="refused",
                ),
                participant_form(
                    make_pesel(dt.date(2003, 5, 5), female=False), first_name="=HYPERLINK(1)", recruited_on="2025-03-04"
                ),
            ]
            ids = [(await rec.post("/participants", json=form)).json()["participant_id"] for form in forms]

            for role in ("lead", "integrator", "partner:grants"):
                async with client_as(rec, role) as other:
                    assert_problem(await other.get("/participants/data-sheet"), 403)
            assert await exports_audited(rec) == []

            response = await rec.get("/participants/data-sheet", params={"format": "csv"})
            assert response.status_code == 200, response.text
            assert response.content.startswith("\ufeff".encode())
            rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
            assert [r["participant_id"] for r in rows] == ids
            first, second = rows
            assert (first["pesel"], first["first_name"], first["last_name"], first["phone"]) == (
                forms[0]["pesel"],
                "Żaneta",
                "Łęcka",
                "'+48 600 100 200",
            )
            assert (first["age_at_entry"], first["labour_market_status"], first["education"], first["minority"]) == (
                "35",
                "long_term_unemployed",
                "isced_3_4",
                "refused",
            )
            assert (second["first_name"], second["gender"], second["start_date"]) == (
                "'=HYPERLINK(1)",
                "male",
                "2025-03-04",
            )

            sheet = load_workbook(io.BytesIO((await rec.get("/participants/data-sheet")).content))["Participants"]
            values = list(sheet.iter_rows(values_only=True))
            assert values[0][:4] == ("participant_id", "pesel", "first_name", "last_name")
            assert [v[0] for v in values[1:]] == ids and values[2][2] == "'=HYPERLINK(1)"
            assert await exports_audited(rec) == ["participant-data-sheet:csv:2", "participant-data-sheet:xlsx:2"]
