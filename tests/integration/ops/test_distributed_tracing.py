"""One trace across services, with a real broker: the HTTP request in recruitment, the event it writes to the
outbox (ce_traceparent), and the consumer span in reporting that applies it share one trace id."""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from helpers import eventually, header, participant_form, read_topic, running, settings_for
from owes_contracts import topic_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def recruitment(database_url, kafka_bootstrap, namespace):
    return recruitment_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
        )
    )


def reporting(database_url, kafka_bootstrap, namespace):
    return reporting_app(
        settings_for(
            ReportingSettings,
            database_url=database_url("reporting"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
        )
    )


def recorded(client) -> InMemorySpanExporter:
    """Collect the spans of one running service in memory (its tracer provider is its own)."""
    exporter = InMemorySpanExporter()
    client.runtime.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def one(spans, kind: SpanKind, name: str | None = None):
    matching = [s for s in spans if s.kind == kind and (name is None or s.name == name)]
    assert len(matching) == 1, [(s.name, s.kind) for s in spans]
    return matching[0]


class TestOneTraceAcrossServices:
    async def test_consumer_span_in_reporting_continues_the_http_trace_of_recruitment(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with (
            running(recruitment(database_url, kafka_bootstrap, namespace)) as rec,
            running(reporting(database_url, kafka_bootstrap, namespace)) as rep,
        ):
            recruitment_spans, reporting_spans = recorded(rec), recorded(rep)
            response = await rec.post("/participants", json=participant_form())
            assert response.status_code == 201

            async def consumed():
                return one(reporting_spans.get_finished_spans(), SpanKind.CONSUMER)

            consumer = await eventually(consumed)
        spans = recruitment_spans.get_finished_spans()
        http = one(spans, SpanKind.SERVER, "POST /participants")
        producer = one(spans, SpanKind.PRODUCER)

        assert consumer.context.trace_id == producer.context.trace_id == http.context.trace_id
        assert producer.parent.span_id == http.context.span_id
        assert consumer.parent.span_id == producer.context.span_id and consumer.parent.is_remote
        assert http.resource.attributes["service.name"] == "recruitment"
        assert consumer.resource.attributes["service.name"] == "reporting"
        assert consumer.attributes["owes.outcome"] == "applied"
        assert consumer.attributes["messaging.destination.name"] == topic_for("recruitment", namespace)

        (record,) = await read_topic(kafka_bootstrap, topic_for("recruitment", namespace), idle=0.3)
        assert header(record, "ce_traceparent").split("-")[1:3] == [
            f"{http.context.trace_id:032x}",
            f"{producer.context.span_id:016x}",
        ]

    async def test_a_callers_trace_flows_into_the_event(self, database_url, kafka_bootstrap, namespace):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            response = await rec.post(
                "/participants",
                json=participant_form(),
                headers={"traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"},
            )
            assert response.status_code == 201

            async def published():
                records = await read_topic(kafka_bootstrap, topic_for("recruitment", namespace), idle=0.3)
                assert len(records) == 1
                return records[0]

            record = await eventually(published)
        assert header(record, "ce_traceparent").split("-")[1] == CALLER_TRACE
