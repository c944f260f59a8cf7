"""Recruitment: initiative groups are formed by eligible participants only."""

from __future__ import annotations

from helpers import event_name, participant_form, payloads, row_count, running

PROBLEM = "application/problem+json"


async def participant(client, *, decision: dict | None = None, withdraw: bool = False) -> str:
    participant_id = (await client.post("/participants", json=participant_form())).json()["participant_id"]
    if decision:
        assert (await client.post(f"/participants/{participant_id}/eligibility", json=decision)).status_code == 200
    if withdraw:
        assert (
            await client.post(f"/participants/{participant_id}/withdrawal", json={"reason": "Moved away"})
        ).status_code == 200
    return participant_id


ELIGIBLE = {"eligible": True}


class TestFormInitiativeGroup:
    async def test_eligible_participants_form_a_group_published_with_their_pseudonymous_ids(
        self, recruitment_app, published
    ):
        async with running(recruitment_app) as rec:
            members = [await participant(rec, decision=ELIGIBLE) for _ in range(3)]
            response = await rec.post(
                "/initiative-groups",
                json={
                    "county": "rybnicki",
                    "member_ids": members,
                    "group_name": "Grupa Razem",
                    "formed_on": "2026-04-01",
                },
            )
            assert response.status_code == 201, response.text
            group_id = response.json()["group_id"]

            view = (await rec.get(f"/initiative-groups/{group_id}")).json()
            assert view["member_ids"] == sorted(members) and view["group_name"] == "Grupa Razem"
            assert (await rec.get("/initiative-groups/grp_unknown")).status_code == 404
            records = await published(rec)

        assert payloads(records, "InitiativeGroupFormed") == [
            {"group_id": group_id, "formed_on": "2026-04-01", "county": "rybnicki", "member_ids": members}
        ]

    async def test_a_group_with_any_member_not_eligible_is_refused_naming_each(self, recruitment_app, published):
        async with running(recruitment_app) as rec:
            eligible = await participant(rec, decision=ELIGIBLE)
            pending = await participant(rec)
            rejected = await participant(rec, decision={"eligible": False, "reason": "Too far"})
            withdrawn = await participant(rec, decision=ELIGIBLE, withdraw=True)
            unknown = "p_0000000000000000"

            response = await rec.post(
                "/initiative-groups",
                json={"county": "rybnicki", "member_ids": [eligible, pending, rejected, withdrawn, unknown]},
            )
            assert response.status_code == 422
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["refused"] == {
                pending: "eligibility not confirmed yet",
                rejected: "found not eligible",
                withdrawn: "withdrawn",
                unknown: "unknown participant",
            }
            assert eligible not in response.json()["detail"]

            for body in (
                {"county": "rybnicki", "member_ids": []},
                {"county": "rybnicki", "member_ids": [eligible, eligible]},
                {"member_ids": [eligible]},
            ):
                response = await rec.post("/initiative-groups", json=body)
                assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
            assert await row_count(rec, "initiative_groups") == 0
            assert await row_count(rec, "initiative_group_members") == 0
            records = await published(rec)
        assert "InitiativeGroupFormed" not in {event_name(r) for r in records}
