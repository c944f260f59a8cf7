"""Why a participant is at risk of social exclusion: the social economy act's categories are recorded at
recruitment, agree with the coarse flag, stay in recruitment (the event carries the flag only), and reach the
participant data sheet; erasure takes them with the personal data."""

from __future__ import annotations

import csv
import io

from helpers import assert_problem, participant_form, payloads, row_count, running


class TestAtRiskCategories:
    async def test_recorded_with_the_flag_they_imply_and_kept_out_of_the_event(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            form = participant_form(at_risk_categories=["disability", "long_term_unemployed", "disability"])
            del form["at_risk_of_exclusion"]  # left out, the flag follows the categories
            created = await rec.post("/participants", json=form)
            assert created.status_code == 201, created.text
            pid = created.json()["participant_id"]
            got = (await rec.get(f"/participants/{pid}")).json()
            # each category once, in the act's order, whatever order or repetition they came in
            assert (got["at_risk_of_exclusion"], got["at_risk_categories"]) == (
                True,
                ["long_term_unemployed", "disability"],
            )

            not_at_risk = participant_form(at_risk_of_exclusion=False, at_risk_categories=[])
            other = (await rec.post("/participants", json=not_at_risk)).json()["participant_id"]
            got = (await rec.get(f"/participants/{other}")).json()
            assert (got["at_risk_of_exclusion"], got["at_risk_categories"]) == (False, [])

            events = {e["participant_id"]: e for e in payloads(await published(rec), "ParticipantRecruited")}
            assert (events[pid]["at_risk_of_exclusion"], events[other]["at_risk_of_exclusion"]) == (True, False)
            assert not any("categor" in key for event in events.values() for key in event)

    async def test_a_flag_and_categories_that_disagree_are_refused_and_nothing_is_stored(self, recruitment_app):
        async with running(recruitment_app) as rec:
            before = await row_count(rec, "participants")
            without = assert_problem(
                await rec.post("/participants", json=participant_form(at_risk_categories=[])),
                422,
                "needs at least one category of the social economy act",
            )
            assert without["field"] == "at_risk_categories"
            contradicted = assert_problem(
                await rec.post(
                    "/participants", json=participant_form(at_risk_of_exclusion=False, at_risk_categories=["homeless"])
                ),
                422,
                "is at risk of social exclusion",
            )
            assert contradicted["field"] == "at_risk_categories"
            assert_problem(
                await rec.post("/participants", json=participant_form(at_risk_categories=["poor"])),
                422,
                "at_risk_categories",
            )
            assert_problem(await rec.post("/participants", json=participant_form(at_risk_categories="homeless")), 422)
            assert await row_count(rec, "participants") == before

    async def test_the_data_sheet_lists_them_and_erasure_removes_them(self, recruitment_after_retention):
        async with running(recruitment_after_retention) as rec:
            at_risk = participant_form(at_risk_categories=["refugee", "unemployed"])
            first = (await rec.post("/participants", json=at_risk)).json()["participant_id"]
            plain = participant_form(at_risk_of_exclusion=False, at_risk_categories=[])
            second = (await rec.post("/participants", json=plain)).json()["participant_id"]

            def sheet(response) -> dict[str, dict[str, str]]:
                assert response.status_code == 200, response.text
                rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
                return {row["participant_id"]: row for row in rows}

            rows = sheet(await rec.get("/participants/data-sheet", params={"format": "csv"}))
            assert (rows[first]["at_risk_of_exclusion"], rows[first]["at_risk_categories"]) == (
                "True",
                "unemployed, refugee",
            )
            assert (rows[second]["at_risk_of_exclusion"], rows[second]["at_risk_categories"]) == ("False", "")

            erased = await rec.delete(f"/participants/{first}/personal-data")
            assert erased.status_code in (200, 202, 204), erased.text
            got = (await rec.get(f"/participants/{first}")).json()
            assert (got["erased"], got["at_risk_of_exclusion"], got["at_risk_categories"]) == (True, True, None)
            rows = sheet(await rec.get("/participants/data-sheet", params={"format": "csv"}))
            assert (rows[first]["at_risk_of_exclusion"], rows[first]["at_risk_categories"]) == ("True", "")
