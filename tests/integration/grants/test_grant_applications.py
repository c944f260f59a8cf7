"""Grant applications: submitted with a business plan, evaluated, awarded per job, disbursed up to the award."""

from __future__ import annotations

import asyncio

import pytest

from helpers import header, read_topic

pytestmark = pytest.mark.asyncio(loop_scope="package")
EUR = "4.3000"  # PLN for one EUR, given with each award (de minimis)

PLAN = {
    "summary": "Catering cooperative serving school canteens in Rybnik",
    "jobs_planned": 5,
    "amount_requested": "150000.00",
}


async def submit(client, applicant_id: str, kind: str = "initiative_group", **overrides):
    return await client.post(
        "/applications",
        json={"applicant_kind": kind, "applicant_id": applicant_id, **PLAN, "submitted_on": "2025-01-10", **overrides},
    )


async def submitted_application(client, feed, **overrides) -> str:
    group_id = await feed.initiative_group(await feed.eligible_participants(1))
    await feed.applied_by(client)
    response = await submit(client, group_id, **overrides)
    assert response.status_code == 201, response.text
    return response.json()["application_id"]


async def approved_application(client, feed, **overrides) -> str:
    application_id = await submitted_application(client, feed, **overrides)
    response = await client.post(
        f"/applications/{application_id}/evaluation",
        json={"score": 82, "outcome": "positive", "evaluated_on": "2025-01-20"},
    )
    assert response.status_code == 200, response.text
    return application_id


class TestSubmitApplication:
    async def test_initiative_group_application_is_stored_and_published(self, grants, feed, probe, kafka_bootstrap):
        group_id = await feed.initiative_group(await feed.eligible_participants(2))
        await feed.applied_by(grants)

        response = await submit(grants, group_id)

        assert response.status_code == 201, response.text
        view = response.json()
        application_id = view["application_id"]
        assert (view["status"], view["amount_requested"], view["remaining"]) == ("submitted", "150000.00", "0.00")
        assert (await grants.get(f"/applications/{application_id}")).json() == view
        assert await probe.events_of(application_id) == [
            (
                "GrantApplicationSubmitted",
                {
                    "application_id": application_id,
                    "submitted_on": "2025-01-10",
                    "applicant_kind": "initiative_group",
                    "applicant_id": group_id,
                    "jobs_planned": 5,
                    "amount_requested": "150000.00",
                },
            )
        ]
        [record] = [
            r for r in await read_topic(kafka_bootstrap, probe.topic, idle=0.3) if r.key == application_id.encode()
        ]
        assert header(record, "ce_source") == "/owes/rybnik/grants"
        assert header(record, "ce_partner") == "rybnik"

    async def test_enrolled_organisation_may_apply_and_an_unknown_applicant_may_not(self, grants, feed, probe, problem):
        organisation_id = await feed.organisation()
        await feed.applied_by(grants)
        accepted = await submit(grants, organisation_id, kind="organisation", amount_requested=98000)  # whole PLN
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["amount_requested"] == "98000.00"
        before = await probe.records()

        problem(await submit(grants, "grp_nobody"), 422, "No initiative group grp_nobody")
        problem(await submit(grants, "org_nobody", kind="organisation"), 422, "No organisation org_nobody")
        # an organisation's id does not name an initiative group
        problem(await submit(grants, organisation_id), 422, f"No initiative group {organisation_id}")

        assert await probe.records() == before
        [(name, payload)] = await probe.events_of(accepted.json()["application_id"])
        assert (name, payload["applicant_kind"], payload["amount_requested"]) == (
            "GrantApplicationSubmitted",
            "organisation",
            "98000.00",
        )

    async def test_refuses_amounts_that_are_not_positive_grosze_and_stores_nothing(self, grants, feed, probe, problem):
        group_id = await feed.initiative_group(await feed.eligible_participants(1))
        await feed.applied_by(grants)
        before = await probe.records()

        problem(await submit(grants, group_id, amount_requested="0"), 422, "greater than 0")
        problem(await submit(grants, group_id, amount_requested="-100.00"), 422, "greater than 0")
        problem(await submit(grants, group_id, amount_requested="100.005"), 422, "2 decimal places")
        problem(await submit(grants, group_id, amount_requested=100.5), 422, "never floats")
        problem(await submit(grants, group_id, jobs_planned=0), 422, "jobs_planned")
        problem(await submit(grants, group_id, submitted_on="2999-01-01"), 422, "in the future")
        problem(await submit(grants, group_id, surprise="field"), 422, "surprise")

        assert await probe.records() == before
        assert await probe.events_of(group_id) == []


