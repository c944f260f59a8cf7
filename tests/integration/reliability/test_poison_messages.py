"""A record the consumer can never apply goes to the service's dead-letter topic, with the reason and the
original key, value and headers, and the consumer moves on to the next record."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from helpers import eventually, header, read_topic, running
from owes_contracts import dead_letter_topic_for, topic_for
from owes_contracts.envelope import CloudEvent
from owes_messaging.consumer import (
    DLQ_CONSUMER,
    DLQ_FAILED_AT,
    DLQ_ORIGINAL_OFFSET,
    DLQ_ORIGINAL_PARTITION,
    DLQ_ORIGINAL_TOPIC,
    DLQ_REASON,
    Outcome,
    RetryPolicy,
)


@dataclass(frozen=True)
class Poison:
    """One way a record can be unusable: how to spoil a good event, and what the reason must say."""

    kind: str
    reason: str

    def spoil(self, event: CloudEvent) -> tuple[bytes | None, list[tuple[str, bytes]]]:
        value, headers = event.kafka_value(), event.kafka_headers()

        def replace(name: str, new: bytes) -> list[tuple[str, bytes]]:
            return [(k, new if k == name else v) for k, v in headers]

        if self.kind == "not_json":
            return b"{'participant_id': not json", headers
        if self.kind == "not_an_object":
            return b'["a", "list"]', headers
        if self.kind == "unknown_type":
            return value, replace("ce_type", b"pl.owes.recruitment.ParticipantTeleported")
        if self.kind == "unknown_schema_version":
            return value, replace("ce_schemaversion", b"7")
        if self.kind == "invalid_payload":
            data = json.loads(value) | {"age_band": "12-17", "disability": "perhaps"}
            return json.dumps(data).encode(), headers
        if self.kind == "not_a_cloudevent":
            return value, [(k, v) for k, v in headers if k not in ("ce_id", "ce_type", "ce_specversion")]
        if self.kind == "subject_mismatch":
            return value, replace("ce_subject", b"p_someone_else_entirely")
        raise AssertionError(self.kind)


POISONS = [
    Poison("not_json", "payload is not JSON"),
    Poison("not_an_object", "payload is not a JSON object"),
    Poison("unknown_type", "no contract for pl.owes.recruitment.ParticipantTeleported v1: unknown type"),
    Poison("unknown_schema_version", "no contract for pl.owes.recruitment.ParticipantRecruited v7: known versions [1]"),
    Poison("invalid_payload", "ParticipantRecruited v1 payload invalid: age_band"),
    Poison("not_a_cloudevent", "missing CloudEvents attributes: id, type, specversion"),
    Poison("subject_mismatch", "does not match the payload's participant_id"),
]


async def people_supported(client) -> int:
    response = await client.get("/indicators")
    assert response.status_code == 200, response.text
    return response.json()["people_supported"]


class TestPoisonMessages:
    async def test_each_kind_is_dead_lettered_with_reason_and_original_record_and_the_next_event_is_applied(
        self, reporting, publisher, recruited, kafka_bootstrap, namespace
    ):
        topic = topic_for("recruitment", namespace)
        sent: dict[str, tuple] = {}
        async with running(reporting()) as rep:
            for poison in POISONS:
                spoiled, valid = recruited(), recruited()
                value, headers = poison.spoil(spoiled)
                # Same key: the valid event queues behind the poison one on the same partition.
                meta = await publisher.record(topic, value=value, key=spoiled.kafka_key(), headers=headers)
                await publisher.record(
                    topic, value=valid.kafka_value(), key=spoiled.kafka_key(), headers=valid.kafka_headers()
                )
                sent[poison.kind] = (meta, value, spoiled.kafka_key(), headers)

            async def moved_on():
                assert rep.runtime.consumer.outcomes == {
                    Outcome.DEAD_LETTERED: len(POISONS),
                    Outcome.APPLIED: len(POISONS),
                }
                assert await people_supported(rep) == len(POISONS)

            await eventually(moved_on)

        dead = await read_topic(kafka_bootstrap, dead_letter_topic_for("reporting", namespace), idle=0.5)
        assert len(dead) == len(POISONS)
        by_origin = {(header(d, DLQ_ORIGINAL_PARTITION), header(d, DLQ_ORIGINAL_OFFSET)): d for d in dead}
        for poison in POISONS:
            meta, value, key, headers = sent[poison.kind]
            letter = by_origin[(str(meta.partition), str(meta.offset))]
            assert poison.reason in header(letter, DLQ_REASON), poison.kind
            assert header(letter, DLQ_ORIGINAL_TOPIC) == topic
            assert header(letter, DLQ_CONSUMER) == "reporting"
            assert header(letter, DLQ_FAILED_AT)
            assert (letter.key, letter.value) == (key, value), poison.kind
            assert [(k, v) for k, v in letter.headers if not k.startswith("dlq_")] == headers, poison.kind


class TestHandlerThatKeepsFailing:
    async def test_event_is_dead_lettered_after_the_retry_budget_and_later_events_still_apply(
        self, reporting, publisher, recruited, kafka_bootstrap, namespace
    ):
        topic = topic_for("recruitment", namespace)
        crashes, queries_a_missing_table, fine = recruited(), recruited(), recruited()
        async with running(reporting()) as rep:
            consumer = rep.runtime.consumer
            consumer.retry = RetryPolicy(base_delay=0.02)  # the same budget, spent faster
            key = (fine.type, fine.schemaversion)
            apply_recruited = consumer.handlers[key]

            async def bug(session, event):  # bugs in one projection, hit by one event each
                if event.id == crashes.id:
                    raise ZeroDivisionError("division by zero in the age-band projection")
                if event.id == queries_a_missing_table.id:  # a real database error that waiting cannot fix
                    await session.execute(sa.text("UPDATE rm_not_migrated_yet SET n = n + 1"))

            async def buggy(session, event, payload):
                await bug(session, event)
                await apply_recruited(session, event, payload)

            apply_batch = consumer.apply_batch
            assert apply_batch is not None  # reporting folds a fetched batch at once: the bug is there too

            async def buggy_batch(session, events):
                for event, _payload in events:
                    await bug(session, event)
                await apply_batch(session, events)

            consumer.handlers[key] = buggy
            consumer.apply_batch = buggy_batch
            for event in (crashes, queries_a_missing_table, fine):
                await publisher.event(topic, event)

            async def moved_on():
                assert consumer.outcomes == {Outcome.DEAD_LETTERED: 2, Outcome.APPLIED: 1}
                assert await people_supported(rep) == 1

            await eventually(moved_on, timeout=30)
            assert consumer.retries == 2 * (consumer.retry.max_attempts - 1)

        dead = await read_topic(kafka_bootstrap, dead_letter_topic_for("reporting", namespace), idle=0.5)
        reasons = {header(d, "ce_id"): header(d, DLQ_REASON) for d in dead}
        assert set(reasons) == {crashes.id, queries_a_missing_table.id}
        budget = consumer.retry.max_attempts
        assert reasons[crashes.id] == (
            f"handler failed {budget} times: ZeroDivisionError: division by zero in the age-band projection"
        )
        assert reasons[queries_a_missing_table.id].startswith(f"handler failed {budget} times: ")
        assert "rm_not_migrated_yet" in reasons[queries_a_missing_table.id]
