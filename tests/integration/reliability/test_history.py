"""History that survives the broker: a relay never marks a row published on a broker other than the one it
published to before (a broker replaced under it gets every kept row again, in order), published rows are pruned
after the retention, and a rebuild refuses to swap in read models built from a log that lost events."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from helpers import eventually, header, participant_form, publish_events, read_topic, running, settings_for
from integration.reliability.conftest import recruited_event
from owes_cli.embedded import EmbeddedBroker, free_port
from owes_contracts import topic_for
from owes_messaging.broker import ensure_topics
from owes_messaging.outbox import OutboxRelay
from owes_messaging.settings import KafkaSettings
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.rebuild import RebuildRefused, rebuild
from reporting.settings import ReportingSettings


def outbox_rows(engine_url: str) -> list[tuple]:
    """(event_id, published_at) of every outbox row, in commit order (SQLite file)."""
    import sqlite3

    conn = sqlite3.connect(engine_url.split("///", 1)[1])
    try:
        return conn.execute("SELECT event_id, published_at FROM outbox ORDER BY seq").fetchall()
    finally:
        conn.close()


class TestBrokerReplacedUnderARunningRelay:
    @pytest.mark.parametrize("db_backend", ["sqlite"])
    async def test_every_kept_row_reaches_the_new_broker_in_order(self, database_url, namespace, tmp_path):
        port = free_port()
        first = EmbeddedBroker(port).start()
        url = database_url("recruitment")
        settings = settings_for(
            RecruitmentSettings,
            database_url=url,
            kafka_bootstrap=first.bootstrap_servers,
            namespace=namespace,
            idempotence=False,
        )
        topic = topic_for("recruitment", namespace)
        second = None
        try:
            async with running(recruitment_app(settings)) as rec:
                for _ in range(5):
                    assert (await rec.post("/participants", json=participant_form())).status_code == 201

                async def all_published():
                    assert all(published for _, published in outbox_rows(url))

                await eventually(all_published)
                first_id = rec.runtime.relay.broker_id
                assert first_id == first.cluster_id
                # the broker goes and another, empty one takes its port (as a restarted Tansu)
                await asyncio.to_thread(first.stop)
                second = await asyncio.to_thread(EmbeddedBroker(port).start)
                for _ in range(5):
                    assert (await rec.post("/participants", json=participant_form())).status_code == 201

                async def all_on_the_new_broker():
                    ids = [header(r, "ce_id") for r in await read_topic(second.bootstrap_servers, topic, idle=0.5)]
                    assert set(ids) >= {event_id for event_id, _ in outbox_rows(url)}
                    assert all(published for _, published in outbox_rows(url))
                    return ids

                await eventually(all_on_the_new_broker, timeout=60, interval=0.5)
                assert rec.runtime.relay.broker_id == second.cluster_id != first_id
                assert rec.runtime.relay.republished_total >= 5
            # per key order holds: each participant has one event, and the rows went out in commit order
            records = await read_topic(second.bootstrap_servers, topic, idle=0.5)
            committed = [event_id for event_id, _ in outbox_rows(url)]
            by_partition: dict[int, list[str]] = {}
            for record in sorted(records, key=lambda r: (r.partition, r.offset)):
                by_partition.setdefault(record.partition, []).append(header(record, "ce_id"))
            for ids in by_partition.values():
                first_seen = list(dict.fromkeys(ids))
                assert first_seen == [i for i in committed if i in set(first_seen)]
        finally:
            first.stop()
            if second:
                second.stop()


class TestOutboxRetention:
    @pytest.mark.parametrize("db_backend", ["sqlite", "postgres"])
    async def test_rows_published_longer_ago_than_the_retention_are_pruned_and_no_others(
        self, database_url, kafka_bootstrap, namespace
    ):
        settings = settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            outbox_retention_days=1,
        )
        async with running(recruitment_app(settings)) as rec:
            relay: OutboxRelay = rec.runtime.relay
            assert relay.retention == dt.timedelta(days=1)
            for _ in range(3):
                assert (await rec.post("/participants", json=participant_form())).status_code == 201

            async def published():
                assert await relay.pending_count() == 0

            await eventually(published)
            table = relay.table
            async with rec.runtime.engine.begin() as conn:
                seqs = (await conn.execute(sa.select(table.c.seq).order_by(table.c.seq))).scalars().all()
                await conn.execute(
                    sa.update(table)
                    .where(table.c.seq == seqs[0])
                    .values(published_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
                )
            assert await relay.prune_published() == 1
            async with rec.runtime.engine.connect() as conn:
                left = (await conn.execute(sa.select(table.c.seq).order_by(table.c.seq))).scalars().all()
            assert left == seqs[1:]

    def test_a_retention_shorter_than_a_day_is_refused_and_zero_keeps_rows_forever(self):
        with pytest.raises(ValidationError, match="at least 1 day"):
            RecruitmentSettings(outbox_retention_days=0.5)
        assert RecruitmentSettings(outbox_retention_days=0).outbox_retention is None


async def _recreate(bootstrap: str, topic: str) -> None:
    """Delete a topic and create it empty: a log that lost its history."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])

        async def gone():
            assert topic not in await admin.list_topics()

        await eventually(gone, timeout=30)

        async def created():
            try:  # created, and every partition has a leader before anything is produced to it
                await ensure_topics(KafkaSettings(bootstrap_servers=bootstrap, topic_partitions=3), [topic])
            except Exception as exc:  # still being deleted
                raise AssertionError(repr(exc)) from None
            assert topic in await admin.list_topics()

        await eventually(created, timeout=30, interval=0.5)
    finally:
        await admin.close()