class TestEvaluateAndAward:
    async def test_grant_is_the_job_creation_unit_rate_per_job_only_after_a_positive_evaluation(
        self, grants, feed, probe, problem
    ):
        """The shipped project is a 2021–2027 one: the grant per job is the unit rate in force on the award day."""
        application_id = await submitted_application(grants, feed)
        award = f"/applications/{application_id}/award"

        problem(
            await grants.post(
                award,
                json={
                    "eur_rate": EUR,
                },
            ),
            409,
            "only after a positive evaluation",
        )
        evaluated = await grants.post(
            f"/applications/{application_id}/evaluation",
            json={"score": 82, "outcome": "positive", "evaluated_on": "2025-01-20"},
        )
        assert evaluated.status_code == 200 and evaluated.json()["status"] == "approved"

        before = await probe.records()
        refused = problem(
            await grants.post(award, json={"eur_rate": EUR, "amount_per_job": "23500.50", "awarded_on": "2025-02-01"}),
            422,
            "unit rate for job creation in force on 2025-02-01: 35212.00 PLN",
        )
        assert refused["unit_rate"] == "35212.00"
        assert await probe.records() == before

        response = await grants.post(award, json={"eur_rate": EUR, "awarded_on": "2025-02-01"})

        assert response.status_code == 200, response.text
        view = response.json()
        assert (view["status"], view["jobs_awarded"], view["amount_per_job"], view["total_awarded"]) == (
            "awarded",
            5,
            "35212.00",
            "176060.00",
        )
        problem(await grants.post(award, json={"eur_rate": EUR, "amount_per_job": "1.00"}), 409, "already awarded")
        events = await probe.events_of(application_id)
        assert [name for name, _ in events] == [
            "GrantApplicationSubmitted",
            "GrantApplicationEvaluated",
            "GrantAwarded",
        ]
        assert events[1][1] == {
            "application_id": application_id,
            "evaluated_on": "2025-01-20",
            "score": 82,
            "outcome": "positive",
        }
        assert events[2][1] == {
            "application_id": application_id,
            "awarded_on": "2025-02-01",
            "jobs": 5,
            "amount_per_job": "35212.00",
            "total_amount": "176060.00",
        }

    async def test_refuses_award_amounts_that_are_not_positive_grosze_and_stores_nothing(
        self, grants, feed, probe, problem
    ):
        application_id = await approved_application(grants, feed)
        award = f"/applications/{application_id}/award"
        before = await probe.records()

        problem(await grants.post(award, json={"eur_rate": EUR, "amount_per_job": "0.00"}), 422, "greater than 0")
        problem(await grants.post(award, json={"eur_rate": EUR, "amount_per_job": "-23500.00"}), 422, "greater than 0")
        problem(
            await grants.post(award, json={"eur_rate": EUR, "amount_per_job": "23500.005"}), 422, "2 decimal places"
        )
        problem(await grants.post(award, json={"eur_rate": EUR, "amount_per_job": 23500.5}), 422, "never floats")
        problem(
            await grants.post(award, json={"eur_rate": EUR, "amount_per_job": "100.00", "jobs": 6}), 422, "1 to 5 jobs"
        )
        problem(
            await grants.post(award, json={"eur_rate": EUR, "amount_per_job": "100.00", "awarded_on": "2025-01-19"}),
            422,
            "before the evaluation",
        )

        assert await probe.records() == before
        assert (await grants.get(f"/applications/{application_id}")).json()["status"] == "approved"
        assert [name for name, _ in await probe.events_of(application_id)] == [
            "GrantApplicationSubmitted",
            "GrantApplicationEvaluated",
        ]

    async def test_negative_evaluation_closes_the_way_to_an_award(self, grants, feed, probe, problem):
        application_id = await submitted_application(grants, feed)
        evaluation = f"/applications/{application_id}/evaluation"

        problem(await grants.post(evaluation, json={"score": 101, "outcome": "positive"}), 422, "score")
        rejected = await grants.post(evaluation, json={"score": 31, "outcome": "negative"})
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"

        problem(await grants.post(evaluation, json={"score": 90, "outcome": "positive"}), 409, "already evaluated")
        problem(
            await grants.post(
                f"/applications/{application_id}/award",
                json={"eur_rate": EUR, "amount_per_job": "100.00"},
            ),
            409,
            "evaluated negatively",
        )
        problem(
            await grants.post("/applications/app_missing/evaluation", json={"score": 1, "outcome": "negative"}),
            404,
            "No application app_missing",
        )
        assert [name for name, _ in await probe.events_of(application_id)] == [
            "GrantApplicationSubmitted",
            "GrantApplicationEvaluated",
        ]


