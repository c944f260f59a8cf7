"""Recruitment: organisations enrol with validated registry identifiers; NGOs start economic activity."""

from __future__ import annotations

import datetime as dt

from helpers import event_name, participant_form, payloads, row_count, running

PROBLEM = "application/problem+json"


def organisation_form(**overrides) -> dict:
    form = {
        "organisation_type": "association",
        "organisation_name": "Stowarzyszenie Razem dla Żor",
        "county": "zory",
        "nip": "123-456-32-18",
        "regon": "123456785",
        "krs": "KRS 0000380128",
    }
    return form | overrides


class TestEnrolOrganisation:
    async def test_enrolled_organisation_is_stored_normalised_and_published(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            response = await rec.post("/organisations", json=organisation_form(enrolled_on="2026-02-10"))
            assert response.status_code == 201, response.text
            organisation_id = response.json()["organisation_id"]
            local_unit = await rec.post(
                "/organisations",
                json=organisation_form(
                    organisation_type="social_cooperative",
                    organisation_name="Spółdzielnia Socjalna Razem",
                    nip="5260250274",
                    regon="12345678512347",
                    krs="KRS 0000-380-129",
                    is_social_enterprise=True,
                    runs_economic_activity=True,
                ),
            )
            assert local_unit.status_code == 201, local_unit.text

            view = (await rec.get(f"/organisations/{organisation_id}")).json()
            assert (view["nip"], view["regon"], view["krs"]) == ("1234563218", "123456785", "0000380128")
            cooperative = (await rec.get(f"/organisations/{local_unit.json()['organisation_id']}")).json()
            assert (cooperative["regon"], cooperative["krs"]) == ("12345678512347", "0000380129")

            duplicate = await rec.post("/organisations", json=organisation_form(nip="1234563218", regon="000331501"))
            assert duplicate.status_code == 409
            assert duplicate.headers["content-type"] == PROBLEM and duplicate.json()["field"] == "nip"
            assert await row_count(rec, "organisations") == 2
            records = await published(rec)

        enrolled = payloads(records, "OrganisationEnrolled")
        assert len(enrolled) == 2
        assert {
            "organisation_id": organisation_id,
            "enrolled_on": "2026-02-10",
            "organisation_type": "association",
            "organisation_name": "Stowarzyszenie Razem dla Żor",
            "county": "zory",
            "is_social_enterprise": False,
            "runs_economic_activity": False,
            "legal_form": "legal_person",
        } in enrolled

    async def test_invalid_identifiers_are_refused_and_nothing_is_stored_or_published(self, recruitment_app, published):
        refused = {
            "nip": organisation_form(nip="1234563217"),
            "regon": organisation_form(regon="123456786"),
            "krs": organisation_form(krs="KRS 00003801289"),
        }
        schema_errors = [
            organisation_form(nip=None),
            organisation_form(organisation_type="club"),
            organisation_form(county=""),
            organisation_form(vat_payer=True),
        ]
        async with running(recruitment_app) as rec:
            for field, form in refused.items():
                response = await rec.post("/organisations", json=form)
                assert response.status_code == 422, field
                assert response.headers["content-type"] == PROBLEM
                problem = response.json()
                assert problem["field"] == field and problem["detail"].startswith(f"Invalid {field.upper()}")
            for form in schema_errors:
                response = await rec.post("/organisations", json=form)
                assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
            assert await row_count(rec, "organisations") == 0
            assert await row_count(rec, "outbox") == 0
            assert await published(rec) == []


class TestStartEconomicActivity:
    async def test_an_ngo_starting_economic_activity_is_recorded_once(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            ngo = (await rec.post("/organisations", json=organisation_form(enrolled_on="2026-02-10"))).json()
            business = (
                await rec.post(
                    "/organisations",
                    json=organisation_form(organisation_type="local_business", nip="5260250274", krs=None),
                )
            ).json()

            early = await rec.post(
                f"/organisations/{ngo['organisation_id']}/economic-activity",
                json={"activity": "economic", "started_on": "2026-02-09"},
            )
            assert early.status_code == 422 and early.json()["field"] == "started_on"
            response = await rec.post(
                f"/organisations/{ngo['organisation_id']}/economic-activity",
                json={"activity": "paid_public_benefit", "started_on": "2026-09-01"},
            )
            assert response.status_code == 200, response.text
            assert response.json()["runs_economic_activity"] is True
            assert response.json()["economic_activity"] == "paid_public_benefit"

            again = await rec.post(
                f"/organisations/{ngo['organisation_id']}/economic-activity", json={"activity": "economic"}
            )
            assert again.status_code == 409 and "already runs" in again.json()["detail"]
            not_ngo = await rec.post(
                f"/organisations/{business['organisation_id']}/economic-activity", json={"activity": "economic"}
            )
            assert not_ngo.status_code == 422 and "not an NGO" in not_ngo.json()["detail"]
            unknown = await rec.post("/organisations/org_unknown/economic-activity", json={"activity": "economic"})
            assert unknown.status_code == 404
            wrong_kind = await rec.post(
                f"/organisations/{ngo['organisation_id']}/economic-activity", json={"activity": "charity"}
            )
            assert wrong_kind.status_code == 422
            records = await published(rec)

        assert sorted(event_name(r) for r in records) == [
            "OrganisationEconomicActivityStarted",
            "OrganisationEnrolled",
            "OrganisationEnrolled",
        ]
        assert payloads(records, "OrganisationEconomicActivityStarted") == [
            {
                "organisation_id": ngo["organisation_id"],
                "started_on": str(dt.date(2026, 9, 1)),
                "activity": "paid_public_benefit",
            }
        ]


class TestNamesThatNamePeople:
    """A sole trader's or a civil partnership's name is its owners' names: it stays in recruitment (issue 13)."""

    async def test_the_name_of_a_sole_trader_stays_home_and_a_legal_persons_travels(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            response = await rec.post(
                "/organisations",
                json=organisation_form(
                    organisation_type="local_business",
                    legal_form="sole_trader",
                    organisation_name="Zdzisław Wróblewicz Usługi Remontowe",
                    nip="5260250274",
                    krs=None,
                ),
            )
            assert response.status_code == 201, response.text
            sole_trader = response.json()["organisation_id"]
            view = (await rec.get(f"/organisations/{sole_trader}")).json()
            assert view["organisation_name"] == "Zdzisław Wróblewicz Usługi Remontowe"  # staff still see it
            assert view["legal_form"] == "sole_trader"

            # only a local business may be people doing business under their own names
            refused = await rec.post(
                "/organisations",
                json=organisation_form(legal_form="civil_partnership", nip="7740001454", krs=None),
            )
            assert refused.status_code == 422 and "legal person" in refused.text
            assert await row_count(rec, "organisations") == 1
            records = await published(rec)

        [enrolled] = payloads(records, "OrganisationEnrolled")
        assert enrolled["organisation_name"] == f"Sole trader {sole_trader}"
        assert enrolled["legal_form"] == "sole_trader"
        assert not any(b"Wr\xc3\xb3blewicz" in r.value for r in records)


class TestIdentifiersAreCanonical:
    """Identifiers are ASCII digits, compared without spaces and dashes; one organisation per KRS (issue 13)."""

    async def test_a_repeat_written_differently_is_the_same_identifier(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            assert (await rec.post("/organisations", json=organisation_form())).status_code == 201
            again = await rec.post(
                "/organisations", json=organisation_form(nip="5260250274", regon="000331501", krs="0000-380 128")
            )
            assert again.status_code == 409 and again.json()["field"] == "krs", again.text
            for field, value in (
                ("krs", "KRS \uff10\uff10\uff10\uff10\uff13\uff18\uff10\uff11\uff12\uff18"),  # full-width
                ("nip", "\u0661\u0662\u0663\u0664\u0665\u0666\u0663\u0662\u0661\u0668"),  # Arabic-Indic
                ("regon", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff15"),
            ):
                form = organisation_form(nip="5260250274") | {field: value}
                refused = await rec.post("/organisations", json=form)
                assert refused.status_code == 422 and refused.json()["field"] == field, (field, refused.text)

            form = participant_form()
            pesel = form["pesel"]
            assert (await rec.post("/participants", json=form)).status_code == 201
            spaced = await rec.post("/participants", json=participant_form(pesel=f"{pesel[:6]} {pesel[6:]}"))
            assert spaced.status_code == 409 and spaced.json()["field"] == "pesel", spaced.text
            wide = "".join(chr(ord(d) + 0xFF10 - 0x30) for d in pesel)
            assert (await rec.post("/participants", json=participant_form(pesel=wide))).status_code == 422
            assert await row_count(rec, "organisations") == 1 and await row_count(rec, "participants") == 1
