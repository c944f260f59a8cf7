"""Social cooperatives: registered in KRS (number validated and normalised) by three or more eligible participants
(who must reach five members within 12 months) or two or more enrolled organisations; at most 50 members."""

from __future__ import annotations

import random

import pytest

from grants import repository as grants_repository

pytestmark = pytest.mark.asyncio(loop_scope="package")
EUR = "4.3000"  # PLN for one EUR, given with each award (de minimis)


def new_krs() -> str:
    """A KRS number no other test uses, written the short way ("380128")."""
    return str(random.randrange(100_000, 9_999_999_999))


def foundation(founder_ids: list[str], **overrides) -> dict:
    return {
        "krs": new_krs(),
        "cooperative_name": "Spółdzielnia Socjalna Razem",
        "county": "rybnik",
        "founder_ids": founder_ids,
        "founded_on": "2024-12-02",
        **overrides,
    }


class TestFoundCooperative:
    async def test_five_eligible_founders_found_a_cooperative_with_its_krs_normalised(self, grants, feed, probe):
        founders = await feed.eligible_participants(5)
        await feed.applied_by(grants)

        response = await grants.post("/cooperatives", json=foundation(founders, krs="KRS 380128"))

        assert response.status_code == 201, response.text
        view = response.json()
        cooperative_id = view["cooperative_id"]
        assert (view["krs"], view["founder_ids"], view["job_ids"], view["application_id"]) == (
            "0000380128",
            founders,
            [],
            None,
        )
        assert (view["founded_by"], view["members"], view["five_members_due_on"], view["below_five_members"]) == (
            "natural_persons",
            5,
            "2025-12-02",
            False,
        )
        assert (await grants.get(f"/cooperatives/{cooperative_id}")).json() == view
        assert await probe.events_of(cooperative_id) == [
            (
                "CooperativeFounded",
                {
                    "cooperative_id": cooperative_id,
                    "founded_on": "2024-12-02",
                    "krs": "0000380128",
                    "cooperative_name": "Spółdzielnia Socjalna Razem",
                    "county": "rybnik",
                    "founded_by": "natural_persons",
                    "founder_ids": founders,
                    "founding_organisation_ids": [],
                    "application_id": None,
                },
            )
        ]

    async def test_three_founders_are_flagged_until_five_members_and_fifty_is_the_most(
        self, grants, feed, probe, problem
    ):
        founders = await feed.eligible_participants(3)
        joining = await feed.eligible_participants(48)
        await feed.applied_by(grants)
        response = await grants.post("/cooperatives", json=foundation(founders))
        assert response.status_code == 201, response.text
        view = response.json()
        cooperative_id = view["cooperative_id"]
        # founded on 2024-12-02: 12 months have passed (today is later), three members only
        assert (view["members"], view["five_members_due_on"], view["below_five_members"]) == (3, "2025-12-02", True)
        members = f"/cooperatives/{cooperative_id}/members"
        problem(await grants.post(members, json={"participant_id": founders[0]}), 409, "already a member")
        problem(
            await grants.post(members, json={"participant_id": joining[0], "joined_on": "2024-12-01"}),
            422,
            "before the cooperative's founding",
        )
        problem(await grants.post(members, json={}), 422, "either participant_id or organisation_id")

        fourth = await grants.post(members, json={"participant_id": joining[0], "joined_on": "2025-03-01"})
        fifth = await grants.post(members, json={"participant_id": joining[1], "joined_on": "2025-06-01"})

        assert fourth.status_code == 200, fourth.text
        assert (fifth.json()["members"], fifth.json()["below_five_members"]) == (5, False)
        assert fifth.json()["member_ids"] == joining[:2]
        for pid in joining[2:47]:
            assert (await grants.post(members, json={"participant_id": pid})).status_code == 200
        assert (await grants.get(f"/cooperatives/{cooperative_id}")).json()["members"] == 50
        problem(await grants.post(members, json={"participant_id": joining[47]}), 422, "at most 50 members")
        # membership is grants' own record: the founding is the only event
        assert [name for name, _ in await probe.events_of(cooperative_id)] == ["CooperativeFounded"]

    async def test_two_enrolled_organisations_found_a_cooperative_as_legal_persons(self, grants, feed, probe, problem):
        organisations = sorted([await feed.organisation(), await feed.organisation()])  # members: by id
        [person] = await feed.eligible_participants(1)
        await feed.applied_by(grants)
        before = await probe.records()
        problem(
            await grants.post("/cooperatives", json=foundation([], founding_organisation_ids=organisations[:1])),
            422,
            "at least 2 of them; 1 given",
        )
        problem(
            await grants.post("/cooperatives", json=foundation([person], founding_organisation_ids=organisations)),
            422,
            "not both",
        )
        problem(
            await grants.post(
                "/cooperatives", json=foundation([], founding_organisation_ids=[organisations[0], "org_unknown"])
            ),
            422,
            "unknown: org_unknown",
        )
        assert await probe.records() == before

        response = await grants.post("/cooperatives", json=foundation([], founding_organisation_ids=organisations))

        assert response.status_code == 201, response.text
        view = response.json()
        assert (view["founded_by"], view["founding_organisation_ids"], view["members"]) == (
            "legal_persons",
            organisations,
            2,
        )
        assert (view["five_members_due_on"], view["below_five_members"]) == (None, False)
        [(name, payload)] = await probe.events_of(view["cooperative_id"])
        assert (name, payload["founded_by"], payload["founder_ids"], payload["founding_organisation_ids"]) == (
            "CooperativeFounded",
            "legal_persons",
            [],
            organisations,
        )

    @pytest.mark.parametrize("krs", ["KRS 00003801281", "38012A", "REGON 380128", "0000000000", "  "])
    async def test_refuses_a_wrong_krs_number_and_stores_nothing(self, grants, feed, probe, problem, krs):
        founders = await feed.eligible_participants(5)
        await feed.applied_by(grants)
        before = await probe.records()

        body = problem(await grants.post("/cooperatives", json=foundation(founders, krs=krs)), 422, "KRS")

        assert body.get("field") == "krs" or "krs" in str(body.get("errors"))
        assert await probe.records() == before

    async def test_refuses_two_founders_and_a_founder_counted_twice(self, grants, feed, probe, problem):
        founders = await feed.eligible_participants(2)
        await feed.applied_by(grants)
        before = await probe.records()

        problem(await grants.post("/cooperatives", json=foundation(founders)), 422, "at least 3 founders", "2 given")
        problem(
            await grants.post("/cooperatives", json=foundation([*founders, founders[0]])),
            422,
            f"listed more than once: {founders[0]}",
        )

        assert await probe.records() == before

    async def test_refuses_founders_who_are_unknown_undecided_rejected_or_withdrawn(self, grants, feed, probe, problem):
        eligible = await feed.eligible_participants(4)
        not_eligible = {
            "p_neverrecruited": "is not a known participant",
            await feed.recruited_only(): "has no confirmed eligibility yet",
            await feed.rejected_participant(): "was found not eligible",
            await feed.withdrawn_participant(): "has withdrawn from the project",
        }
        await feed.applied_by(grants)
        before = await probe.records()

        for participant_id, reason in not_eligible.items():
            body = problem(
                await grants.post("/cooperatives", json=foundation([*eligible, participant_id])),
                422,
                f"participant {participant_id} {reason}",
            )
            assert body["participant_ids"] == [participant_id]

        assert await probe.records() == before

    async def test_refuses_a_krs_number_already_recorded(self, grants, feed, probe, problem):
        founders = await feed.eligible_participants(10)
        await feed.applied_by(grants)
        krs = new_krs()
        first = await grants.post("/cooperatives", json=foundation(founders[:5], krs=krs))
        assert first.status_code == 201, first.text
        before = await probe.records()

        problem(
            await grants.post("/cooperatives", json=foundation(founders[5:], krs=f"KRS {krs.zfill(10)}")),
            409,
            f"KRS {krs.zfill(10)} is already recorded",
        )

        assert await probe.records() == before

    async def test_a_krs_recorded_by_a_concurrent_request_after_the_check_is_a_conflict(
        self, grants, feed, probe, problem, monkeypatch
    ):
        founders = await feed.eligible_participants(10)
        await feed.applied_by(grants)
        krs = new_krs()
        assert (await grants.post("/cooperatives", json=foundation(founders[:5], krs=krs))).status_code == 201
        before = await probe.records()
        checks = []

        async def taken_only_when_asked_again(session, number):
            # the first check runs as if the other request had not committed yet; the insert then hits the
            # unique KRS in the database, which is asked again
            checks.append(number)
            return len(checks) > 1 and await real_krs_taken(session, number)

        real_krs_taken = grants_repository.krs_taken
        monkeypatch.setattr(grants_repository, "krs_taken", taken_only_when_asked_again)

        problem(
            await grants.post("/cooperatives", json=foundation(founders[5:], krs=krs)),
            409,
            f"KRS {krs.zfill(10)} is already recorded",
        )
        assert len(checks) == 2
        assert await probe.records() == before

    async def test_names_the_awarded_grant_that_funds_it_once(self, grants, feed, probe, problem):
        founders = await feed.eligible_participants(10)
        group_id = await feed.initiative_group(founders[:5])
        await feed.applied_by(grants)
        application_id = (
            await grants.post(
                "/applications",
                json={
                    "applicant_kind": "initiative_group",
                    "applicant_id": group_id,
                    "summary": "Bakery",
                    "jobs_planned": 5,
                    "amount_requested": "120000.00",
                    "submitted_on": "2024-10-15",
                },
            )
        ).json()["application_id"]
        funded = foundation(founders[:5], application_id=application_id)
        problem(await grants.post("/cooperatives", json=funded), 422, "has no grant awarded")
        problem(
            await grants.post("/cooperatives", json=foundation(founders[:5], application_id="app_missing")),
            422,
            "No application app_missing",
        )
        await grants.post(
            f"/applications/{application_id}/evaluation",
            json={"score": 90, "outcome": "positive", "evaluated_on": "2024-11-01"},
        )
        await grants.post(f"/applications/{application_id}/award", json={"eur_rate": EUR, "awarded_on": "2024-11-15"})

        response = await grants.post("/cooperatives", json=funded)

        assert response.status_code == 201, response.text
        assert response.json()["application_id"] == application_id
        problem(
            await grants.post("/cooperatives", json=foundation(founders[5:], application_id=application_id)),
            409,
            f"already funds cooperative {response.json()['cooperative_id']}",
        )
        [(name, payload)] = await probe.events_of(response.json()["cooperative_id"])
        assert (name, payload["application_id"]) == ("CooperativeFounded", application_id)

    async def test_unknown_cooperative_is_not_found(self, grants, problem):
        problem(await grants.get("/cooperatives/coop_missing"), 404, "No cooperative coop_missing")
