"""OpenTelemetry tracing: one trace from an HTTP request, through the event it causes, to the consumer of that
event in another service.

Each service builds its own TracerProvider in the composition root (never the global one), so two services in
one process keep their own resource, sampler and exporters. The trace context travels in the CloudEvents
`traceparent` extension (Kafka header `ce_traceparent`, W3C Trace Context), stamped when the outbox row is
written and read back by the consumer to parent its span.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, cast

import structlog
from aiokafka import ConsumerRecord
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from starlette.types import Scope

from owes_messaging.tracing import PROPAGATOR, TRACEPARENT_HEADER, context_from_traceparent, records_spans

from .settings import TracingSettings

# Probes and scrapes arrive every few seconds and say nothing about a request's path through the system.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def span_exporter(settings: TracingSettings) -> SpanExporter | None:
    """The exporter the settings ask for; None exports nothing (spans still propagate)."""
    if settings.exporter == "console":
        return ConsoleSpanExporter()
    if settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=settings.otlp_endpoint)
    return None


def build_tracer_provider(
    *, service: str, settings: TracingSettings, version: str = "0.1.0", partner: str | None = None
) -> TracerProvider:
    """A tracer provider of this service's own, exporting where the settings say."""
    attributes = {"service.name": service, "service.version": version, "service.namespace": "owes"}
    if partner:
        attributes["owes.partner"] = partner
    provider = TracerProvider(
        resource=Resource.create(attributes), sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio))
    )
    exporter = span_exporter(settings)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _header(headers: Iterable[tuple[str, bytes | None]] | None, name: str) -> str | None:
    for key, value in headers or ():
        if key == name and value is not None:
            try:
                return value.decode()
            except UnicodeDecodeError:
                return None
    return None


def consume_span(tracer: Tracer, record: ConsumerRecord[Any, Any]) -> AbstractContextManager[trace.Span]:
    """A CONSUMER span around one Kafka record, parented by the event's traceparent when it has one."""

    def attributes() -> dict[str, Any]:
        named: dict[str, Any] = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": record.topic,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
        }
        event_id = _header(record.headers, "ce_id")
        if event_id:
            named["messaging.message.id"] = event_id
        event_type = _header(record.headers, "ce_type")
        if event_type:
            named["cloudevents.event_type"] = event_type
        return named

    parent = context_from_traceparent(_header(record.headers, TRACEPARENT_HEADER))
    return _current_span(tracer, f"process {record.topic}", parent, SpanKind.CONSUMER, attributes)


def request_span(tracer: Tracer, scope: Scope, carrier: dict[str, str]) -> AbstractContextManager[trace.Span]:
    """A SERVER span around an HTTP request, continuing the caller's trace when `carrier` holds its traceparent
    (and tracestate); finish_request_span names it by route and status."""
    method, path = scope["method"], scope["path"]
    parent = PROPAGATOR.extract(carrier) if carrier else None
    return _current_span(
        tracer,
        f"{method} {path}",
        parent,
        SpanKind.SERVER,
        lambda: {"http.request.method": method, "url.path": path},
    )


@contextmanager
def _current_span(
    tracer: Tracer, name: str, parent: Context | None, kind: SpanKind, attributes: Callable[[], dict[str, Any]]
) -> Iterator[trace.Span]:
    """The span in scope, its trace id on every log line written inside it. When nothing records spans, only the
    context the span would have (for logs and the events it causes), without making the span or its attributes."""
    if records_spans(tracer):
        current = tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes())
    else:
        current = trace.use_span(_unrecorded_span(tracer, name, parent, kind))
    with current as span, _bound_trace_id(span):
        yield span


def _unrecorded_span(tracer: Tracer, name: str, parent: Context | None, kind: SpanKind) -> trace.Span:
    """The context the SDK would give a span that no processor records (same trace, a new span id, the
    sampler's decision in its flags), without the span: a third of the cost of tracing a request."""
    sdk = cast(SdkTracer, tracer)
    caller = trace.get_current_span(parent).get_span_context()
    trace_id = caller.trace_id if caller.is_valid else sdk.id_generator.generate_trace_id()
    sampled = sdk.sampler.should_sample(parent, trace_id, name, kind).decision.is_sampled()
    return trace.NonRecordingSpan(
        trace.SpanContext(
            trace_id,
            sdk.id_generator.generate_span_id(),
            is_remote=False,
            trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED if sampled else trace.TraceFlags.DEFAULT),
            trace_state=caller.trace_state if caller.is_valid else None,
        )
    )


def finish_request_span(span: trace.Span, scope: Scope, status: int) -> None:
    template = getattr(scope.get("route"), "path", None)
    if template:
        span.update_name(f"{scope['method']} {template}")
        span.set_attribute("http.route", template)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


@contextmanager
def _bound_trace_id(span: trace.Span) -> Iterator[None]:
    """Put the trace id on every log line written inside the span."""
    context = span.get_span_context()
    if not context.is_valid:
        yield
        return
    with structlog.contextvars.bound_contextvars(trace_id=format(context.trace_id, "032x")):
        yield
