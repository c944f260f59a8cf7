"""`owes dlq list` shows why and from where each record was dead-lettered; `owes dlq replay` sends the original
record back once the cause is fixed, and the inbox makes replaying it again harmless."""

from __future__ import annotations

import asyncio
import json
import sys

from helpers import eventually, read_topic, running
from owes_contracts import topic_for
from owes_messaging.consumer import Outcome, RetryPolicy


async def owes(*args: str) -> tuple[int, str, str]:
    """Run the real `owes` command in its own process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "owes_cli.main", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


async def people_supported(client) -> int:
    response = await client.get("/indicators")
    assert response.status_code == 200, response.text
    return response.json()["people_supported"]


class TestDeadLetterCommands:
    async def test_list_then_replay_after_the_fix_applies_the_event_exactly_once(
        self, reporting, publisher, recruited, kafka_bootstrap, namespace
    ):
        topic = topic_for("recruitment", namespace)
        unlucky, bad = recruited(), recruited()
        where = ["--bootstrap-servers", kafka_bootstrap, "--namespace", namespace]
        async with running(reporting()) as rep:
            consumer = rep.runtime.consumer
            consumer.retry = RetryPolicy(base_delay=0.02)
            key = (unlucky.type, unlucky.schemaversion)
            apply_recruited = consumer.handlers[key]

            async def broken(session, event, payload):  # a projection bug that a later release fixes
                raise KeyError(f"no county table entry for {payload.county!r}")

            consumer.handlers[key] = broken
            sent = await publisher.event(topic, unlucky)
            poison_headers = [(k, b"7" if k == "ce_schemaversion" else v) for k, v in bad.kafka_headers()]
            await publisher.record(topic, value=bad.kafka_value(), key=bad.kafka_key(), headers=poison_headers)

            async def both_dead_lettered():
                assert consumer.outcomes == {Outcome.DEAD_LETTERED: 2}

            await eventually(both_dead_lettered, timeout=30)

            code, out, err = await owes("dlq", "list", "reporting", *where)
            assert code == 0, err
            assert f"2 dead letter(s) in {namespace}.reporting.dlq" in out
            assert f"{topic} partition {sent.partition} offset {sent.offset}" in out
            assert f"pl.owes.recruitment.ParticipantRecruited id {unlucky.id}" in out
            assert "handler failed 5 times: KeyError" in out
            assert "no contract for pl.owes.recruitment.ParticipantRecruited v7" in out

            code, out, err = await owes("dlq", "list", "reporting", "--json", *where)
            assert code == 0, err
            letters = {d["id"]: d for d in json.loads(out)}
            assert letters[unlucky.id]["original_topic"] == topic
            assert letters[unlucky.id]["original_offset"] == sent.offset
            assert letters[unlucky.id]["type"] == unlucky.type
            assert letters[unlucky.id]["key"] == unlucky.subject
            assert letters[bad.id]["reason"].startswith("no contract for")

            consumer.handlers[key] = apply_recruited  # the fix is deployed
            code, out, err = await owes(
                "dlq", "replay", "reporting", "--id", unlucky.id, *where, "--database-url", reporting.database_url
            )
            assert code == 0, err
            assert f"replayed {letters[unlucky.id]['position']}" in out and "1 record(s) replayed" in out
            entries = (await rep.get("/audit", params={"entity_id": unlucky.id})).json()["entries"]
            assert [(e["method"], e["role"], e["status"]) for e in entries] == [("CLI", "operator", 0)]
            assert entries[0]["principal"].startswith("cli:")
            assert (
                entries[0]["path"]
                == f"owes dlq replay reporting: replayed {letters[unlucky.id]['position']} to {topic}"
            )

            async def applied_once():
                assert consumer.outcomes == {Outcome.DEAD_LETTERED: 2, Outcome.APPLIED: 1}
                assert await people_supported(rep) == 1

            await eventually(applied_once)

            code, out, err = await owes(
                "dlq", "replay", "reporting", "--id", unlucky.id, *where, "--database-url", reporting.database_url
            )
            assert code == 0, err

            async def replay_again_is_a_duplicate():
                assert consumer.outcomes == {Outcome.DEAD_LETTERED: 2, Outcome.APPLIED: 1, Outcome.DUPLICATE: 1}

            await eventually(replay_again_is_a_duplicate)
            assert await people_supported(rep) == 1

    async def test_replay_of_an_unknown_id_fails_and_sends_nothing(self, kafka_bootstrap, namespace):
        where = ["--bootstrap-servers", kafka_bootstrap, "--namespace", namespace]
        code, out, err = await owes("dlq", "replay", "reporting", "--id", "no-such-event", *where)
        assert code == 1
        assert f"not in {namespace}.reporting.dlq: no-such-event" in err
        code, out, _ = await owes("dlq", "list", "reporting", *where)
        assert code == 0 and f"no dead letters in {namespace}.reporting.dlq" in out


class TestForgedDeadLetters:
    async def test_replay_refuses_a_letter_whose_original_record_is_not_where_it_says(
        self, reporting, publisher, recruited, kafka_bootstrap, namespace
    ):
        """Someone with write access to a dead-letter topic plants records there with made-up dlq_* headers."""
        topic, dlq = topic_for("recruitment", namespace), f"{namespace}.reporting.dlq"
        real = recruited()
        async with running(reporting()):  # creates the topics and migrates the database the audit rows go to
            sent = await publisher.event(topic, real)
        invented, other_id = recruited(), recruited()

        def forged(event, offset: int, value: bytes) -> list:
            return [
                *event.kafka_headers(),
                ("dlq_reason", b"forged"),
                ("dlq_original_topic", topic.encode()),
                ("dlq_original_partition", str(sent.partition).encode()),
                ("dlq_original_offset", str(offset).encode()),
                ("dlq_consumer", b"reporting"),
            ]

        # an offset where nothing was ever written; a real offset holding another event; the real event's id
        # with another payload
        await publisher.record(
            dlq,
            value=invented.kafka_value(),
            key=invented.kafka_key(),
            headers=forged(invented, sent.offset + 1000, invented.kafka_value()),
        )
        await publisher.record(
            dlq,
            value=other_id.kafka_value(),
            key=other_id.kafka_key(),
            headers=forged(other_id, sent.offset, other_id.kafka_value()),
        )
        tampered = real.kafka_value().replace(b'"rybnicki"', b'"invented"')
        await publisher.record(dlq, value=tampered, key=real.kafka_key(), headers=forged(real, sent.offset, tampered))
        before = await read_topic(kafka_bootstrap, topic, idle=0.3)

        where = ["--bootstrap-servers", kafka_bootstrap, "--namespace", namespace]
        async with running(reporting(consumers_enabled=False)) as rep:
            code, out, err = await owes("dlq", "replay", "reporting", *where, "--database-url", reporting.database_url)
            assert code == 1, (out, err)
            assert f"no record at {topic} partition {sent.partition} offset {sent.offset + 1000}" in err
            assert f"offset {sent.offset} is event {real.id}, not {other_id.id}" in err
            assert f"key or value differs from the record at {topic} {sent.partition}:{sent.offset}" in err
            assert "0 record(s) replayed" in out
            refusals = [e for e in (await rep.get("/audit")).json()["entries"] if e["method"] == "CLI"]
            assert len(refusals) == 3 and all(e["status"] == 1 for e in refusals)
        after = await read_topic(kafka_bootstrap, topic, idle=0.3)
        assert len(after) == len(before) == 1
