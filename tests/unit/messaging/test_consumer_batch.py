"""EventConsumer.handle_batch: records applied in order, offsets committed once per batch, and after a failure
only the unfinished records are delivered again (the semantics of a commit per record)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata

from owes_messaging.consumer import EventConsumer, ShuttingDown


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int


class KafkaConsumer:
    """Records what handle_batch asks of the aiokafka consumer (the offset bookkeeping is the logic under test)."""

    def __init__(self, *, commit_fails: bool = False) -> None:
        self.commits: list[dict] = []
        self.seeks: dict[TopicPartition, int] = {}
        self.commit_fails = commit_fails

    async def commit(self, offsets) -> None:
        if self.commit_fails:
            raise ConnectionError("broker away")
        self.commits.append(offsets)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks[tp] = offset


def consumer() -> EventConsumer:
    return EventConsumer(
        name="test", sessionmaker=None, inbox=None, handlers={}, dead_letter=None, dead_letter_topic="dlq"
    )


A0, A1 = TopicPartition("t", 0), TopicPartition("t", 1)
BATCH = [Record("t", 0, 10), Record("t", 1, 5), Record("t", 0, 11), Record("t", 1, 6), Record("t", 0, 12)]


class TestHandleBatch:
    async def test_applies_records_in_order_and_commits_the_batch_once(self):
        applied, kafka = [], KafkaConsumer()

        async def handle(record):
            applied.append(record)

        await consumer().handle_batch(BATCH, kafka, handle=handle)
        assert applied == BATCH
        assert kafka.commits == [{A0: OffsetAndMetadata(13, ""), A1: OffsetAndMetadata(7, "")}]
        assert kafka.seeks == {}

    async def test_failure_commits_what_was_applied_and_rewinds_to_the_first_unfinished_record(self):
        applied, kafka = [], KafkaConsumer()

        async def handle(record):
            if record == Record("t", 1, 6):
                raise RuntimeError("dead-letter topic unreachable")
            applied.append(record)

        with pytest.raises(RuntimeError):
            await consumer().handle_batch(BATCH, kafka, handle=handle)
        assert applied == BATCH[:3]
        assert kafka.commits == [{A0: OffsetAndMetadata(12, ""), A1: OffsetAndMetadata(6, "")}]
        assert kafka.seeks == {A0: 12, A1: 6}  # each partition from its first record not applied

    async def test_shutdown_stops_between_records_and_leaves_the_rest_for_redelivery(self):
        kafka, events = KafkaConsumer(), consumer()
        applied = []

        async def handle(record):
            applied.append(record)
            if len(applied) == 2:
                events.stopping.set()

        with pytest.raises(ShuttingDown):
            await events.handle_batch(BATCH, kafka, handle=handle)
        assert applied == BATCH[:2]
        assert kafka.commits == [{A0: OffsetAndMetadata(11, ""), A1: OffsetAndMetadata(6, "")}]
        assert kafka.seeks == {A0: 11, A1: 6}

    async def test_a_partition_with_nothing_applied_is_rewound_to_its_first_record(self):
        kafka = KafkaConsumer()

        async def handle(record):
            raise ShuttingDown()

        with pytest.raises(ShuttingDown):
            await consumer().handle_batch(BATCH, kafka, handle=handle)
        assert kafka.commits == []
        assert kafka.seeks == {A0: 10, A1: 5}

    async def test_when_the_commit_fails_the_partitions_are_still_rewound_and_the_error_kept(self):
        kafka = KafkaConsumer(commit_fails=True)

        async def handle(record):
            if record.offset == 12:
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            await consumer().handle_batch(BATCH, kafka, handle=handle)
        assert kafka.seeks == {A0: 12}  # partition 1 was finished; its records come again only if never committed
