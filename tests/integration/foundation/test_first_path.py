"""Foundation: a participant recruited over HTTP is counted by reporting, carried by a Kafka event;
the outbox survives a relay crash; the inbox makes a duplicate delivery harmless."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from helpers import eventually, header, participant_form, read_topic, running, settings_for
from owes_contracts import topic_for
from owes_messaging.consumer import Outcome
from owes_messaging.outbox import OutboxRelay
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings


def recruitment(database_url, kafka_bootstrap, namespace, **overrides):
    return recruitment_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            **overrides,
        )
    )


def reporting(database_url, kafka_bootstrap, namespace, **overrides):
    return reporting_app(
        settings_for(
            ReportingSettings,
            database_url=database_url("reporting"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            **overrides,
        )
    )


async def people_supported(client) -> int:
    response = await client.get("/indicators")
    assert response.status_code == 200
    return response.json()["people_supported"]


class TestFirstPathOnTheEmbeddedBroker:
    """The suite runs on Apache Kafka; this keeps `owes up`'s broker where no Java is installed (Tansu) honest."""

    @pytest.mark.parametrize("db_backend", ["sqlite"])
    async def test_recruited_participant_reaches_reporting_through_tansu(
        self, database_url, tansu_bootstrap, namespace
    ):
        # Tansu has no idempotent producer (InitProducerId)
        async with (
            running(recruitment(database_url, tansu_bootstrap, namespace, idempotence=False)) as rec,
            running(reporting(database_url, tansu_bootstrap, namespace, idempotence=False)) as rep,
        ):
            response = await rec.post("/participants", json=participant_form())
            assert response.status_code == 201, response.text

            async def counted():
                assert await people_supported(rep) == 1

            await eventually(counted)
        records = await read_topic(tansu_bootstrap, topic_for("recruitment", namespace))
        assert [header(r, "ce_type") for r in records] == ["pl.owes.recruitment.ParticipantRecruited"]