class TestDisburseGrant:
    async def test_disbursements_add_up_to_the_award_and_never_beyond(self, grants, feed, probe, problem):
        application_id = await approved_application(grants, feed, jobs_planned=2)
        url = f"/applications/{application_id}/disbursements"
        problem(await grants.post(url, json={"amount": "1.00"}), 409, "no grant awarded")
        awarded = await grants.post(
            f"/applications/{application_id}/award", json={"eur_rate": EUR, "awarded_on": "2025-02-01"}
        )
        assert awarded.json()["total_awarded"] == "70424.00"  # two jobs at the rate of 35212.00

        first = await grants.post(url, json={"amount": "70000.00", "disbursed_on": "2025-02-05"})
        assert first.status_code == 201, first.text
        before = await probe.records()
        body = problem(
            await grants.post(url, json={"amount": "424.01"}), 422, "exceed the grant awarded", "424.00 PLN remains"
        )
        assert body["remaining"] == "424.00"
        problem(await grants.post(url, json={"amount": "0"}), 422, "greater than 0")
        problem(await grants.post(url, json={"amount": "-5.00"}), 422, "greater than 0")
        problem(await grants.post(url, json={"amount": "1.001"}), 422, "2 decimal places")
        problem(await grants.post(url, json={"amount": "5.00", "disbursed_on": "2025-01-31"}), 422, "before the award")
        assert await probe.records() == before
        last = await grants.post(url, json={"amount": "424.00", "disbursed_on": "2025-03-05"})
        assert last.status_code == 201, last.text
        problem(await grants.post(url, json={"amount": "0.01"}), 422, "exceed the grant awarded")

        view = (await grants.get(f"/applications/{application_id}")).json()
        assert (view["total_awarded"], view["disbursed"], view["remaining"]) == ("70424.00", "70424.00", "0.00")
        assert [d["amount"] for d in view["disbursements"]] == ["70000.00", "424.00"]
        events = await probe.events_of(application_id)
        assert [(name, payload.get("disbursement_id"), payload.get("amount")) for name, payload in events][2:] == [
            ("GrantAwarded", None, None),
            ("GrantDisbursed", first.json()["disbursement_id"], "70000.00"),
            ("GrantDisbursed", last.json()["disbursement_id"], "424.00"),
        ]

    async def test_concurrent_disbursements_never_exceed_the_award_together(self, grants, feed, probe):
        application_id = await approved_application(grants, feed, jobs_planned=2)
        await grants.post(f"/applications/{application_id}/award", json={"eur_rate": EUR, "awarded_on": "2025-02-01"})
        url = f"/applications/{application_id}/disbursements"

        # 70424.00 awarded (two jobs at the unit rate): room for four payments of a quarter of it
        responses = await asyncio.gather(*(grants.post(url, json={"amount": "17606.00"}) for _ in range(6)))

        assert sorted(r.status_code for r in responses) == [201] * 4 + [422] * 2
        assert (await grants.get(f"/applications/{application_id}")).json()["disbursed"] == "70424.00"
        assert [name for name, _ in await probe.events_of(application_id)].count("GrantDisbursed") == 4

    async def test_unknown_application_is_not_found(self, grants, problem):
        problem(
            await grants.post("/applications/app_missing/disbursements", json={"amount": "1.00"}),
            404,
            "No application app_missing",
        )
        problem(await grants.get("/applications/app_missing"), 404, "No application app_missing")


class TestDeMinimis:
    async def test_awards_to_one_undertaking_stay_under_the_ceiling_and_a_refusal_tells_the_headroom(
        self, grants, feed, probe, problem
    ):
        organisation_id = await feed.organisation()
        await feed.applied_by(grants)

        async def approved(jobs: int) -> str:
            submitted = await submit(grants, organisation_id, kind="organisation", jobs_planned=jobs)
            application_id = submitted.json()["application_id"]
            await grants.post(
                f"/applications/{application_id}/evaluation",
                json={"score": 80, "outcome": "positive", "evaluated_on": "2025-01-20"},
            )
            return application_id

        first, second = await approved(2), await approved(1)
        headroom = f"/de-minimis/organisation/{organisation_id}"
        assert (await grants.get(headroom, params={"on": "2025-02-01"})).json()["headroom_eur"] == "300000.00"
        # 2 x 35212.00 PLN at 0.25 PLN for a euro (a rate that makes the ceiling near): EUR 281696.00
        awarded = await grants.post(
            f"/applications/{first}/award", json={"eur_rate": "0.25", "awarded_on": "2025-02-01"}
        )
        assert awarded.status_code == 200, awarded.text
        before = await probe.records()

        refused = problem(
            await grants.post(f"/applications/{second}/award", json={"eur_rate": "0.25", "awarded_on": "2025-02-01"}),
            422,
            "would exceed the ceiling of EUR 300000.00",
            "EUR 18304.00 remains",
        )

        assert (refused["headroom_eur"], refused["headroom_pln"], refused["granted_eur"]) == (
            "18304.00",
            "4576.00",
            "281696.00",
        )
        assert await probe.records() == before
        assert (await grants.get(f"/applications/{second}")).json()["status"] == "approved"
        # at 2.00 PLN for a euro the one job is EUR 17606.00: within the headroom
        accepted = await grants.post(
            f"/applications/{second}/award", json={"eur_rate": "2.00", "awarded_on": "2025-02-01"}
        )
        assert accepted.status_code == 200, accepted.text
        room = (await grants.get(headroom, params={"on": "2025-02-01"})).json()
        assert (room["ceiling_eur"], room["window_from"], room["granted_eur"], room["headroom_eur"]) == (
            "300000.00",
            "2022-02-02",
            "299302.00",
            "698.00",
        )
        # three years on, the aid of 2025-02-01 falls out of the rolling window
        later = (await grants.get(headroom, params={"on": "2028-02-01"})).json()
        assert (later["window_from"], later["headroom_eur"]) == ("2025-02-02", "300000.00")
        problem(await grants.get("/de-minimis/organisation/org_unknown"), 404, "org_unknown")
        problem(await grants.post(f"/applications/{first}/award", json={}), 422, "eur_rate")
