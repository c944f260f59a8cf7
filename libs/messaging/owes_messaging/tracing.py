"""Trace context carried in events: the outbox stamps each event with its PRODUCER span's W3C `traceparent`
(CloudEvents extension, Kafka header `ce_traceparent`) and a consumer reads it back to parent its own span.

Only the OpenTelemetry API is needed here; each service builds its tracer provider in owes_service.tracing.
"""

from __future__ import annotations

import dataclasses

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from owes_contracts.envelope import EXT_TRACEPARENT, CloudEvent

PROPAGATOR = TraceContextTextMapPropagator()
TRACEPARENT_HEADER = f"ce_{EXT_TRACEPARENT}"


def current_traceparent() -> str | None:
    """The W3C traceparent of the span in scope, or None outside any sampled span."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_from_traceparent(traceparent: str | None) -> Context | None:
    """The remote parent a traceparent names; None when absent or malformed (the span starts a new trace)."""
    if not traceparent:
        return None
    context = PROPAGATOR.extract({"traceparent": traceparent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def records_spans(tracer: Tracer) -> bool:
    """Whether spans started with this tracer go anywhere: an SDK tracer with no span processor (no exporter
    configured, and no processor added since) drops every span it makes, so a caller may skip making one."""
    processors = getattr(getattr(tracer, "span_processor", None), "_span_processors", None)
    return processors is None or bool(processors)


def stamp_trace(event: CloudEvent, *, tracer: Tracer | None, topic: str) -> CloudEvent:
    """Record the event's creation as a PRODUCER span and carry that span's context in `traceparent` (the span in
    scope's when no span would be recorded: a span per event cost a write a twentieth of its CPU for nothing)."""
    if tracer is None or not records_spans(tracer):
        return dataclasses.replace(event, traceparent=current_traceparent() or event.traceparent)
    with tracer.start_as_current_span(
        f"create {topic}",
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "create",
            "messaging.destination.name": topic,
            "messaging.message.id": event.id,
            "messaging.kafka.message.key": event.subject,
            "cloudevents.event_type": event.type,
            "cloudevents.event_subject": event.subject,
        },
    ):
        return dataclasses.replace(event, traceparent=current_traceparent())