class TestParticipantRecruitedEndToEnd:
    async def test_recruited_participant_reaches_reporting_with_cloudevents_headers(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with (
            running(recruitment(database_url, kafka_bootstrap, namespace)) as rec,
            running(reporting(database_url, kafka_bootstrap, namespace)) as rep,
        ):
            assert await people_supported(rep) == 0
            response = await rec.post("/participants", json=participant_form(), headers={"X-Correlation-ID": "req-42"})
            assert response.status_code == 201, response.text
            participant_id = response.json()["participant_id"]
            assert response.headers["x-correlation-id"] == "req-42"

            async def counted():
                assert await people_supported(rep) == 1

            await eventually(counted)

        records = await read_topic(kafka_bootstrap, topic_for("recruitment", namespace))
        assert len(records) == 1
        record = records[0]
        assert record.key == participant_id.encode()
        assert header(record, "ce_specversion") == "1.0"
        assert header(record, "ce_type") == "pl.owes.recruitment.ParticipantRecruited"
        assert header(record, "ce_source") == "/owes/jastrzebie-zdroj/recruitment"
        assert header(record, "ce_subject") == participant_id
        assert header(record, "ce_schemaversion") == "1"
        assert header(record, "ce_correlationid") == "req-42"
        assert header(record, "ce_id") and header(record, "ce_time")
        assert header(record, "content-type") == "application/json"

    async def test_invalid_participant_is_refused_and_nothing_is_published(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            response = await rec.post("/participants", json=participant_form(pesel="90010112319"))
            assert response.status_code == 422
            assert response.headers["content-type"] == "application/problem+json"
            assert "checksum" in response.json()["detail"]
        assert await read_topic(kafka_bootstrap, topic_for("recruitment", namespace), idle=0.5) == []


class TestOutbox:
    async def test_event_committed_before_relay_died_is_published_once_after_restart(
        self, database_url, kafka_bootstrap, namespace
    ):
        topic = topic_for("recruitment", namespace)
        urls: dict[str, str] = {}

        def same_db(name):  # both runs of the service share one database
            return urls.setdefault(name, database_url(name))

        async with running(recruitment(same_db, kafka_bootstrap, namespace, outbox_relay_enabled=False)) as rec:
            response = await rec.post("/participants", json=participant_form())
            assert response.status_code == 201
        assert await read_topic(kafka_bootstrap, topic, idle=0.5) == []  # committed, never published

        async with running(recruitment(same_db, kafka_bootstrap, namespace)) as rec:

            async def published():
                records = await read_topic(kafka_bootstrap, topic, idle=0.5)
                assert len(records) == 1
                return records

            records = await eventually(published)
            runtime = rec.runtime

            async def marked():
                assert await runtime.relay.pending_count() == 0

            await eventually(marked)
        assert header(records[0], "ce_subject") == response.json()["participant_id"]
        assert len(await read_topic(kafka_bootstrap, topic, idle=0.5)) == 1  # and not again after restart

    async def test_relay_dying_after_publish_republishes_and_reporting_counts_once(
        self, database_url, kafka_bootstrap, namespace
    ):
        topic = topic_for("recruitment", namespace)
        urls: dict[str, str] = {}

        def same_db(name):
            return urls.setdefault(name, database_url(name))

        async with running(recruitment(same_db, kafka_bootstrap, namespace, outbox_relay_enabled=False)) as rec:
            assert (await rec.post("/participants", json=participant_form())).status_code == 201
            runtime = rec.runtime

            class DiesBeforeMarking(OutboxRelay):
                async def _publish(self, rows):
                    await super()._publish(rows)
                    raise SystemExit("relay killed between publish and mark")

            crashing = DiesBeforeMarking(
                engine=runtime.engine,
                table=runtime.relay.table,
                producer=runtime.producer,
                wakeup=runtime.outbox.committed,
            )
            with contextlib.suppress(SystemExit):
                await crashing.publish_pending()
            assert await runtime.relay.pending_count() == 1

        async with (
            running(recruitment(same_db, kafka_bootstrap, namespace)) as rec,
            running(reporting(database_url, kafka_bootstrap, namespace)) as rep,
        ):

            async def twice_on_topic():
                assert len(await read_topic(kafka_bootstrap, topic, idle=0.5)) == 2

            await eventually(twice_on_topic)
            records = await read_topic(kafka_bootstrap, topic, idle=0.5)
            assert header(records[0], "ce_id") == header(records[1], "ce_id")

            async def counted_once():
                assert await people_supported(rep) == 1
                runtime = rep.runtime
                async with runtime.engine.connect() as conn:
                    assert await conn.scalar(sa.text("SELECT count(*) FROM inbox")) == 1

            await eventually(counted_once)


class TestInbox:
    async def test_same_event_consumed_twice_counts_once(self, database_url, kafka_bootstrap, namespace):
        topic = topic_for("recruitment", namespace)
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            assert (await rec.post("/participants", json=participant_form())).status_code == 201

            async def published():
                assert len(await read_topic(kafka_bootstrap, topic, idle=0.5)) == 1

            await eventually(published)
        original = (await read_topic(kafka_bootstrap, topic, idle=0.5))[0]
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:  # deliver the very same record again, as a redelivery after a lost commit would
            await producer.send_and_wait(topic, original.value, key=original.key, headers=list(original.headers))
        finally:
            await producer.stop()

        async with running(reporting(database_url, kafka_bootstrap, namespace)) as rep:
            runtime = rep.runtime

            async def both_seen():
                async with runtime.engine.connect() as conn:
                    assert await conn.scalar(sa.text("SELECT count(*) FROM inbox")) == 1
                assert await people_supported(rep) == 1
                # both copies were consumed: one applied, one recognised as a duplicate
                assert runtime.consumer.outcomes == {Outcome.APPLIED: 1, Outcome.DUPLICATE: 1}

            await eventually(both_seen)
