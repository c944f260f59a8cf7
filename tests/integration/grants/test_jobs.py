"""Jobs in social cooperatives: held by eligible participants, paid monthly bridge support on a schedule,
checked for sustainability 12 months after creation, ended."""

from __future__ import annotations

import datetime as dt
import random

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="package")


async def founded_cooperative(client, feed, *, founded_on: str = "2024-12-02") -> tuple[str, list[str]]:
    """A cooperative of five eligible founders, and the founders."""
    founders = await feed.eligible_participants(5)
    await feed.applied_by(client)
    response = await client.post(
        "/cooperatives",
        json={
            "krs": str(random.randrange(100_000, 9_999_999_999)),
            "cooperative_name": "Spółdzielnia Socjalna Ogród",
            "county": "rybnicki",
            "founder_ids": founders,
            "founded_on": founded_on,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["cooperative_id"], founders


async def created_job(client, feed, *, created_on: str = "2025-01-01") -> str:
    cooperative_id, founders = await founded_cooperative(client, feed)
    response = await client.post(
        "/jobs", json={"cooperative_id": cooperative_id, "participant_id": founders[0], "created_on": created_on}
    )
    assert response.status_code == 201, response.text
    return response.json()["job_id"]


class TestCreateJob:
    async def test_job_in_a_founded_cooperative_held_by_an_eligible_participant(self, grants, feed, probe):
        cooperative_id, founders = await founded_cooperative(grants, feed)

        response = await grants.post(
            "/jobs", json={"cooperative_id": cooperative_id, "participant_id": founders[2], "created_on": "2025-01-01"}
        )

        assert response.status_code == 201, response.text
        job = response.json()
        assert (job["status"], job["bridge_months"], job["bridge_payments"], job["sustainability_due_on"]) == (
            "active",
            6,
            [],
            "2026-01-01",
        )
        assert (await grants.get(f"/jobs/{job['job_id']}")).json() == job
        assert (await grants.get(f"/cooperatives/{cooperative_id}")).json()["job_ids"] == [job["job_id"]]
        assert await probe.events_of(job["job_id"]) == [
            (
                "JobCreated",
                {
                    "job_id": job["job_id"],
                    "created_on": "2025-01-01",
                    "cooperative_id": cooperative_id,
                    "participant_id": founders[2],
                },
            )
        ]

    async def test_refuses_a_holder_who_is_not_eligible_and_stores_nothing(self, grants, feed, probe, problem):
        cooperative_id, _ = await founded_cooperative(grants, feed)
        rejected = await feed.rejected_participant()
        withdrawn = await feed.withdrawn_participant()
        undecided = await feed.recruited_only()
        await feed.applied_by(grants)
        before = await probe.records()

        for participant_id, reason in [
            ("p_neverrecruited", "is not a known participant"),
            (rejected, "was found not eligible"),
            (withdrawn, "has withdrawn"),
            (undecided, "has no confirmed eligibility"),
        ]:
            job = {"cooperative_id": cooperative_id, "participant_id": participant_id}
            problem(await grants.post("/jobs", json=job), 422, f"participant {participant_id} {reason}")

        assert await probe.records() == before

    async def test_refuses_an_unknown_cooperative_a_second_job_and_a_job_before_the_founding(
        self, grants, feed, probe, problem
    ):
        cooperative_id, founders = await founded_cooperative(grants, feed, founded_on="2024-12-02")
        held = await grants.post("/jobs", json={"cooperative_id": cooperative_id, "participant_id": founders[0]})
        assert held.status_code == 201, held.text
        before = await probe.records()

        problem(
            await grants.post("/jobs", json={"cooperative_id": "coop_missing", "participant_id": founders[1]}),
            422,
            "No cooperative coop_missing",
        )
        problem(
            await grants.post("/jobs", json={"cooperative_id": cooperative_id, "participant_id": founders[0]}),
            409,
            f"already holds job {held.json()['job_id']}",
        )
        problem(
            await grants.post(
                "/jobs",
                json={"cooperative_id": cooperative_id, "participant_id": founders[1], "created_on": "2024-12-01"},
            ),
            422,
            "before the cooperative's founding",
        )
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        problem(
            await grants.post(
                "/jobs", json={"cooperative_id": cooperative_id, "participant_id": founders[1], "created_on": tomorrow}
            ),
            422,
            "in the future",
        )

        assert await probe.records() == before


class TestBridgeSupport:
    async def test_instalments_follow_the_six_month_schedule_once_each(self, grants, feed, probe, problem):
        job_id = await created_job(grants, feed)
        url = f"/jobs/{job_id}/bridge-support/instalments"

        first = await grants.post(url, json={"instalment": 1, "amount": "2500.00", "paid_on": "2025-01-31"})
        sixth = await grants.post(url, json={"instalment": 6, "amount": "2500.00", "paid_on": "2025-06-30"})

        assert (first.status_code, sixth.status_code) == (201, 201), sixth.text
        before = await probe.records()
        problem(
            await grants.post(url, json={"instalment": 7, "amount": "2500.00"}),
            422,
            "Instalment 7 is outside the bridge-support schedule of 6 months",
        )
        problem(await grants.post(url, json={"instalment": 1, "amount": "2500.00"}), 409, "already paid")
        problem(await grants.post(url, json={"instalment": 2, "amount": "0.00"}), 422, "greater than 0")
        problem(await grants.post(url, json={"instalment": 2, "amount": "-2500.00"}), 422, "greater than 0")
        problem(await grants.post(url, json={"instalment": 2, "amount": "2500.001"}), 422, "2 decimal places")
        problem(await grants.post(url, json={"instalment": 2, "amount": 2500.5}), 422, "never floats")
        problem(await grants.post(url, json={"instalment": 13, "amount": "2500.00"}), 422, "instalment")
        problem(
            await grants.post(url, json={"instalment": 2, "amount": "1.00", "paid_on": "2024-12-31"}),
            422,
            "before the job's creation",
        )
        problem(
            await grants.post("/jobs/job_missing/bridge-support/instalments", json={"instalment": 2, "amount": "1.00"}),
            404,
            "No job job_missing",
        )
        assert await probe.records() == before

        assert [
            (p["instalment"], p["amount"]) for p in (await grants.get(f"/jobs/{job_id}")).json()["bridge_payments"]
        ] == [(1, "2500.00"), (6, "2500.00")]
        events = await probe.events_of(job_id)
        assert [name for name, _ in events] == ["JobCreated", "BridgeSupportPaid", "BridgeSupportPaid"]
        assert [payload for _, payload in events[1:]] == [
            {"job_id": job_id, "instalment": 1, "paid_on": "2025-01-31", "amount": "2500.00"},
            {"job_id": job_id, "instalment": 6, "paid_on": "2025-06-30", "amount": "2500.00"},
        ]

    async def test_schedule_extended_up_to_twelve_months_allows_later_instalments(self, grants, feed, probe, problem):
        job_id = await created_job(grants, feed)
        extension = f"/jobs/{job_id}/bridge-support/extension"
        before = await probe.records()
        problem(await grants.post(extension, json={"months": 6}), 422, "extended to 7 to 12 months")
        problem(await grants.post(extension, json={"months": 13}), 422, "months")
        assert await probe.records() == before

        extended = await grants.post(extension, json={"months": 9})
        assert extended.status_code == 200 and extended.json()["bridge_months"] == 9
        problem(
            await grants.post(
                f"/jobs/{job_id}/bridge-support/instalments", json={"instalment": 10, "amount": "2500.00"}
            ),
            422,
            "schedule of 9 months",
        )
        assert (await grants.post(extension, json={"months": 12})).json()["bridge_months"] == 12
        twelfth = await grants.post(
            f"/jobs/{job_id}/bridge-support/instalments",
            json={"instalment": 12, "amount": "2500.00", "paid_on": "2025-12-31"},
        )
        assert twelfth.status_code == 201, twelfth.text
        # the extension is grants' own record; only the payment is an event
        assert [name for name, _ in await probe.events_of(job_id)] == ["JobCreated", "BridgeSupportPaid"]


class TestSustainability:
    async def test_checked_only_twelve_months_after_creation(self, grants, feed, probe, problem):
        job_id = await created_job(grants, feed, created_on="2025-01-01")
        check = f"/jobs/{job_id}/sustainability-check"
        before = await probe.records()

        body = problem(await grants.post(check, json={"checked_on": "2025-12-31"}), 422, "not before 2026-01-01")
        assert body["due_on"] == "2026-01-01"
        assert await probe.records() == before

        response = await grants.post(check, json={"checked_on": "2026-01-02"})

        assert response.status_code == 200, response.text
        assert response.json()["sustained_on"] == "2026-01-02"
        problem(await grants.post(check, json={"checked_on": "2026-02-02"}), 409, "already found sustained")
        assert (await probe.events_of(job_id))[-1] == ("JobSustained", {"job_id": job_id, "checked_on": "2026-01-02"})

    async def test_a_job_created_today_is_not_checked_today(self, grants, feed, probe, problem):
        job_id = await created_job(grants, feed, created_on=dt.date.today().isoformat())
        problem(await grants.post(f"/jobs/{job_id}/sustainability-check", json={}), 422, "12 months")
        assert [name for name, _ in await probe.events_of(job_id)] == ["JobCreated"]


class TestEndJob:
    async def test_ended_job_gets_no_more_support_and_was_not_sustained(self, grants, feed, probe, problem):
        job_id = await created_job(grants, feed, created_on="2025-01-01")
        problem(
            await grants.post(f"/jobs/{job_id}/end", json={"reason": "Resigned", "ended_on": "2024-12-31"}),
            422,
            "before the job's creation",
        )

        response = await grants.post(f"/jobs/{job_id}/end", json={"reason": "Resigned", "ended_on": "2025-09-30"})

        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["end_reason"]) == ("ended", "Resigned")
        before = await probe.records()
        problem(await grants.post(f"/jobs/{job_id}/end", json={"reason": "Again"}), 409, "ended on 2025-09-30")
        problem(
            await grants.post(
                f"/jobs/{job_id}/bridge-support/instalments", json={"instalment": 1, "amount": "2500.00"}
            ),
            409,
            "no more bridge support",
        )
        problem(
            await grants.post(f"/jobs/{job_id}/sustainability-check", json={"checked_on": "2026-01-02"}),
            409,
            "not sustained",
        )
        problem(await grants.post(f"/jobs/{job_id}/end", json={}), 422, "reason")
        assert await probe.records() == before
        assert (await probe.events_of(job_id))[1:] == [
            ("JobEnded", {"job_id": job_id, "ended_on": "2025-09-30", "reason": "Resigned"})
        ]

    async def test_the_holder_of_an_ended_job_may_take_a_new_one(self, grants, feed):
        cooperative_id, founders = await founded_cooperative(grants, feed)
        first = (
            await grants.post(
                "/jobs",
                json={"cooperative_id": cooperative_id, "participant_id": founders[0], "created_on": "2025-01-01"},
            )
        ).json()["job_id"]
        await grants.post(
            f"/jobs/{first}/end", json={"reason": "Moved to another cooperative", "ended_on": "2025-03-31"}
        )
        second = await grants.post(
            "/jobs", json={"cooperative_id": cooperative_id, "participant_id": founders[0], "created_on": "2025-04-01"}
        )
        assert second.status_code == 201, second.text
        assert second.json()["job_id"] != first
