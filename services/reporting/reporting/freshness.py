"""How fresh the figures are: the last event seen from each partner, and how far the consumer lags behind.

Lag is the consumer's position against each partition's end offset (owes_service.metrics.consumer_lag: the
broker's answer, or the last fetch's high watermark where the embedded Tansu under-reports it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from owes_contracts import PRODUCERS, topic_for
from owes_contracts.releases import known_release
from owes_service.metrics import consumer_lag as partition_lags
from owes_service.metrics import kafka_consumers
from owes_service.wording import refusal

from .repository import Connection, partner_activity_rows

if TYPE_CHECKING:
    from owes_service.runtime import ServiceRuntime


@dataclass(frozen=True)
class TopicLag:
    topic: str
    producer: str
    lag: int | None  # events on the topic not yet applied; None until the consumer has fetched from it
    partitions: int
    partitions_fetched: int


@dataclass(frozen=True)
class PartnerFreshness:
    partner: str
    producer: str
    last_event_at: dt.datetime | None  # the CloudEvents time of the latest event from the partner
    lag: int | None
    received_at: dt.datetime | None = None  # when this process last applied one of its events (since start)
    release: str | None = None  # the release the partner's service runs, from its latest event (since start)

    @property
    def release_warning(self) -> str | None:
        """Said when the partner runs a release this reporting does not know: events it publishes in a contract
        version reporting cannot read go to the dead-letter topic until reporting is upgraded."""
        if self.release is None or known_release(self.release):
            return None
        return refusal(
            "%(partner)s runs release %(release)s, which this reporting does not know: "
            "upgrade reporting to read the event versions it publishes",
            partner=self.partner,
            release=self.release,
        )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


async def consumer_lag(runtime: ServiceRuntime, namespace: str) -> dict[str, TopicLag]:
    """Per producing service: end offset minus position, summed over the assigned partitions."""
    topics = {topic_for(p, namespace): p for p in PRODUCERS}
    totals: dict[str, list[int]] = {t: [0, 0, 0] for t in topics}  # lag, partitions assigned, partitions fetched
    for consumer in kafka_consumers(runtime.broker):
        for tp in consumer.assignment():
            if tp.topic in totals:
                totals[tp.topic][1] += 1
        for (topic, _partition), lag in (await partition_lags(consumer)).items():
            if topic in totals:
                totals[topic][0] += lag
                totals[topic][2] += 1
    return {
        t: TopicLag(t, topics[t], lag if fetched else None, parts, fetched)
        for t, (lag, parts, fetched) in totals.items()
    }


async def partner_freshness(
    connection: Connection,
    lags: dict[str, TopicLag],
    received: dict[str, dt.datetime] | None = None,
    releases: dict[str, str] | None = None,
) -> list[PartnerFreshness]:
    """One line per partner seen in events, and one per producing service not heard from yet."""
    rows = await partner_activity_rows(connection)
    lag_of = {lag.producer: lag.lag for lag in lags.values()}
    received, releases = received or {}, releases or {}
    lines = [
        PartnerFreshness(
            r.partner,
            r.producer,
            _aware(r.last_event_at),
            lag_of.get(r.producer),
            received.get(r.partner),
            releases.get(r.partner),
        )
        for r in rows
    ]
    heard = {r.producer for r in rows}
    lines += [PartnerFreshness("(none yet)", p, None, lag_of.get(p)) for p in PRODUCERS if p not in heard]
    order = {p: i for i, p in enumerate(PRODUCERS)}
    return sorted(lines, key=lambda f: (order.get(f.producer, 9), f.partner))


def freshness_json(lines: list[PartnerFreshness], lags: dict[str, TopicLag], now: dt.datetime) -> dict:
    return {
        "checked_at": now.isoformat(),
        "partners": [
            {
                "partner": f.partner,
                "producer": f.producer,
                "last_event_at": f.last_event_at.isoformat() if f.last_event_at else None,
                "seconds_since_last_event": round((now - f.last_event_at).total_seconds(), 1)
                if f.last_event_at
                else None,
                "consumer_lag": f.lag,
                "last_received_at": f.received_at.isoformat() if f.received_at else None,
                "release": f.release,
                "release_warning": f.release_warning,
            }
            for f in lines
        ],
        "topics": [
            {
                "topic": t.topic,
                "producer": t.producer,
                "consumer_lag": t.lag,
                "partitions": t.partitions,
                "partitions_fetched": t.partitions_fetched,
            }
            for t in lags.values()
        ],
    }