class TestRebuildFromATruncatedLog:
    @pytest.mark.parametrize("db_backend", ["sqlite"])
    async def test_refused_with_the_difference_unless_forced(self, reporting, publisher, kafka_bootstrap, namespace):
        topic = topic_for("recruitment", namespace)
        events = [recruited_event() for _ in range(6)]
        async with running(reporting()) as rep:
            for event in events:
                await publisher.event(topic, event)

            async def all_counted():
                response = await rep.get("/indicators")
                assert response.json()["people_supported"] == 6

            await eventually(all_counted, timeout=60)
        await _recreate(kafka_bootstrap, topic)
        # the log keeps a third of what the live models were built from (a new producer: the fixture's knows the
        # deleted topic's leaders)
        await publish_events(kafka_bootstrap, events[:2], topic=topic)
        settings = settings_for(
            ReportingSettings, database_url=reporting.database_url, kafka_bootstrap=kafka_bootstrap, namespace=namespace
        )
        with pytest.raises(RebuildRefused) as refused:
            await rebuild(settings, commit_offsets=False)
        assert "recruitment: the live models applied 6 events" in str(refused.value)
        assert "the log holds 2" in str(refused.value)
        async with running(reporting()) as rep:  # nothing was changed
            assert (await rep.get("/indicators")).json()["people_supported"] == 6
        forced = await rebuild(settings, commit_offsets=False, force=True)
        assert forced.forced_past and forced.applied == 2
        async with running(reporting()) as rep:
            assert (await rep.get("/indicators")).json()["people_supported"] == 2

    @pytest.mark.parametrize("db_backend", ["sqlite"])
    async def test_a_complete_log_rebuilds_without_complaint(self, reporting, publisher, kafka_bootstrap, namespace):
        topic = topic_for("recruitment", namespace)
        async with running(reporting()) as rep:
            for _ in range(4):
                await publisher.event(topic, recruited_event())

            async def all_counted():
                assert (await rep.get("/indicators")).json()["people_supported"] == 4

            await eventually(all_counted, timeout=60)
        settings = settings_for(
            ReportingSettings, database_url=reporting.database_url, kafka_bootstrap=kafka_bootstrap, namespace=namespace
        )
        result = await rebuild(settings, commit_offsets=False)
        assert result.applied == 4 and result.forced_past == []
