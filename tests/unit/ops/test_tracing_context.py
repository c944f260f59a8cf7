"""owes_service.tracing: the exporter follows the settings, the outbox stamps each event with the context of its
PRODUCER span, a consumer span continues the trace the event carries (or starts one), and the HTTP edge
continues a caller's traceparent."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import httpx
import pytest
import structlog
from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from owes_contracts.envelope import CloudEvent
from owes_messaging.tracing import stamp_trace
from owes_service.http import ObservedRequestMiddleware
from owes_service.metrics import ServiceMetrics
from owes_service.settings import TracingSettings
from owes_service.tracing import build_tracer_provider, consume_span, span_exporter

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_TRACEPARENT = f"00-{CALLER_TRACE}-b7ad6b7169203331-01"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(spans):
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return provider.get_tracer("test")


def an_event() -> CloudEvent:
    return CloudEvent(
        id="e1",
        source="/owes/test",
        type="pl.owes.test.Thing",
        time=dt.datetime.now(dt.UTC),
        subject="thing-1",
        schemaversion=1,
        correlationid="c1",
        data={},
    )


def record(headers: list[tuple[str, bytes]]):
    return SimpleNamespace(topic="owes.recruitment.events", partition=3, offset=41, headers=headers)


class TestExporter:
    def test_exports_nothing_by_default(self):
        assert span_exporter(TracingSettings()) is None
        assert (
            build_tracer_provider(service="grants", settings=TracingSettings()).resource.attributes["service.name"]
            == "grants"
        )

    def test_console_and_otlp_exporters_on_request(self):
        assert isinstance(span_exporter(TracingSettings(exporter="console")), ConsoleSpanExporter)
        exporter = span_exporter(TracingSettings(exporter="otlp", otlp_endpoint="http://collector:4318/v1/traces"))
        assert isinstance(exporter, OTLPSpanExporter)
        assert exporter._endpoint == "http://collector:4318/v1/traces"

    def test_reads_the_exporter_from_the_service_environment(self, monkeypatch):
        from grants.settings import GrantsSettings

        monkeypatch.setenv("GRANTS_TRACING__EXPORTER", "otlp")
        monkeypatch.setenv("GRANTS_TRACING__OTLP_ENDPOINT", "http://otel:4318/v1/traces")
        tracing = GrantsSettings().tracing
        assert (tracing.exporter, tracing.otlp_endpoint) == ("otlp", "http://otel:4318/v1/traces")


class TestStampingEvents:
    def test_event_carries_its_producer_span_which_is_a_child_of_the_span_in_scope(self, tracer, spans):
        with tracer.start_as_current_span("POST /participants") as request:
            stamped = stamp_trace(an_event(), tracer=tracer, topic="owes.recruitment.events")
        producer = next(s for s in spans.get_finished_spans() if s.kind == SpanKind.PRODUCER)
        assert producer.parent.span_id == request.get_span_context().span_id
        version, trace_id, span_id, flags = stamped.traceparent.split("-")
        assert (trace_id, span_id) == (f"{producer.context.trace_id:032x}", f"{producer.context.span_id:016x}")
        assert version == "00" and int(flags, 16) & 1  # sampled
        assert producer.attributes["messaging.message.id"] == "e1"
        assert ("ce_traceparent", stamped.traceparent.encode()) in stamped.kafka_headers()

    def test_outside_any_span_an_event_carries_no_traceparent(self):
        assert stamp_trace(an_event(), tracer=None, topic="t").traceparent is None


class TestConsumerSpan:
    def test_continues_the_trace_the_event_carries(self, tracer, spans):
        with consume_span(tracer, record([("ce_traceparent", CALLER_TRACEPARENT.encode()), ("ce_id", b"e1")])):
            pass
        (span,) = spans.get_finished_spans()
        assert span.kind == SpanKind.CONSUMER
        assert f"{span.context.trace_id:032x}" == CALLER_TRACE
        assert f"{span.parent.span_id:016x}" == "b7ad6b7169203331" and span.parent.is_remote
        assert span.attributes["messaging.destination.partition.id"] == "3"
        assert span.attributes["messaging.message.id"] == "e1"

    @pytest.mark.parametrize("headers", [[], [("ce_traceparent", b"garbage")], [("ce_traceparent", b"\xff")]])
    def test_starts_a_new_trace_when_the_event_carries_none_or_a_bad_one(self, tracer, spans, headers):
        with consume_span(tracer, record(headers)):
            pass
        (span,) = spans.get_finished_spans()
        assert span.parent is None


class TestHttpEdge:
    async def test_server_span_continues_the_callers_trace_and_is_named_by_route(self, tracer, spans):
        app = FastAPI()

        @app.get("/participants/{participant_id}")
        async def show(participant_id: str):
            return {}

        app.add_middleware(ObservedRequestMiddleware, tracer=tracer, metrics=ServiceMetrics("grants"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            await client.get("/participants/p1", headers={"traceparent": CALLER_TRACEPARENT})
            await client.get("/participants/p2")
        first, second = spans.get_finished_spans()
        assert first.kind == SpanKind.SERVER and first.name == "GET /participants/{participant_id}"
        assert f"{first.context.trace_id:032x}" == CALLER_TRACE
        assert first.attributes["http.response.status_code"] == 200
        assert second.parent is None and second.context.trace_id != first.context.trace_id

    async def test_probes_and_scrapes_make_no_spans(self, tracer, spans):
        app = FastAPI()

        @app.get("/healthz")
        async def healthz():
            return {}

        app.add_middleware(ObservedRequestMiddleware, tracer=tracer, metrics=ServiceMetrics("grants"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            assert (await client.get("/healthz")).status_code == 200
        assert spans.get_finished_spans() == ()


class TestNothingRecorded:
    """With no exporter (the default) nothing records spans: a request still has a trace, continued from its
    caller's traceparent or new, bound to its log lines and carried by the events it records."""

    @pytest.fixture
    def unrecorded(self):
        return build_tracer_provider(service="test", settings=TracingSettings()).get_tracer("test")

    async def traced(self, tracer, headers: dict[str, str]) -> dict:
        app = FastAPI()

        @app.post("/things")
        async def create():
            stamped = stamp_trace(an_event(), tracer=tracer, topic="owes.test.events")
            return {"traceparent": stamped.traceparent, "log": structlog.contextvars.get_contextvars()}

        app.add_middleware(ObservedRequestMiddleware, tracer=tracer, metrics=ServiceMetrics("test"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return (await client.post("/things", headers=headers)).json()

    async def test_the_callers_trace_goes_on_in_the_events_and_logs(self, unrecorded):
        answer = await self.traced(unrecorded, {"traceparent": CALLER_TRACEPARENT})
        version, trace_id, span_id, flags = answer["traceparent"].split("-")
        assert (version, trace_id, flags) == ("00", CALLER_TRACE, "01")
        assert span_id != "b7ad6b7169203331"  # the request's own span, child of the caller's
        assert answer["log"]["trace_id"] == CALLER_TRACE

    async def test_a_request_without_one_starts_a_trace_of_its_own(self, unrecorded):
        first = await self.traced(unrecorded, {})
        second = await self.traced(unrecorded, {})
        first_trace, second_trace = first["traceparent"].split("-")[1], second["traceparent"].split("-")[1]
        assert first_trace != second_trace and int(first_trace, 16) != 0
        assert first["log"]["trace_id"] == first_trace

    async def test_a_caller_that_did_not_sample_is_followed(self, unrecorded):
        answer = await self.traced(unrecorded, {"traceparent": CALLER_TRACEPARENT[:-2] + "00"})
        assert answer["traceparent"] is None or answer["traceparent"].endswith("-00")

    def test_a_consumed_event_goes_on_in_its_trace(self, unrecorded):
        headers = [("ce_traceparent", CALLER_TRACEPARENT.encode()), ("ce_id", b"e1")]
        with consume_span(unrecorded, record(headers)) as span:
            caused = stamp_trace(an_event(), tracer=unrecorded, topic="owes.test.events")
            logged = structlog.contextvars.get_contextvars()
        context = span.get_span_context()
        assert f"{context.trace_id:032x}" == CALLER_TRACE and f"{context.span_id:016x}" != "b7ad6b7169203331"
        assert logged["trace_id"] == CALLER_TRACE
        assert caused.traceparent == f"00-{CALLER_TRACE}-{context.span_id:016x}-01"

    @pytest.mark.parametrize("headers", [[], [("ce_traceparent", b"garbage")]])
    def test_a_consumed_event_without_a_trace_starts_one(self, unrecorded, headers):
        with consume_span(unrecorded, record(headers)) as span:
            assert span.get_span_context().is_valid
            assert structlog.contextvars.get_contextvars()["trace_id"] == f"{span.get_span_context().trace_id:032x}"

    async def test_spans_are_made_again_once_something_records_them(self, unrecorded, spans):
        unrecorded.span_processor.add_span_processor(SimpleSpanProcessor(spans))  # added at run time
        answer = await self.traced(unrecorded, {"traceparent": CALLER_TRACEPARENT})
        kinds = sorted(span.kind.name for span in spans.get_finished_spans())
        assert kinds == ["PRODUCER", "SERVER"]
        assert answer["traceparent"].split("-")[1] == CALLER_TRACE
