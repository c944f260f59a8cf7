"""/metrics with a real broker and database: a participant recruited over HTTP shows up as a timed request and a
published event in recruitment, and as an applied event in reporting; poison is counted as a dead letter; the
consumer lag rises while reporting is held up and falls back to zero once it catches up."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from helpers import eventually, participant_form, read_topic, running, settings_for
from owes_contracts import ParticipantRecruited, topic_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

RECRUITED = ParticipantRecruited.ce_type()


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


async def scrape(client) -> dict[tuple[str, tuple], float]:
    response = await client.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = text_string_to_metric_families(response.text)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def value(samples, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def lags(samples, topic: str) -> dict[str, float]:
    return {
        dict(labels)["partition"]: v
        for (name, labels), v in samples.items()
        if name == "owes_consumer_lag" and dict(labels)["topic"] == topic
    }


class TestMetricsEndpoint:
    async def test_request_publication_and_consumption_are_counted(self, database_url, kafka_bootstrap, namespace):
        topic = topic_for("recruitment", namespace)
        async with (
            running(recruitment(database_url, kafka_bootstrap, namespace)) as rec,
            running(reporting(database_url, kafka_bootstrap, namespace)) as rep,
        ):
            assert (await rec.post("/participants", json=participant_form())).status_code == 201

            async def applied():
                samples = await scrape(rep)
                assert (
                    value(
                        samples,
                        "owes_events_consumed_total",
                        service="reporting",
                        event_type=RECRUITED,
                        outcome="applied",
                    )
                    == 1
                )
                assert lags(samples, topic) and set(lags(samples, topic).values()) == {0}
                return samples

            reporting_samples = await eventually(applied)

            async def published():
                samples = await scrape(rec)
                assert (
                    value(
                        samples, "owes_events_published_total", service="recruitment", topic=topic, event_type=RECRUITED
                    )
                    == 1
                )
                assert value(samples, "owes_outbox_backlog", service="recruitment") == 0
                return samples

            recruitment_samples = await eventually(published)
        assert (
            value(
                recruitment_samples,
                "owes_http_request_duration_seconds_count",
                service="recruitment",
                route="/participants",
                method="POST",
                status="201",
            )
            == 1
        )
        assert value(reporting_samples, "owes_dead_letters_total", service="reporting") == 0
        assert not lags(recruitment_samples, topic)  # recruitment consumes nothing

    async def test_poison_is_counted_as_a_dead_letter(self, database_url, kafka_bootstrap, namespace):
        topic = topic_for("recruitment", namespace)
        async with running(reporting(database_url, kafka_bootstrap, namespace)) as rep:
            producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
            await producer.start()
            try:
                await producer.send_and_wait(topic, b"not an event", key=b"k")
            finally:
                await producer.stop()

            async def dead_lettered():
                samples = await scrape(rep)
                assert value(samples, "owes_dead_letters_total", service="reporting") == 1
                assert (
                    value(
                        samples,
                        "owes_events_consumed_total",
                        service="reporting",
                        event_type="unparseable",
                        outcome="dead_lettered",
                    )
                    == 1
                )

            await eventually(dead_lettered)

    async def test_consumer_lag_rises_while_reporting_is_held_up_and_falls_when_it_catches_up(
        self, database_url, kafka_bootstrap, namespace
    ):
        topic = topic_for("recruitment", namespace)
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            assert (await rec.post("/participants", json=participant_form())).status_code == 201

            async def on_topic():
                records = await read_topic(kafka_bootstrap, topic, idle=0.3)
                assert len(records) == 1
                return records[0]

            original = await eventually(on_topic)

        async with running(reporting(database_url, kafka_bootstrap, namespace)) as rep:
            consumer = rep.runtime.consumer
            entered, release = asyncio.Event(), asyncio.Event()
            handle = consumer.handle_record

            async def held(record):
                entered.set()
                await release.wait()
                return await handle(record)

            consumer.handle_record = held  # the first event is handed over, and waits
            await asyncio.wait_for(entered.wait(), timeout=30)
            producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
            await producer.start()
            try:  # two redeliveries of the same event arrive behind it, on the same partition
                for _ in range(2):
                    await producer.send_and_wait(
                        topic, original.value, key=original.key, headers=list(original.headers)
                    )
            finally:
                await producer.stop()

            async def behind():
                assert lags(await scrape(rep), topic).get(str(original.partition)) == 2

            await eventually(behind)
            release.set()

            async def caught_up():
                samples = await scrape(rep)
                assert lags(samples, topic).get(str(original.partition)) == 0
                assert (
                    value(
                        samples,
                        "owes_events_consumed_total",
                        service="reporting",
                        event_type=RECRUITED,
                        outcome="applied",
                    )
                    == 1
                )
                assert (
                    value(
                        samples,
                        "owes_events_consumed_total",
                        service="reporting",
                        event_type=RECRUITED,
                        outcome="duplicate",
                    )
                    == 2
                )

            await eventually(caught_up)
