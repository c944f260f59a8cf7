"""Advisory: trainings with attendance; a participant whose attendance met the requirement completes once,
and the completion is published."""

from __future__ import annotations

from helpers import event_name, payloads, row_count, running

PROBLEM = "application/problem+json"


async def new_training(client, **overrides) -> str:
    body = {"title": "Zakładanie spółdzielni socjalnej", "hours": 10, "required_attendance_percent": 80} | overrides
    response = await client.post("/trainings", json=body)
    assert response.status_code == 201, response.text
    return response.json()["training_id"]


class TestCompleteTraining:
    async def test_a_participant_who_attended_enough_completes_once_and_it_is_published(
        self, advisory_app, recruitment, published
    ):
        async with running(advisory_app) as adv:
            participant_id = await recruitment.eligible_participant(adv)
            training_id = await new_training(adv)

            first = await adv.post(
                f"/trainings/{training_id}/attendance",
                json={"participant_id": participant_id, "hours": 6, "attended_on": "2026-05-04"},
            )
            assert first.status_code == 201, first.text
            assert (first.json()["attended_hours"], first.json()["required_hours"]) == ("6.00", "8.00")
            second = await adv.post(
                f"/trainings/{training_id}/attendance",
                json={"participant_id": participant_id, "hours": "2.5", "attended_on": "2026-05-05"},
            )
            assert second.json()["attended_hours"] == "8.50"

            response = await adv.post(
                f"/trainings/{training_id}/completions",
                json={"participant_id": participant_id, "completed_on": "2026-05-20"},
            )
            assert response.status_code == 201, response.text
            assert response.json()["attended_hours"] == "8.50"

            again = await adv.post(f"/trainings/{training_id}/completions", json={"participant_id": participant_id})
            assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
            late = await adv.post(
                f"/trainings/{training_id}/attendance", json={"participant_id": participant_id, "hours": 1}
            )
            assert late.status_code == 409

            training = (await adv.get(f"/trainings/{training_id}")).json()
            assert training["trainees"] == [
                {"participant_id": participant_id, "attended_hours": "8.50", "completed_on": "2026-05-20"}
            ]
            records = await published(adv)

        assert [event_name(r) for r in records] == ["TrainingCompleted"]
        assert payloads(records, "TrainingCompleted") == [
            {
                "training_id": training_id,
                "participant_id": participant_id,
                "completed_on": "2026-05-20",
                "title": "Zakładanie spółdzielni socjalnej",
                "hours": "10.00",
            }
        ]

    async def test_short_attendance_ineligible_participants_and_bad_hours_are_refused(
        self, advisory_app, recruitment, published
    ):
        async with running(advisory_app) as adv:
            eligible = await recruitment.eligible_participant(adv)
            withdrawn = await recruitment.withdrawn_participant(adv)
            training_id = await new_training(adv)
            attend = f"/trainings/{training_id}/attendance"
            complete = f"/trainings/{training_id}/completions"
            assert (await adv.post(attend, json={"participant_id": eligible, "hours": 4})).status_code == 201

            short = await adv.post(complete, json={"participant_id": eligible})
            assert short.status_code == 422 and short.headers["content-type"] == PROBLEM
            assert "attended 4.00 of 10.00 hours; 8.00 (80%) are required" in short.json()["detail"]

            too_much = await adv.post(attend, json={"participant_id": eligible, "hours": "6.25"})
            assert too_much.status_code == 422 and "exceed the training's 10.00 hours" in too_much.json()["detail"]
            for participant_id, why in (
                (withdrawn, "has withdrawn"),
                ("p_0000000000000000", "not known to advisory as eligible"),
            ):
                for path in (attend, complete):
                    response = await adv.post(
                        path,
                        json={"participant_id": participant_id, "hours": 1}
                        if path == attend
                        else {"participant_id": participant_id},
                    )
                    assert response.status_code == 422 and why in response.json()["detail"], path
            for hours in (0, "0.3", 11, "lots"):
                response = await adv.post(attend, json={"participant_id": eligible, "hours": hours})
                assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
            for body in (
                {"title": "Księgowość", "hours": 0},
                {"title": "Księgowość", "hours": 201},
                {"title": "Księgowość", "hours": 8, "required_attendance_percent": 0},
                {"hours": 8},
            ):
                response = await adv.post("/trainings", json=body)
                assert response.status_code == 422 and response.headers["content-type"] == PROBLEM, body
            missing = await adv.post("/trainings/trn_unknown/completions", json={"participant_id": eligible})
            assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM

            assert await row_count(adv, "trainings") == 1
            assert await row_count(adv, "training_attendance") == 1
            assert await row_count(adv, "training_completions") == 0
            assert await row_count(adv, "outbox") == 0
            assert await published(adv) == []
