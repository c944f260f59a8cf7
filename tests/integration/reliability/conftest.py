"""Fixtures for the reliability tests: the reporting service in-process on the test's broker and database,
a raw producer to put any record (poison included) on a topic, and well-formed events to mix in."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from aiokafka import AIOKafkaProducer

from helpers import settings_for
from owes_contracts import AgeBand, Gender, LabourMarketStatus, ParticipantRecruited
from owes_contracts.envelope import CloudEvent
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

RECRUITMENT_SOURCE = "/owes/jastrzebie-zdroj/recruitment"


def recruited_event(**overrides) -> CloudEvent:
    """A well-formed ParticipantRecruited event, as the recruitment service would publish it."""
    payload = ParticipantRecruited(
        participant_id=f"p_{uuid.uuid4().hex[:16]}",
        recruited_on=dt.date(2026, 3, 2),
        gender=Gender.FEMALE,
        age_band=AgeBand.FROM_25,
        county="rybnicki",
        labour_market_status=LabourMarketStatus.UNEMPLOYED,
        disability=False,
        at_risk_of_exclusion=True,
    )
    return CloudEvent.record(payload, **({"source": RECRUITMENT_SOURCE, "partner": "jastrzebie-zdroj"} | overrides))


@pytest.fixture
def reporting(database_url, kafka_bootstrap, namespace) -> Callable[..., object]:
    """A factory of reporting apps that share one database (so a restart sees what the last run stored)."""
    url = database_url("reporting")

    def make(**overrides):
        return reporting_app(
            settings_for(
                ReportingSettings, database_url=url, kafka_bootstrap=kafka_bootstrap, namespace=namespace, **overrides
            )
        )

    make.database_url = url
    return make


class Publisher:
    """Puts raw records (poison included) or well-formed events on a topic of the test's broker."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def record(
        self,
        topic: str,
        *,
        value: bytes | None,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ):
        """Send one record and return its metadata (partition, offset)."""
        return await self.producer.send_and_wait(topic, value=value, key=key, headers=headers or [])

    async def event(self, topic: str, event: CloudEvent):
        return await self.record(topic, value=event.kafka_value(), key=event.kafka_key(), headers=event.kafka_headers())


@pytest.fixture
async def publisher(kafka_bootstrap) -> AsyncIterator[Publisher]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        yield Publisher(producer)
    finally:
        await producer.stop()


@pytest.fixture
def recruited() -> Callable[..., CloudEvent]:
    """Makes well-formed ParticipantRecruited events, as the recruitment service publishes them."""
    return recruited_event
