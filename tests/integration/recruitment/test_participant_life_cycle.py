"""Recruitment: a participant's eligibility, withdrawal and GDPR erasure, each published as a fact that
carries the pseudonymous id only."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from helpers import assert_problem, event_name, participant_form, payloads, row_count, running

PROBLEM = "application/problem+json"


async def register(client, **overrides) -> str:
    response = await client.post("/participants", json=participant_form(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["participant_id"]


async def participant_row(client, participant_id: str):
    async with client.runtime.engine.connect() as conn:
        return (
            (
                await conn.execute(
                    sa.text("SELECT * FROM participants WHERE participant_id = :id"), {"id": participant_id}
                )
            )
            .mappings()
            .one()
        )


class TestEligibility:
    async def test_confirmation_and_rejection_are_recorded_and_published(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            eligible = await register(rec)
            rejected = await register(rec)
            response = await rec.post(
                f"/participants/{eligible}/eligibility", json={"eligible": True, "decided_on": str(dt.date.today())}
            )
            assert response.status_code == 200, response.text
            assert response.json() == {"participant_id": eligible, "status": "eligible"}
            response = await rec.post(
                f"/participants/{rejected}/eligibility",
                json={"eligible": False, "reason_code": "outside_subregion", "note": "Mieszka w Katowicach u siostry"},
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "rejected"
            # a caller of the earlier free-text API: its words are kept as the note, the event says "other"
            legacy = await register(rec)
            response = await rec.post(
                f"/participants/{legacy}/eligibility", json={"eligible": False, "reason": "Nie pasuje do grupy"}
            )
            assert response.status_code == 200, response.text

            view = (await rec.get(f"/participants/{rejected}")).json()
            assert view["status"] == "rejected" and view["rejection_reason_code"] == "outside_subregion"
            assert view["rejection_reason"] == "Mieszka w Katowicach u siostry"  # the note, kept here
            assert view["eligibility_decided_on"] == str(dt.date.today())
            legacy_view = (await rec.get(f"/participants/{legacy}")).json()
            assert legacy_view["rejection_reason_code"] == "other"
            assert legacy_view["rejection_reason"] == "Nie pasuje do grupy"
            records = await published(rec)

        assert payloads(records, "ParticipantEligibilityConfirmed") == [
            {"participant_id": eligible, "confirmed_on": str(dt.date.today())}
        ]
        # only the code and its fixed label travel; staff's words never do
        assert sorted(payloads(records, "ParticipantEligibilityRejected"), key=lambda p: p["reason_code"]) == [
            {
                "participant_id": legacy,
                "rejected_on": str(dt.date.today()),
                "reason": "Other reason",
                "reason_code": "other",
            },
            {
                "participant_id": rejected,
                "rejected_on": str(dt.date.today()),
                "reason": "Lives outside the subregion",
                "reason_code": "outside_subregion",
            },
        ]
        assert len(payloads(records, "ParticipantRecruited")) == 3

    async def test_malformed_decisions_are_refused_and_nothing_is_published(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            participant_id = await register(rec, recruited_on="2026-03-02")
            refused = {
                "rejection without a reason": {"eligible": False},
                "rejection with a blank reason": {"eligible": False, "reason": "   "},
                "confirmation with a reason": {"eligible": True, "reason": "Fits"},
                "confirmation with a reason code": {"eligible": True, "reason_code": "other"},
                "unknown reason code": {"eligible": False, "reason_code": "too_old"},
                "a PESEL in the note": {"eligible": False, "reason_code": "other", "note": "Jan, 02070803628"},
                "an e-mail in the note": {"eligible": False, "reason_code": "other", "note": "pisać: jan@example.org"},
                "a phone in the legacy reason": {"eligible": False, "reason": "dzwonić 600 100 200"},
                "unknown field": {"eligible": True, "score": 7},
                "decision before recruitment": {"eligible": True, "decided_on": "2026-03-01"},
            }
            for case, body in refused.items():
                response = await rec.post(f"/participants/{participant_id}/eligibility", json=body)
                assert response.status_code == 422, case
                assert response.headers["content-type"] == PROBLEM, case
            detail = response.json()["detail"]
            assert "before the recruitment date" in detail and response.json()["field"] == "decided_on"

            response = await rec.post("/participants/p_doesnotexist00/eligibility", json={"eligible": True})
            assert response.status_code == 404
            assert response.headers["content-type"] == PROBLEM

            assert (await participant_row(rec, participant_id))["status"] == "recruited"
            records = await published(rec)
        assert [event_name(r) for r in records] == ["ParticipantRecruited"]


class TestStateRules:
    async def test_decisions_and_withdrawals_follow_the_life_cycle(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            participant_id = await register(rec)
            confirm = {"eligible": True}
            assert (await rec.post(f"/participants/{participant_id}/eligibility", json=confirm)).status_code == 200

            again = await rec.post(f"/participants/{participant_id}/eligibility", json=confirm)
            assert again.status_code == 409
            assert again.headers["content-type"] == PROBLEM
            assert "already decided" in again.json()["detail"]

            refused = await rec.post(
                f"/participants/{participant_id}/withdrawal",
                json={"reason_code": "employment", "note": "nowy numer +48 600 100 200"},
            )
            assert refused.status_code == 422 and refused.json()["errors"][0]["type"] == "personal_data"
            response = await rec.post(
                f"/participants/{participant_id}/withdrawal",
                json={"reason_code": "employment", "note": "Took up employment elsewhere"},
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "withdrawn"

            for path, body in (
                (f"/participants/{participant_id}/withdrawal", {"reason": "Again"}),
                (f"/participants/{participant_id}/eligibility", confirm),
            ):
                response = await rec.post(path, json=body)
                assert response.status_code == 409, path
                assert "withdrawn" in response.json()["detail"]

            rejected = await register(rec)
            await rec.post(f"/participants/{rejected}/eligibility", json={"eligible": False, "reason": "Too far"})
            response = await rec.post(f"/participants/{rejected}/withdrawal", json={"reason": "Leaving"})
            assert response.status_code == 409 and "not eligible" in response.json()["detail"]

            response = await rec.post(f"/participants/{participant_id}/withdrawal", json={})
            assert response.status_code == 422  # a reason is required

            view = (await rec.get(f"/participants/{participant_id}")).json()
            assert view["status"] == "withdrawn" and view["withdrawal_reason"] == "Took up employment elsewhere"
            assert view["withdrawal_reason_code"] == "employment"
            records = await published(rec)

        assert sorted(event_name(r) for r in records) == [
            "ParticipantEligibilityConfirmed",
            "ParticipantEligibilityRejected",
            "ParticipantRecruited",
            "ParticipantRecruited",
            "ParticipantWithdrawn",
        ]
        assert payloads(records, "ParticipantWithdrawn") == [
            {
                "participant_id": participant_id,
                "withdrawn_on": str(dt.date.today()),
                "reason": "Took up employment",
                "reason_code": "employment",
            }
        ]


class TestErasure:
    async def test_erasure_removes_personal_data_and_keeps_the_coarse_attributes(
        self, recruitment_after_retention, published
    ):
        form = participant_form(
            phone="+48 600 100 200",
            address="ul. Wrzosowa 12A, Jastrzębie-Zdrój",
            county="wodzislawski",
            disability=True,
            labour_market_status="long_term_unemployed",
        )
        async with running(recruitment_after_retention) as rec:
            response = await rec.post("/participants", json=form)
            participant_id = response.json()["participant_id"]
            confirmed = await rec.post(f"/participants/{participant_id}/eligibility", json={"eligible": True})
            assert confirmed.status_code == 200
            before = await participant_row(rec, participant_id)

            response = await rec.delete(f"/participants/{participant_id}/personal-data")
            assert response.status_code == 204

            after = await participant_row(rec, participant_id)
            for column in ("pesel", "first_name", "last_name", "email", "phone", "address"):
                assert before[column] is not None and after[column] is None, column
            for column in (
                "participant_id",
                "county",
                "gender",
                "age_band",
                "labour_market_status",
                "disability",
                "at_risk_of_exclusion",
                "status",
                "recruited_on",
            ):
                assert after[column] == before[column], column
            assert after["county"] == "wodzislawski" and after["disability"] and after["status"] == "eligible"
            view = (await rec.get(f"/participants/{participant_id}")).json()
            assert view["erased"] is True and view["first_name"] is None and view["pesel"] is None

            # erasing again changes nothing and publishes nothing; the same person may register anew
            assert (await rec.delete(f"/participants/{participant_id}/personal-data")).status_code == 204
            assert (await rec.post("/participants", json=form)).status_code == 201
            assert (await rec.delete("/participants/p_doesnotexist00/personal-data")).status_code == 404
            assert await row_count(rec, "participants") == 2
            records = await published(rec)

        assert payloads(records, "ParticipantDataErased") == [
            {"participant_id": participant_id, "erased_on": str(dt.date.today())}
        ]
        pesel = form["pesel"].encode()
        assert not any(pesel in r.value or b"Nowak" in r.value for r in records)

    async def test_eligibility_of_an_erased_participant_cannot_be_decided(self, recruitment_after_retention, published):
        async with running(recruitment_after_retention) as rec:
            participant_id = await register(rec)
            assert (await rec.delete(f"/participants/{participant_id}/personal-data")).status_code == 204
            response = await rec.post(f"/participants/{participant_id}/eligibility", json={"eligible": True})
            assert response.status_code == 409 and "erased" in response.json()["detail"]
            records = await published(rec)
        assert sorted(event_name(r) for r in records) == ["ParticipantDataErased", "ParticipantRecruited"]


class TestRegistration:
    async def test_a_pesel_already_registered_is_refused_and_nothing_is_written(self, recruitment_app, published):
        form = participant_form()
        async with running(recruitment_app) as client:
            first = await register(client, pesel=form["pesel"])
            again = await client.post("/participants", json=participant_form(pesel=form["pesel"], first_name="Ewa"))
            body = assert_problem(again, 409, "PESEL")
            assert "pesel" in json.dumps(body)  # the field is named
            async with client.runtime.engine.connect() as conn:
                rows = (await conn.execute(sa.text("SELECT participant_id, first_name FROM participants"))).all()
                outbox = await conn.scalar(sa.text("SELECT count(*) FROM outbox"))
            assert [tuple(r) for r in rows] == [(first, "Anna")]
            assert outbox == 1  # the first registration's event only
            assert (await client.post("/participants", json=participant_form())).status_code == 201
