"""Prometheus metrics of one service process, served at /metrics.

Every service builds its own registry in the composition root (no import-time globals), so two services
running in one process, as they do in the tests, never collide. Counters are fed as things happen (requests,
publishes, consumer outcomes); the outbox backlog and the consumer lag are measured when Prometheus scrapes.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import structlog
from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from owes_contracts import UnknownEventType, contract_for
from owes_contracts.envelope import CloudEvent
from owes_contracts.reading import Reading
from owes_messaging.consumer import Outcome
from owes_messaging.outbox import OutboxRelay

log = structlog.get_logger("owes.metrics")

# Seconds; API calls are small database transactions, so the interesting range is 5 ms to a few seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED_ROUTE = "<unmatched>"


class ServiceMetrics:
    """The metrics of one service, in a registry of their own."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.http_request_duration = Histogram(
            "owes_http_request_duration_seconds",
            "HTTP request latency by route template, method and status.",
            ["service", "route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.events_published = Counter(
            "owes_events_published",
            "Events the outbox relay published and the broker acknowledged.",
            ["service", "topic", "event_type"],
            registry=r,
        )
        self.events_consumed = Counter(
            "owes_events_consumed",
            "Events consumed, by outcome (applied, duplicate, ignored, dead_lettered).",
            ["service", "event_type", "outcome"],
            registry=r,
        )
        self.events_read_tolerantly = Counter(
            "owes_events_read_tolerantly",
            "Fields ignored and enum values counted as unknown by a consumer a release behind its producer.",
            ["service", "event_type", "field", "kind"],
            registry=r,
        )
        self.dead_letters = Counter(
            "owes_dead_letters", "Records sent to this service's dead-letter topic.", ["service"], registry=r
        )
        self.outbox_backlog = Gauge(
            "owes_outbox_backlog", "Outbox rows committed but not yet published.", ["service"], registry=r
        )
        self.consumer_lag = Gauge(
            "owes_consumer_lag",
            "Records on the partition not yet handed to this service's consumer (high watermark minus position).",
            ["service", "topic", "partition"],
            registry=r,
        )
        self.dead_letters.labels(service)  # a zero series from the start, so increase() sees the first one

    # --- fed as things happen ---------------------------------------------------------------------------
    def observe_request(self, *, route: str, method: str, status: int, seconds: float) -> None:
        self.http_request_duration.labels(self.service, route, method, str(status)).observe(seconds)

    def observe_published(self, rows: Iterable) -> None:
        """Count outbox rows the relay published (rows with `topic` and `event_type`)."""
        for row in rows:
            self.events_published.labels(self.service, row.topic, getattr(row, "event_type", "") or "").inc()

    def observe_tolerated(self, event: CloudEvent, reading: Reading) -> None:
        """An event applied although it carried fields or enum values this release does not know."""
        for name in reading.ignored_fields:
            self.events_read_tolerantly.labels(self.service, event.type, name, "ignored_field").inc()
        for name in reading.unknown_values:
            self.events_read_tolerantly.labels(self.service, event.type, name, "unknown_value").inc()

    def observe_outcomes(self, observed: Sequence[tuple[CloudEvent | None, Outcome]]) -> None:
        """Count what consumed events came to (a consumer's outcome observer): one increment per label set, not
        per event (a catch-up applies thousands of events a second)."""
        tally = Tally((event and (event.type, event.schemaversion), outcome) for event, outcome in observed)
        for (kind, outcome), count in tally.items():
            event_type = _type_label(*kind) if kind else "unparseable"
            self.events_consumed.labels(self.service, event_type, Outcome(outcome).value).inc(count)
            if outcome == Outcome.DEAD_LETTERED:
                self.dead_letters.labels(self.service).inc(count)

    # --- measured at scrape time ------------------------------------------------------------------------
    async def refresh(self, *, relay: OutboxRelay | None = None, consumers: Iterable[Any] = ()) -> None:
        """Measure the outbox backlog and the consumer lag now."""
        if relay is not None:
            try:
                self.outbox_backlog.labels(self.service).set(await relay.pending_count())
            except Exception as exc:  # the database is away: keep the last value, say why in the log
                log.warning("outbox_backlog_unavailable", error=repr(exc))
        lags: dict[tuple[str, int], int] = {}
        for consumer in consumers:
            lags |= await consumer_lag(consumer)
        self.consumer_lag.clear()  # partitions revoked in a rebalance disappear with their series
        for (topic, partition), lag in sorted(lags.items()):
            self.consumer_lag.labels(self.service, topic, str(partition)).set(lag)

    def render(self) -> bytes:
        return generate_latest(self.registry)


@functools.lru_cache(maxsize=1024)
def _type_label(event_type: str, version: int) -> str:
    try:
        contract_for(event_type, version)
    except UnknownEventType:
        return "unknown"
    return event_type


async def consumer_lag(consumer: Any, *, timeout: float = 1.0) -> dict[tuple[str, int], int]:
    """Lag per assigned partition: the partition's end offset minus the consumer's position.

    The end offset is the larger of what the broker answers now (`end_offsets()`, exact on Apache Kafka, which
    fetches nothing more for a partition while its fetched records wait to be handled) and the high watermark of
    the last fetch (`highwater()`: the embedded Tansu under-reports `end_offsets()`). A partition with neither is
    left out rather than guessed.
    """
    lags: dict[tuple[str, int], int] = {}
    try:
        assignment = list(consumer.assignment())
    except Exception:  # not started, or stopped
        return lags
    if not assignment:
        return lags
    try:
        ends: dict = await asyncio.wait_for(consumer.end_offsets(assignment), timeout)
    except Exception:  # broker away or slow: the last fetch's high watermark is all there is
        ends = {}
    for tp in assignment:
        known = [end for end in (consumer.highwater(tp), ends.get(tp)) if end is not None]
        if not known:
            continue
        try:
            position = await asyncio.wait_for(consumer.position(tp), timeout)
        except Exception:  # no position yet (rebalancing, offsets being fetched): no lag to report
            position = None
        if position is not None:
            lags[(tp.topic, tp.partition)] = max(0, max(known) - position)
    return lags


def kafka_consumers(broker: Any) -> list[Any]:
    """The aiokafka consumers behind a FastStream broker's running subscribers."""
    consumers = []
    for subscriber in broker.subscribers:
        group = getattr(subscriber, "consumer_subgroup", None) or [getattr(subscriber, "consumer", None)]
        consumers += [c for c in group if c is not None]
    return consumers


def metrics_router(metrics: ServiceMetrics, *, refresh: Callable[[], Awaitable[None]] | None = None) -> APIRouter:
    """GET /metrics in the Prometheus text format."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        if refresh is not None:
            await refresh()
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router
