"""Jobs in social cooperatives: held by eligible participants at risk of social exclusion, at least half time;
supported by the maintenance unit rate (2021–2027, the shipped project) or monthly bridge support on a schedule
(2014–2020, the `grants_2014` service); checked for sustainability at the end of the project's period; ended."""

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


async def created_job(
    client, feed, *, created_on: str = "2025-01-01", founded_on: str = "2024-12-02", working_time: str = "full_time"
) -> str:
    cooperative_id, founders = await founded_cooperative(client, feed, founded_on=founded_on)
    response = await client.post(
        "/jobs",
        json={
            "cooperative_id": cooperative_id,
            "participant_id": founders[0],
            "created_on": created_on,
            "working_time": working_time,
        },
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
        assert (job["status"], job["working_time"], job["maintenance_amount"], job["sustainability_due_on"]) == (
            "active",
            "full_time",
            None,
            "2026-07-01",  # 18 months: 12 funded plus 6, the 2021–2027 default
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
                    "working_time": "full_time",
                },
            )
        ]

    async def test_refuses_a_holder_not_at_risk_of_exclusion_and_less_than_half_time(
        self, grants, feed, probe, problem
    ):
        cooperative_id, founders = await founded_cooperative(grants, feed)
        not_at_risk = await feed.eligible_not_at_risk()
        await feed.applied_by(grants)
        before = await probe.records()

        problem(
            await grants.post("/jobs", json={"cooperative_id": cooperative_id, "participant_id": not_at_risk}),
            422,
            "at risk of social exclusion",
            f"did not record participant {not_at_risk}",
        )
        problem(
            await grants.post(
                "/jobs",
                json={"cooperative_id": cooperative_id, "participant_id": founders[0], "working_time": "quarter_time"},
            ),
            422,
            "working_time",
        )
        assert await probe.records() == before

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


class TestMaintenanceUnitRate:
    async def test_granted_once_at_the_rate_of_the_working_time_on_the_jobs_first_day(
        self, grants, feed, probe, problem
    ):
        half = await created_job(grants, feed, created_on="2024-12-16", working_time="half_time")
        three_quarters = await created_job(grants, feed, created_on="2024-12-16", working_time="three_quarters")
        before = await probe.records()
        problem(await grants.post(f"/jobs/{half}/maintenance", json={"funded_on": "2024-12-15"}), 422, "before the job")
        assert await probe.records() == before

        funded = await grants.post(f"/jobs/{half}/maintenance", json={"funded_on": "2025-01-02"})
        other = await grants.post(f"/jobs/{three_quarters}/maintenance", json={"funded_on": "2025-01-02"})

        assert funded.status_code == 200, funded.text
        assert (funded.json()["maintenance_amount"], other.json()["maintenance_amount"]) == ("19350.00", "29025.00")
        problem(await grants.post(f"/jobs/{half}/maintenance", json={}), 409, "already granted maintenance")
        assert (await probe.events_of(half))[-1] == (
            "JobMaintenanceFunded",
            {
                "job_id": half,
                "funded_on": "2025-01-02",
                "working_time": "half_time",
                "amount": "19350.00",
                "months": 12,
            },
        )

    async def test_bridge_support_is_refused_in_a_2021_2027_project(self, grants, feed, probe, problem):
        job_id = await created_job(grants, feed)
        before = await probe.records()
        for url, body in [
            (f"/jobs/{job_id}/bridge-support/instalments", {"instalment": 1, "amount": "2500.00"}),
            (f"/jobs/{job_id}/bridge-support/extension", {"months": 9}),
        ]:
            answer = problem(await grants.post(url, json=body), 422, "only in 2014–2020 projects", "maintenance")
            assert answer["programme"] == "2021-2027"
        assert await probe.records() == before


