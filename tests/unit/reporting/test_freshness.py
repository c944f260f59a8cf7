"""Freshness: consumer lag is the fetched high watermark minus the position, per producing service."""

from __future__ import annotations

import datetime as dt

from aiokafka import TopicPartition

from reporting.freshness import consumer_lag, freshness_json


class FakeConsumer:
    """What the lag needs of an aiokafka consumer: its assignment, fetched high watermarks and positions."""

    def __init__(self, partitions: dict[TopicPartition, tuple[int | None, int]]) -> None:
        self.partitions = partitions

    def assignment(self):
        return set(self.partitions)

    def highwater(self, tp):
        return self.partitions[tp][0]

    async def position(self, tp):
        return self.partitions[tp][1]

    async def end_offsets(self, _tps):
        raise AssertionError("end_offsets() under-reports on the embedded broker: never used")


class FakeRuntime:
    def __init__(self, consumer) -> None:
        self.broker = type("Broker", (), {"subscribers": [type("Sub", (), {"consumer": consumer})()]})()


class TestConsumerLag:
    async def test_lag_sums_highwater_minus_position_and_is_unknown_before_any_fetch(self):
        consumer = FakeConsumer(
            {
                TopicPartition("ns.recruitment.events", 0): (10, 7),
                TopicPartition("ns.recruitment.events", 1): (5, 5),
                TopicPartition("ns.advisory.events", 0): (None, 0),  # not fetched yet
                TopicPartition("ns.grants.events", 0): (3, 3),
            }
        )
        lags = await consumer_lag(FakeRuntime(consumer), "ns")
        assert {lag.producer: lag.lag for lag in lags.values()} == {"recruitment": 3, "advisory": None, "grants": 0}
        assert lags["ns.recruitment.events"].partitions == 2

        now = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        body = freshness_json([], lags, now)
        assert {t["producer"]: t["consumer_lag"] for t in body["topics"]} == {
            "recruitment": 3,
            "advisory": None,
            "grants": 0,
        }
