"""Replicas of one service share its PostgreSQL outbox: their relays take turns (an advisory lock held for one
batch's transaction), so every row reaches the topic once, and each partition holds its rows in commit order."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
import sqlalchemy as sa

from helpers import eventually, header, participant_form, read_topic, running, settings_for
from owes_contracts import topic_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings


@pytest.mark.parametrize("db_backend", ["postgres"])
async def test_two_replicas_relays_publish_each_row_once_in_commit_order(database_url, kafka_bootstrap, namespace):
    url = database_url("recruitment")

    def replica():
        return recruitment_app(
            settings_for(RecruitmentSettings, database_url=url, kafka_bootstrap=kafka_bootstrap, namespace=namespace)
        )

    topic = topic_for("recruitment", namespace)
    async with running(replica()) as first, running(replica()) as second:

        async def register(client, n: int) -> None:
            for _ in range(n):
                assert (await client.post("/participants", json=participant_form())).status_code == 201

        await asyncio.gather(register(first, 20), register(second, 20))

        async def all_published() -> None:
            assert await first.runtime.relay.pending_count() == 0

        await eventually(all_published)
        # both relays took part: each replica's own writes woke its own relay
        assert first.runtime.relay.published_total > 0
        assert second.runtime.relay.published_total > 0
        assert first.runtime.relay.published_total + second.runtime.relay.published_total == 40
        async with first.runtime.engine.connect() as conn:
            seq_of = dict((await conn.execute(sa.text("SELECT event_id, seq FROM outbox"))).all())

    records = await read_topic(kafka_bootstrap, topic, idle=0.5)
    ids = [header(record, "ce_id") for record in records]
    assert sorted(ids) == sorted(seq_of) and len(ids) == 40
    by_partition: dict[int, list[int]] = defaultdict(list)
    for record in records:
        by_partition[record.partition].append(seq_of[header(record, "ce_id")])
    for seqs in by_partition.values():
        assert seqs == sorted(seqs)
