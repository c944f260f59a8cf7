"""Advisory: sessions and mentoring for participants recruitment confirmed eligible and organisations it
enrolled; anyone else, or bad hours, gets a problem and nothing is stored or published."""

from __future__ import annotations

import datetime as dt

from helpers import event_name, payloads, row_count, running

PROBLEM = "application/problem+json"


class TestRecordSupport:
    async def test_sessions_and_mentoring_for_a_participant_or_an_organisation_are_recorded_and_published(
        self, advisory_app, recruitment, published
    ):
        async with running(advisory_app) as adv:
            participant_id = await recruitment.eligible_participant(adv)
            organisation_id = await recruitment.enrolled_organisation(adv)

            response = await adv.post(
                "/advisory-sessions",
                json={
                    "kind": "legal",
                    "hours": "1.5",
                    "adviser_id": "adv_12",
                    "participant_id": participant_id,
                    "held_on": "2026-04-12",
                },
            )
            assert response.status_code == 201, response.text
            legal = response.json()["session_id"]
            response = await adv.post(
                "/advisory-sessions",
                json={"kind": "accounting", "hours": 2, "adviser_id": "adv_7", "organisation_id": organisation_id},
            )
            assert response.status_code == 201, response.text
            accounting = response.json()["session_id"]
            response = await adv.post(
                "/mentoring",
                json={
                    "mentor_id": "mentor_3",
                    "hours": "3.25",
                    "organisation_id": organisation_id,
                    "provided_on": "2026-06-02",
                },
            )
            assert response.status_code == 201, response.text
            mentoring_id = response.json()["mentoring_id"]

            view = (await adv.get(f"/advisory-sessions/{legal}")).json()
            assert view["hours"] == "1.50" and view["kind"] == "legal" and view["participant_id"] == participant_id
            assert (await adv.get(f"/mentoring/{mentoring_id}")).json()["hours"] == "3.25"
            assert (await adv.get("/advisory-sessions/ses_unknown")).status_code == 404
            assert await row_count(adv, "advisory_sessions") == 2
            records = await published(adv)

        assert sorted(payloads(records, "AdvisorySessionHeld"), key=lambda p: p["kind"]) == [
            {
                "session_id": accounting,
                "held_on": str(dt.date.today()),
                "kind": "accounting",
                "hours": "2.00",
                "adviser_id": "adv_7",
                "participant_id": None,
                "organisation_id": organisation_id,
            },
            {
                "session_id": legal,
                "held_on": "2026-04-12",
                "kind": "legal",
                "hours": "1.50",
                "adviser_id": "adv_12",
                "participant_id": participant_id,
                "organisation_id": None,
            },
        ]
        assert payloads(records, "MentoringProvided") == [
            {
                "mentoring_id": mentoring_id,
                "provided_on": "2026-06-02",
                "hours": "3.25",
                "mentor_id": "mentor_3",
                "participant_id": None,
                "organisation_id": organisation_id,
            }
        ]


class TestRefusals:
    async def test_unknown_ineligible_or_withdrawn_beneficiaries_and_bad_hours_are_refused(
        self, advisory_app, recruitment, published
    ):
        async with running(advisory_app) as adv:
            eligible = await recruitment.eligible_participant(adv)
            rejected = await recruitment.rejected_participant(adv)
            withdrawn = await recruitment.withdrawn_participant(adv)
            never_confirmed = "p_0000000000000000"

            beneficiaries = {
                (never_confirmed, None): "not known to advisory as eligible",
                (rejected, None): "found not eligible",
                (withdrawn, None): "has withdrawn",
                (None, "org_never_enrolled"): "not known to advisory as enrolled",
            }
            for (participant_id, organisation_id), why in beneficiaries.items():
                beneficiary = (
                    {"participant_id": participant_id} if participant_id else {"organisation_id": organisation_id}
                )
                for path, body in (
                    ("/advisory-sessions", {"kind": "general", "hours": 1, "adviser_id": "adv_1"}),
                    ("/mentoring", {"mentor_id": "mentor_1", "hours": 1}),
                ):
                    response = await adv.post(path, json=body | beneficiary)
                    assert response.status_code == 422, (path, why)
                    assert response.headers["content-type"] == PROBLEM
                    problem = response.json()
                    assert why in problem["detail"], problem
                    assert problem["field"] == ("participant_id" if participant_id else "organisation_id")

            session = {"kind": "business", "adviser_id": "adv_1", "participant_id": eligible}
            bad_hours = {0: "positive", -1: "positive", "0.1": "quarter hours", 9: "at most 8"}
            for hours, why in bad_hours.items():
                response = await adv.post("/advisory-sessions", json=session | {"hours": hours})
                assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
                assert response.json()["field"] == "hours" and why in response.json()["detail"]
            response = await adv.post(
                "/mentoring", json={"mentor_id": "m_1", "hours": "8.5", "participant_id": eligible}
            )
            assert response.status_code == 422 and "at most 8" in response.json()["detail"]

            tomorrow = str(dt.date.today() + dt.timedelta(days=1))
            malformed = [
                session | {"hours": "abc"},
                session | {"hours": 1, "kind": "astrology"},
                session | {"hours": 1, "organisation_id": "org_1"},  # two beneficiaries
                {"kind": "general", "hours": 1, "adviser_id": "adv_1"},  # none
                session | {"hours": 1, "notes": "free text"},
                session | {"hours": 1, "held_on": tomorrow},
            ]
            for body in malformed:
                response = await adv.post("/advisory-sessions", json=body)
                assert response.status_code == 422 and response.headers["content-type"] == PROBLEM, body

            assert await row_count(adv, "advisory_sessions") == 0
            assert await row_count(adv, "mentoring") == 0
            assert await row_count(adv, "outbox") == 0
            assert await published(adv) == []

            # the same participant is served once the request is right: the refusals were about the input
            ok = await adv.post("/advisory-sessions", json=session | {"hours": "0.75"})
            assert ok.status_code == 201, ok.text
            assert [event_name(r) for r in await published(adv)] == ["AdvisorySessionHeld"]
