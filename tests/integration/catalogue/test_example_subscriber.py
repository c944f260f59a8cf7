"""The example subscriber in examples/, against the real broker: it receives and parses one event of every
type from the three events topics, skips a duplicate delivery and a record that is not an event, and a new
consumer group replays everything. The records on the broker parse with the official CloudEvents SDK."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from cloudevents.core.bindings import kafka as ce_kafka

from helpers import eventually, publish_events, read_topic
from owes_contracts import ALL_EVENTS, PRODUCERS, topic_for
from owes_contracts.envelope import CloudEvent
from owes_contracts.schemas import EXAMPLE_PARTNERS, event_key, example_payload
from owes_messaging.broker import ensure_topics
from owes_messaging.settings import KafkaSettings

# a consumer group of the tests' own settles quicker with short sessions (the broker's minimum is 6 s)
FAST_GROUPS = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 300}
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "subscriber.py"


def load_example():
    spec = importlib.util.spec_from_file_location("owes_example_subscriber", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


subscriber = load_example()


def recorded(model) -> CloudEvent:
    """One valid event of this type, made of the contract's field examples, in a real envelope."""
    partner = EXAMPLE_PARTNERS[model.producer]
    return CloudEvent.record(
        model.model_validate(example_payload(model)), source=f"/owes/{partner}/{model.producer}", partner=partner
    )


async def publish(bootstrap: str, namespace: str, events: list[CloudEvent], *, extra_records=()) -> None:
    await ensure_topics(KafkaSettings(bootstrap_servers=bootstrap), [topic_for(p, namespace) for p in PRODUCERS])
    await publish_events(bootstrap, events, namespace=namespace)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for topic, record in extra_records:
            await producer.send_and_wait(topic_for(topic, namespace), **record)
    finally:
        await producer.stop()


async def run_until(bootstrap: str, namespace: str, group_id: str, done, received: list, stats=None):
    """Run the example's consume() until done(stats) holds; return its stats."""
    stats = stats or subscriber.Stats()
    stop = asyncio.Event()

    async def handle(event):
        received.append(event)
        await subscriber.print_event(event)

    task = asyncio.create_task(
        subscriber.consume(
            bootstrap,
            group_id=group_id,
            topic_names=subscriber.topics(namespace),
            handle=handle,
            stop=stop,
            stats=stats,
            **FAST_GROUPS,
        )
    )

    async def finished():
        assert not task.done() or task.exception() is None
        assert done(stats), stats

    try:
        await eventually(finished, timeout=60)
    finally:
        stop.set()
        await task
    return stats


@pytest.fixture
async def published(kafka_bootstrap, namespace) -> list[CloudEvent]:
    """One event of every type on the three topics, then a duplicate delivery and a record that is no event."""
    events = [recorded(model) for model in ALL_EVENTS]
    duplicate = events[0]
    noise = ("advisory", {"value": b"not an event", "key": b"x"})
    await publish(kafka_bootstrap, namespace, [*events, duplicate], extra_records=[noise])
    return events


class TestExampleSubscriber:
    async def test_receives_and_parses_every_event_type_once(self, kafka_bootstrap, namespace, published, capsys):
        received: list = []
        stats = await run_until(
            kafka_bootstrap,
            namespace,
            f"{namespace}.crm",
            lambda s: s.handled == len(ALL_EVENTS) and s.duplicates == 1 and s.skipped == 1,
            received,
        )
        assert (stats.handled, stats.duplicates, stats.skipped) == (len(ALL_EVENTS), 1, 1)
        # one of each contract: a type published in two versions (CooperativeFounded v1 and v2) arrives twice
        by_contract = {(e.type, e.schemaversion): e for e in received}
        assert sorted(by_contract) == sorted((m.ce_type(), m.version) for m in ALL_EVENTS)
        for model, sent in zip(ALL_EVENTS, published, strict=True):
            got = by_contract[(model.ce_type(), model.version)]
            assert (got.id, got.source, got.subject, got.partner) == (sent.id, sent.source, sent.subject, sent.partner)
            assert (got.schemaversion, got.correlationid, got.time) == (model.version, sent.correlationid, sent.time)
            assert got.data == example_payload(model), event_key(model)
            assert got.topic == topic_for(model.producer, namespace)
        lines = capsys.readouterr().out.splitlines()
        # the subscriber's own lines ("2026-11-29 06:06 rybnik: …"), not the log lines a busy broker causes
        printed = [line for line in lines if re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+: ", line)]
        assert len(printed) == len(ALL_EVENTS), printed
        assert any("application app_2026_017 awarded PLN 117500.00 for 5 jobs" in line for line in lines)

    async def test_a_new_consumer_group_replays_every_event(self, kafka_bootstrap, namespace, published):
        first, replay = [], []
        await run_until(kafka_bootstrap, namespace, f"{namespace}.crm", lambda s: s.handled == len(ALL_EVENTS), first)
        await run_until(
            kafka_bootstrap, namespace, f"{namespace}.warehouse", lambda s: s.handled == len(ALL_EVENTS), replay
        )
        assert sorted(e.id for e in replay) == sorted(e.id for e in first) == sorted(e.id for e in published)

    async def test_the_same_group_resumes_after_its_committed_offsets(self, kafka_bootstrap, namespace, published):
        await run_until(
            kafka_bootstrap,
            namespace,
            f"{namespace}.crm",
            lambda s: s.handled == len(ALL_EVENTS) and s.duplicates == 1 and s.skipped == 1,
            [],
        )
        later = recorded(ALL_EVENTS[-1])
        await publish(kafka_bootstrap, namespace, [later])
        resumed: list = []
        stats = await run_until(kafka_bootstrap, namespace, f"{namespace}.crm", lambda s: s.handled >= 1, resumed)
        assert [e.id for e in resumed] == [later.id]
        assert (stats.duplicates, stats.skipped) == (0, 0)


class TestRecordsOnTheBroker:
    async def test_parse_with_the_cloudevents_sdk_for_every_event_type(self, kafka_bootstrap, namespace, published):
        records = [r for p in PRODUCERS for r in await read_topic(kafka_bootstrap, topic_for(p, namespace))]
        events = [r for r in records if any(k == "ce_id" for k, _ in r.headers)]
        parsed = {}
        for record in events:
            event = ce_kafka.from_binary_event(
                ce_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
            )
            parsed[event.get_id()] = event
        for model, sent in zip(ALL_EVENTS, published, strict=True):
            event = parsed[sent.id]
            assert event.get_type() == model.ce_type()
            assert event.get_subject() == event.get_extension("partitionkey") == sent.subject  # key = subject
            assert event.get_extension("schemaversion") == str(model.version)
            assert event.get_extension("correlationid") == sent.correlationid
            assert event.get_extension("partner") == sent.partner
            assert event.get_data() == example_payload(model)