class TestBridgeSupport:
    """Bridge support in a 2014–2020 project (grants_2014): facts dated within that programme."""

    async def test_instalments_follow_the_six_month_schedule_once_each(
        self, grants_2014, feed_2014, probe_2014, problem
    ):
        grants, probe = grants_2014, probe_2014
        job_id = await created_job(grants, feed_2014, created_on="2023-01-01", founded_on="2022-12-02")
        assert (await grants.get(f"/jobs/{job_id}")).json()["sustainability_due_on"] == "2024-01-01"
        url = f"/jobs/{job_id}/bridge-support/instalments"

        first = await grants.post(url, json={"instalment": 1, "amount": "2500.00", "paid_on": "2023-01-31"})
        sixth = await grants.post(url, json={"instalment": 6, "amount": "2500.00", "paid_on": "2023-06-30"})

        assert (first.status_code, sixth.status_code) == (201, 201), sixth.text
        before = await probe.records()
        problem(
            await grants.post(url, json={"instalment": 7, "amount": "2500.00", "paid_on": "2023-07-31"}),
            422,
            "Instalment 7 is outside the bridge-support schedule of 6 months",
        )
        problem(
            await grants.post(url, json={"instalment": 1, "amount": "2500.00", "paid_on": "2023-07-31"}),
            409,
            "already paid",
        )
        problem(
            await grants.post(url, json={"instalment": 2, "amount": "0.00", "paid_on": "2023-07-31"}),
            422,
            "greater than 0",
        )
        problem(
            await grants.post(url, json={"instalment": 2, "amount": "-2500.00", "paid_on": "2023-07-31"}),
            422,
            "greater than 0",
        )
        problem(
            await grants.post(url, json={"instalment": 2, "amount": "2500.001", "paid_on": "2023-07-31"}),
            422,
            "2 decimal places",
        )
        problem(
            await grants.post(url, json={"instalment": 2, "amount": 2500.5, "paid_on": "2023-07-31"}),
            422,
            "never floats",
        )
        problem(
            await grants.post(url, json={"instalment": 13, "amount": "2500.00", "paid_on": "2023-07-31"}),
            422,
            "instalment",
        )
        problem(
            await grants.post(url, json={"instalment": 2, "amount": "1.00", "paid_on": "2022-12-31"}),
            422,
            "before the job's creation",
        )
        problem(
            await grants.post(
                "/jobs/job_missing/bridge-support/instalments",
                json={"instalment": 2, "amount": "1.00", "paid_on": "2023-07-31"},
            ),
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
            {"job_id": job_id, "instalment": 1, "paid_on": "2023-01-31", "amount": "2500.00"},
            {"job_id": job_id, "instalment": 6, "paid_on": "2023-06-30", "amount": "2500.00"},
        ]
        problem(
            await grants.post(f"/jobs/{job_id}/maintenance", json={"funded_on": "2023-07-31"}),
            422,
            "only in 2021–2027 projects",
        )

    async def test_schedule_extended_up_to_twelve_months_allows_later_instalments(
        self, grants_2014, feed_2014, probe_2014, problem
    ):
        grants, probe = grants_2014, probe_2014
        job_id = await created_job(grants, feed_2014, created_on="2023-01-01", founded_on="2022-12-02")
        extension = f"/jobs/{job_id}/bridge-support/extension"
        before = await probe.records()
        problem(await grants.post(extension, json={"months": 6}), 422, "extended to 7 to 12 months")
        problem(await grants.post(extension, json={"months": 13}), 422, "months")
        assert await probe.records() == before

        extended = await grants.post(extension, json={"months": 9})
        assert extended.status_code == 200 and extended.json()["bridge_months"] == 9
        problem(
            await grants.post(
                f"/jobs/{job_id}/bridge-support/instalments",
                json={"instalment": 10, "amount": "2500.00", "paid_on": "2023-07-31"},
            ),
            422,
            "schedule of 9 months",
        )
        assert (await grants.post(extension, json={"months": 12})).json()["bridge_months"] == 12
        twelfth = await grants.post(
            f"/jobs/{job_id}/bridge-support/instalments",
            json={"instalment": 12, "amount": "2500.00", "paid_on": "2023-12-31"},
        )
        assert twelfth.status_code == 201, twelfth.text
        # the extension is grants' own record; only the payment is an event
        assert [name for name, _ in await probe.events_of(job_id)] == ["JobCreated", "BridgeSupportPaid"]


