"""A POST retried after a timeout (same Idempotency-Key) gets the first answer and changes nothing; the same key
with another body is 422 (issue 13, "Repeats")."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from helpers import outbox_drained, participant_form, row_count, running, settings_for
from owes_service.idempotency import idempotency_keys
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings


def recruitment(database_url, kafka_bootstrap, namespace):
    return recruitment_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
        )
    )


class TestIdempotencyKeys:
    async def test_a_repeat_returns_the_first_answer_and_changes_nothing(
        self, database_url, kafka_bootstrap, namespace
    ):
        form = participant_form()
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            first = await rec.post("/participants", json=form, headers={"Idempotency-Key": "retry-1"})
            assert first.status_code == 201, first.text
            again = await rec.post("/participants", json=form, headers={"Idempotency-Key": "retry-1"})
            assert (again.status_code, again.json()) == (201, first.json())
            assert again.headers["idempotency-replayed"] == "true"
            assert await row_count(rec, "participants") == 1
            assert await row_count(rec, "outbox") == 1  # one event, published once
            # the key is kept with the effect, with the first answer
            async with rec.runtime.engine.connect() as conn:
                kept = (await conn.execute(sa.select(idempotency_keys))).mappings().all()
            assert [(k["key"], k["status"]) for k in kept] == [("retry-1", 201)]
            created = kept[0]["created_at"]
            assert (
                dt.datetime.now(dt.UTC) - (created if created.tzinfo else created.replace(tzinfo=dt.UTC))
            ) < dt.timedelta(minutes=5)
            await outbox_drained(rec)

    async def test_the_same_key_with_another_body_is_422_and_changes_nothing(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            first = await rec.post("/participants", json=participant_form(), headers={"Idempotency-Key": "k-2"})
            assert first.status_code == 201, first.text
            other = await rec.post("/participants", json=participant_form(), headers={"Idempotency-Key": "k-2"})
            assert other.status_code == 422, other.text
            assert other.headers["content-type"].startswith("application/problem+json")
            assert other.json()["title"] == "Idempotency-Key reused"
            assert await row_count(rec, "participants") == 1
            # without a key, or with another key, a second participant is registered as before
            assert (
                await rec.post("/participants", json=participant_form(), headers={"Idempotency-Key": "k-3"})
            ).status_code == 201
            assert await row_count(rec, "participants") == 2

    async def test_a_refused_request_claims_no_key_so_its_corrected_retry_runs(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            form = participant_form()
            refused = await rec.post(
                "/participants", json=form | {"consent": False}, headers={"Idempotency-Key": "k-4"}
            )
            assert refused.status_code == 422
            assert await row_count(rec, "idempotency_keys") == 0
            assert await row_count(rec, "participants") == 0
            bad_key = await rec.post("/participants", json=form, headers={"Idempotency-Key": b"bad\x01key"})
            assert bad_key.status_code == 400
