"""Two or more POSTs with the same Idempotency-Key at the same moment (a client retrying before the first answer):
one makes the change, each other gets the first answer or a 409 to retry, never a 500 (issue 13, "Repeats").
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from helpers import participant_form, row_count, running, settings_for
from recruitment.main import create_app
from recruitment.settings import RecruitmentSettings


async def test_concurrent_repeats_make_one_change_and_no_server_error(database_url, kafka_bootstrap, namespace):
    settings = settings_for(
        RecruitmentSettings,
        database_url=database_url("recruitment"),
        kafka_bootstrap=kafka_bootstrap,
        namespace=namespace,
    )
    async with running(create_app(settings)) as rec:
        for attempt in range(3):
            form = participant_form()
            headers = {"Idempotency-Key": f"race-{attempt}"}
            answers = await asyncio.gather(*(rec.post("/participants", json=form, headers=headers) for _ in range(6)))
            statuses = sorted(a.status_code for a in answers)
            assert set(statuses) <= {201, 409}, [(a.status_code, a.text) for a in answers]
            created = {a.json()["participant_id"] for a in answers if a.status_code == 201}
            assert len(created) == 1, statuses  # the first answer, replayed, never a second participant
            for refused in (a for a in answers if a.status_code == 409):
                assert refused.headers["content-type"] == "application/problem+json"
                assert "Idempotency-Key" in refused.json()["detail"], refused.text
        assert await row_count(rec, "participants") == 3
        assert await row_count(rec, "outbox") == 3
