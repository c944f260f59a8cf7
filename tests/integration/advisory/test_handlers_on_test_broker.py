"""Advisory's event handlers through the runtime's own FastStream subscriber on FastStream's in-memory test broker:
fast checks of what each event does to the read models and that a redelivered event changes nothing, beside the
tests on the real broker. The database is real (SQLite, migrated); only the broker is FastStream's stand-in, so
no relay and no dead-letter topic take part here (test_learning_from_recruitment.py covers those on Kafka)."""

from __future__ import annotations

import datetime as dt

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.message import FakeConsumer

from advisory import service
from advisory.main import build_runtime
from advisory.settings import AdvisorySettings
from helpers import settings_for
from owes_contracts import ParticipantEligibilityConfirmed, ParticipantWithdrawn, WithdrawalReason, topic_for
from owes_contracts.envelope import CloudEvent
from owes_messaging.consumer import Outcome
from owes_messaging.migrations import upgrade_to_head_async

from .conftest import RECRUITMENT_SOURCE, new_participant_id

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)


@pytest.fixture
def committed(monkeypatch) -> list[dict]:
    """The offsets the consumer commits: FastStream's stand-in consumer takes none (aiokafka's takes a mapping)."""
    commits: list[dict] = []

    async def commit(_consumer, offsets=None) -> None:
        commits.append({(tp.topic, tp.partition): meta.offset for tp, meta in (offsets or {}).items()})

    monkeypatch.setattr(FakeConsumer, "commit", commit, raising=False)
    return commits


@pytest.fixture
async def runtime(database_url, namespace):
    settings = settings_for(
        AdvisorySettings,
        database_url=database_url("advisory"),
        kafka_bootstrap="127.0.0.1:9",  # never reached: the test broker stands in for it
        namespace=namespace,
    )
    runtime = build_runtime(settings)
    await upgrade_to_head_async(runtime.spec.migrations_dir, settings.database_url)
    yield runtime
    await runtime.producer.stop()  # built by the runtime, never started here
    await runtime.engine.dispose()


async def deliver(broker, runtime, payload) -> CloudEvent:
    """Put one of recruitment's events to the subscriber as recruitment's relay would (binary mode)."""
    event = CloudEvent.record(payload, source=RECRUITMENT_SOURCE, partner="jastrzebie-zdroj")
    await broker.publish(
        event.kafka_value(),
        topic=topic_for("recruitment", runtime.settings.topic_namespace),
        key=event.kafka_key(),
        headers={name: value.decode() for name, value in event.kafka_headers()},
    )
    return event


async def standing(runtime, participant_id):
    async with runtime.sessionmaker() as session:
        return await service.get_known_participant(session=session, participant_id=participant_id)


async def test_recruitments_events_reach_the_read_model_once(runtime, committed):
    participant_id = new_participant_id()
    async with TestKafkaBroker(runtime.broker) as broker:
        confirmed = ParticipantEligibilityConfirmed(participant_id=participant_id, confirmed_on=dt.date(2026, 3, 5))
        await deliver(broker, runtime, confirmed)
        known = await standing(runtime, participant_id)
        assert (known.eligibility, known.withdrawn, known.may_receive_support) == ("eligible", False, True)

        withdrawn = ParticipantWithdrawn(
            participant_id=participant_id,
            withdrawn_on=dt.date(2026, 4, 1),
            reason=WithdrawalReason.EMPLOYMENT.label,
            reason_code=WithdrawalReason.EMPLOYMENT,
        )
        event = await deliver(broker, runtime, withdrawn)
        known = await standing(runtime, participant_id)
        assert (known.withdrawn, known.withdrawn_on, known.may_receive_support) == (True, dt.date(2026, 4, 1), False)

        # the same event again (a relay that published twice): the inbox recognises it
        before = runtime.consumer.outcomes[Outcome.DUPLICATE]
        await broker.publish(
            event.kafka_value(),
            topic=topic_for("recruitment", runtime.settings.topic_namespace),
            key=event.kafka_key(),
            headers={name: value.decode() for name, value in event.kafka_headers()},
        )
        assert runtime.consumer.outcomes[Outcome.DUPLICATE] == before + 1
    assert runtime.consumer.outcomes[Outcome.APPLIED] == 2
    topic = topic_for("recruitment", runtime.settings.topic_namespace)
    assert committed == [{(topic, 0): 1}] * 3  # each delivery's offset committed once it was applied or skipped