class TestSustainability:
    async def test_checked_eighteen_months_after_creation_in_2021_2027(self, grants, feed, probe, problem):
        job_id = await created_job(grants, feed, created_on="2024-07-01", founded_on="2024-06-03")
        check = f"/jobs/{job_id}/sustainability-check"
        before = await probe.records()

        body = problem(await grants.post(check, json={"checked_on": "2025-12-31"}), 422, "18 months", "2026-01-01")
        assert body["due_on"] == "2026-01-01"
        assert await probe.records() == before

        response = await grants.post(check, json={"checked_on": "2026-01-02"})

        assert response.status_code == 200, response.text
        assert response.json()["sustained_on"] == "2026-01-02"
        problem(await grants.post(check, json={"checked_on": "2026-02-02"}), 409, "already found sustained")
        assert (await probe.events_of(job_id))[-1] == ("JobSustained", {"job_id": job_id, "checked_on": "2026-01-02"})

    async def test_checked_twelve_months_after_creation_in_2014_2020(self, grants_2014, feed_2014, probe_2014, problem):
        job_id = await created_job(grants_2014, feed_2014, created_on="2022-01-03", founded_on="2021-12-01")
        check = f"/jobs/{job_id}/sustainability-check"
        problem(await grants_2014.post(check, json={"checked_on": "2023-01-02"}), 422, "12 months", "2023-01-03")
        response = await grants_2014.post(check, json={"checked_on": "2023-01-03"})
        assert response.status_code == 200, response.text
        assert (await probe_2014.events_of(job_id))[-1] == (
            "JobSustained",
            {"job_id": job_id, "checked_on": "2023-01-03"},
        )

    async def test_a_job_created_today_is_not_checked_today(self, grants, feed, probe, problem):
        job_id = await created_job(grants, feed, created_on=dt.date.today().isoformat())
        problem(await grants.post(f"/jobs/{job_id}/sustainability-check", json={}), 422, "18 months")
        assert [name for name, _ in await probe.events_of(job_id)] == ["JobCreated"]


class TestEndJob:
    async def test_ended_job_gets_no_more_support_and_was_not_sustained(self, grants, feed, probe, problem):
        job_id = await created_job(grants, feed, created_on="2025-01-01")
        problem(
            await grants.post(f"/jobs/{job_id}/end", json={"reason": "Resigned", "ended_on": "2024-12-31"}),
            422,
            "before the job's creation",
        )

        problem(
            await grants.post(
                f"/jobs/{job_id}/end",
                json={"reason_code": "dismissed", "note": "tel. 600 100 200", "ended_on": "2025-09-30"},
            ),
            422,
            "phone number",
        )
        response = await grants.post(
            f"/jobs/{job_id}/end",
            json={"reason_code": "employee_resigned", "note": "Resigned", "ended_on": "2025-09-30"},
        )

        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["end_reason"]) == ("ended", "Resigned")
        assert response.json()["end_reason_code"] == "employee_resigned"
        before = await probe.records()
        problem(await grants.post(f"/jobs/{job_id}/end", json={"reason": "Again"}), 409, "ended on 2025-09-30")
        problem(await grants.post(f"/jobs/{job_id}/maintenance", json={}), 409, "maintenance cannot be funded")
        problem(await grants.post(f"/jobs/{job_id}/end", json={}), 422, "reason")
        assert await probe.records() == before

        # The check need not wait for the period's end: the job is known not to have lasted, and that is reported.
        checked = await grants.post(f"/jobs/{job_id}/sustainability-check", json={"checked_on": "2025-10-01"})
        assert checked.status_code == 200, checked.text
        assert (checked.json()["not_sustained_on"], checked.json()["sustained_on"]) == ("2025-10-01", None)
        problem(await grants.post(f"/jobs/{job_id}/sustainability-check", json={}), 409, "already found not sustained")
        assert (await probe.events_of(job_id))[1:] == [
            # the code and its fixed label travel, staff's note does not
            (
                "JobEnded",
                {
                    "job_id": job_id,
                    "ended_on": "2025-09-30",
                    "reason": "Employee resigned",
                    "reason_code": "employee_resigned",
                },
            ),
            (
                "JobNotSustained",
                {"job_id": job_id, "checked_on": "2025-10-01", "ended_on": "2025-09-30", "due_on": "2026-07-01"},
            ),
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
