"""Catching up: events that piled up while reporting was stopped are applied a fetched batch per transaction,
each exactly once; a record that fails in a batch is isolated (the batch is taken one at a time) and
dead-lettered as before, and the others are still applied once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from helpers import eventually, running
from integration.reliability.conftest import recruited_event
from owes_cli.deadletters import read_dead_letters
from owes_contracts import dead_letter_topic_for, topic_for

BACKLOG = 3000


async def inbox_count(url: str) -> int:
    from owes_messaging.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(sa.text("SELECT count(*) FROM inbox WHERE consumer = 'reporting'"))
    finally:
        await engine.dispose()


class TestCatchingUp:
    async def test_a_backlog_is_applied_once_each_in_batches(self, reporting, kafka_bootstrap, namespace):
        topic = topic_for("recruitment", namespace)
        async with running(reporting()):  # creates the topics and the group, then stops: the backlog builds up
            pass
        events = [recruited_event() for _ in range(BACKLOG)]
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=20)
        await producer.start()
        try:
            for event in events:
                await producer.send(topic, event.kafka_value(), key=event.kafka_key(), headers=event.kafka_headers())
            for event in events[:50]:  # redelivered duplicates among them (a relay that published twice)
                await producer.send(topic, event.kafka_value(), key=event.kafka_key(), headers=event.kafka_headers())
            await producer.flush()
        finally:
            await producer.stop()
        async with running(reporting()) as rep:
            consumer = rep.runtime.consumer

            async def caught_up():
                assert (await rep.get("/indicators")).json()["people_supported"] == BACKLOG

            await eventually(caught_up, timeout=120, interval=0.5)
            assert await inbox_count(reporting.database_url) == BACKLOG
            assert consumer.outcomes["applied"] == BACKLOG
            assert consumer.outcomes["duplicate"] == 50

    @pytest.mark.parametrize("db_backend", ["sqlite"])
    async def test_a_poison_record_in_a_batch_is_dead_lettered_and_the_rest_applied_once(
        self, reporting, publisher, kafka_bootstrap, namespace
    ):
        topic = topic_for("recruitment", namespace)
        async with running(reporting()):
            pass
        good = [recruited_event() for _ in range(40)]
        for event in good[:20]:
            await publisher.event(topic, event)
        # a record that is not JSON sits among good ones, in the batches they arrive in
        await publisher.record(topic, value=b"{not json", key=good[0].kafka_key(), headers=[("ce_id", b"x")])
        for event in good[20:]:
            await publisher.event(topic, event)
        async with running(reporting()) as rep:

            async def caught_up():
                assert (await rep.get("/indicators")).json()["people_supported"] == 40

            await eventually(caught_up, timeout=60, interval=0.3)

            async def dead_lettered():
                letters = await read_dead_letters(
                    {"bootstrap_servers": kafka_bootstrap}, dead_letter_topic_for("reporting", namespace)
                )
                assert len(letters) == 1
                return letters

            await eventually(dead_lettered, timeout=30)
            assert await inbox_count(reporting.database_url) == 40
            assert rep.runtime.consumer.outcomes["applied"] == 40


class TestClaimingABatch:
    """The inbox claims a fetched batch in one statement; what it does not claim was applied before."""

    async def test_claims_each_event_once_and_leaves_out_what_was_applied_before(self, database_url):
        from owes_messaging.db import create_engine, create_sessionmaker
        from owes_messaging.inbox import Inbox
        from owes_messaging.migrations import upgrade_to_head_async
        from reporting.main import MIGRATIONS
        from reporting.tables import metadata

        url = database_url("reporting")
        await upgrade_to_head_async(MIGRATIONS, url)
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        inbox = Inbox(table=metadata.tables["inbox"], consumer="reporting")
        first, again = [recruited_event() for _ in range(300)], [recruited_event() for _ in range(200)]
        try:
            async with sessions() as session, session.begin():
                claimed = await inbox.claim_all(session, [*first, first[0]])  # one event twice in the batch
            assert claimed == {e.id for e in first}
            async with sessions() as session, session.begin():  # the batch delivered again, with new events
                claimed = await inbox.claim_all(session, [*first[:100], *again])
            assert claimed == {e.id for e in again}
            async with sessions() as session, session.begin():
                assert await inbox.claim_all(session, []) == set()
                assert await inbox.claim_all(session, [again[0]]) == set()  # one event: the one-at-a-time path
            async with engine.connect() as conn:
                assert await conn.scalar(sa.text("SELECT count(*) FROM inbox")) == 500
        finally:
            await engine.dispose()
