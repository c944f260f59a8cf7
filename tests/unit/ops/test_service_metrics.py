"""owes_service.metrics: a registry per service (two services in one process never collide), outcomes and dead
letters counted, HTTP latency labelled by route template, consumer lag from high watermark minus position."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpx
from aiokafka import TopicPartition
from fastapi import FastAPI
from opentelemetry import trace
from prometheus_client.parser import text_string_to_metric_families

from owes_contracts import ParticipantRecruited
from owes_messaging.consumer import Outcome
from owes_service.http import ObservedRequestMiddleware
from owes_service.metrics import ServiceMetrics, consumer_lag


def samples(metrics: ServiceMetrics) -> dict[tuple[str, tuple], float]:
    families = text_string_to_metric_families(metrics.render().decode())
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def value(metrics: ServiceMetrics, name: str, **labels) -> float | None:
    return samples(metrics).get((name, tuple(sorted(labels.items()))))


def event(type_: str, version: int = 1):
    return SimpleNamespace(type=type_, schemaversion=version)


class FakeConsumer:
    """What consumer_lag reads of an aiokafka consumer: its assignment, high watermarks and positions."""

    def __init__(self, partitions: dict[TopicPartition, tuple[int | None, int | None]]) -> None:
        self.partitions = partitions

    def assignment(self):
        return set(self.partitions)

    def highwater(self, tp):
        return self.partitions[tp][0]

    async def position(self, tp):
        position = self.partitions[tp][1]
        if position is None:
            await asyncio.sleep(10)  # no position yet: aiokafka waits for one
        return position


class TestRegistryPerService:
    def test_two_services_in_one_process_keep_their_own_metrics(self):
        recruitment, reporting = ServiceMetrics("recruitment"), ServiceMetrics("reporting")
        recruitment.observe_outcomes([(None, Outcome.DEAD_LETTERED)])
        assert value(recruitment, "owes_dead_letters_total", service="recruitment") == 1
        assert value(reporting, "owes_dead_letters_total", service="reporting") == 0
        assert value(reporting, "owes_dead_letters_total", service="recruitment") is None


class TestConsumption:
    def test_outcomes_are_counted_by_event_type_and_dead_letters_separately(self):
        metrics = ServiceMetrics("reporting")
        recruited = event(ParticipantRecruited.ce_type(), ParticipantRecruited.version)
        metrics.observe_outcomes([(recruited, Outcome.APPLIED)])
        metrics.observe_outcomes([(recruited, Outcome.DUPLICATE)])
        metrics.observe_outcomes([(recruited, Outcome.DEAD_LETTERED)])
        labels = {"service": "reporting", "event_type": ParticipantRecruited.ce_type()}
        for outcome in ("applied", "duplicate", "dead_lettered"):
            assert value(metrics, "owes_events_consumed_total", outcome=outcome, **labels) == 1
        assert value(metrics, "owes_dead_letters_total", service="reporting") == 1

    def test_types_outside_the_contracts_share_one_label_value(self):
        metrics = ServiceMetrics("reporting")
        metrics.observe_outcomes([(event("com.attacker.Anything"), Outcome.DEAD_LETTERED)])
        metrics.observe_outcomes([(event("com.attacker.Else"), Outcome.DEAD_LETTERED)])
        metrics.observe_outcomes([(None, Outcome.DEAD_LETTERED)])
        base = {"service": "reporting", "outcome": "dead_lettered"}
        assert value(metrics, "owes_events_consumed_total", event_type="unknown", **base) == 2
        assert value(metrics, "owes_events_consumed_total", event_type="unparseable", **base) == 1

    def test_published_rows_are_counted_by_topic_and_type(self):
        metrics = ServiceMetrics("recruitment")
        row = SimpleNamespace(topic="owes.recruitment.events", event_type="pl.owes.recruitment.ParticipantRecruited")
        metrics.observe_published([row, row])
        assert (
            value(
                metrics,
                "owes_events_published_total",
                service="recruitment",
                topic=row.topic,
                event_type=row.event_type,
            )
            == 2
        )


class TestConsumerLag:
    async def test_lag_is_high_watermark_minus_position_per_partition(self):
        consumer = FakeConsumer({TopicPartition("t", 0): (10, 7), TopicPartition("t", 1): (4, 4)})
        assert await consumer_lag(consumer) == {("t", 0): 3, ("t", 1): 0}

    async def test_partitions_not_fetched_yet_or_without_position_are_left_out(self):
        consumer = FakeConsumer(
            {TopicPartition("t", 0): (None, 0), TopicPartition("t", 1): (5, None), TopicPartition("t", 2): (5, 2)}
        )
        assert await consumer_lag(consumer, timeout=0.05) == {("t", 2): 3}

    async def test_a_refresh_forgets_partitions_the_consumer_lost(self):
        metrics = ServiceMetrics("reporting")
        partitions = {TopicPartition("t", 0): (10, 7), TopicPartition("t", 1): (4, 1)}
        await metrics.refresh(consumers=[FakeConsumer(partitions)])
        assert value(metrics, "owes_consumer_lag", service="reporting", topic="t", partition="1") == 3
        del partitions[TopicPartition("t", 1)]  # revoked in a rebalance
        await metrics.refresh(consumers=[FakeConsumer(partitions)])
        assert value(metrics, "owes_consumer_lag", service="reporting", topic="t", partition="1") is None
        assert value(metrics, "owes_consumer_lag", service="reporting", topic="t", partition="0") == 3

    async def test_outbox_backlog_is_read_from_the_relay(self):
        metrics = ServiceMetrics("grants")

        class Relay:
            async def pending_count(self):
                return 42

        await metrics.refresh(relay=Relay())
        assert value(metrics, "owes_outbox_backlog", service="grants") == 42


class TestHttpLatency:
    async def test_requests_are_labelled_by_route_template_never_by_raw_path(self):
        metrics = ServiceMetrics("grants")
        app = FastAPI()

        @app.get("/applications/{application_id}")
        async def show(application_id: str):
            return {"id": application_id}

        app.add_middleware(ObservedRequestMiddleware, tracer=trace.NoOpTracer(), metrics=metrics)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            await client.get("/applications/a1")
            await client.get("/applications/a2")
            await client.get("/nowhere/x")
        count = "owes_http_request_duration_seconds_count"
        assert (
            value(metrics, count, service="grants", route="/applications/{application_id}", method="GET", status="200")
            == 2
        )
        assert value(metrics, count, service="grants", route="<unmatched>", method="GET", status="404") == 1
