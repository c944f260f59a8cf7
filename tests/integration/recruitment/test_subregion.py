"""Recruitment takes a participant's county from the project's subregion, and flags those from outside it."""

from __future__ import annotations

from helpers import make_pesel, participant_form, payloads, running

PROBLEM = "application/problem+json"


class TestCountyOfResidence:
    async def test_one_county_however_it_is_written_with_its_teryt_code(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            ids = []
            for written in ("Rybnik", "rybnik", "RYBNIK", "2473", "Żory", "ZORY", "Wodzisławski"):
                created = await rec.post("/participants", json=participant_form(make_pesel(), county=written))
                assert created.status_code == 201, created.text
                ids.append(created.json()["participant_id"])
            views = [(await rec.get(f"/participants/{pid}")).json() for pid in ids]
            assert [(v["county"], v["outside_subregion"]) for v in views] == [("rybnik", False)] * 4 + [
                ("zory", False)
            ] * 2 + [("wodzislawski", False)]
            events = payloads(await published(rec), "ParticipantRecruited")
            assert (
                sorted((e["county"], e["county_teryt"], e["outside_subregion"]) for e in events)
                == [("rybnik", "2473", False)] * 4 + [("wodzislawski", "2415", False)] + [("zory", "2479", False)] * 2
            )

    async def test_a_county_outside_the_subregion_is_refused_unless_the_form_says_so(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            refused = await rec.post("/participants", json=participant_form(make_pesel(), county="Katowice"))
            assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
            assert refused.json()["field"] == "county"
            assert (
                "not in the project's subregion (Jastrzębie-Zdrój, Żory, Rybnik, rybnicki, wodzisławski, "
                "raciborski)" in refused.json()["detail"]
            )
            flagged = await rec.post(
                "/participants", json=participant_form(make_pesel(), county="Katowice", outside_subregion=True)
            )
            assert flagged.status_code == 201, flagged.text
            view = (await rec.get(f"/participants/{flagged.json()['participant_id']}")).json()
            assert (view["county"], view["outside_subregion"]) == ("katowice", True)
            events = payloads(await published(rec), "ParticipantRecruited")
            assert [(e["county"], e["county_teryt"], e["outside_subregion"]) for e in events] == [
                ("katowice", None, True)
            ]  # the refused one published nothing


class TestOrganisationsAndGroups:
    async def test_are_based_in_the_subregion_and_their_county_is_its_code(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            form = {
                "organisation_type": "association",
                "organisation_name": "Stowarzyszenie Razem",
                "county": "ŻORY",
                "nip": "123-456-32-18",
                "regon": "123456785",
            }
            enrolled = await rec.post("/organisations", json=form)
            assert enrolled.status_code == 201, enrolled.text
            assert (await rec.get(f"/organisations/{enrolled.json()['organisation_id']}")).json()["county"] == "zory"
            elsewhere = await rec.post("/organisations", json=form | {"county": "Katowice", "nip": "5260250274"})
            assert elsewhere.status_code == 422 and elsewhere.json()["field"] == "county", elsewhere.text
            members = []
            for _ in range(2):
                pid = (await rec.post("/participants", json=participant_form(make_pesel()))).json()["participant_id"]
                assert (await rec.post(f"/participants/{pid}/eligibility", json={"eligible": True})).status_code == 200
                members.append(pid)
            group = await rec.post("/initiative-groups", json={"county": "Rybnicki", "member_ids": members})
            assert group.status_code == 201, group.text
            far = await rec.post("/initiative-groups", json={"county": "Gliwice", "member_ids": members})
            assert far.status_code == 422 and far.json()["field"] == "county", far.text
            records = await published(rec)
            assert [e["county"] for e in payloads(records, "OrganisationEnrolled")] == ["zory"]
            assert [e["county"] for e in payloads(records, "InitiativeGroupFormed")] == ["rybnicki"]
