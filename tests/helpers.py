"""Helpers the tests share: run a service in-process, read a topic, wait for a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from asgi_lifespan import LifespanManager

from owes_common.settings import KafkaSettings

T = TypeVar("T")

import datetime as dt
import itertools

_serials = itertools.count(1)


def make_pesel(birth: dt.date = dt.date(1990, 1, 1), *, female: bool = True, serial: int | None = None) -> str:
    """A valid PESEL for a birth date; each call gives a new one (test data, independent of the service's code)."""
    month = birth.month + {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}[birth.year // 100 * 100]
    serial = next(_serials) if serial is None else serial
    body = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial % 1000:03d}"
    sex = (serial // 1000 % 5) * 2 + (0 if female else 1)
    digits = [int(c) for c in body + str(sex)]
    check = (10 - sum(w * d for w, d in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), digits)) % 10) % 10
    return body + str(sex) + str(check)


def settings_for(cls, *, database_url: str, kafka_bootstrap: str, namespace: str, idempotence: bool = False,
                 **overrides):
    """Settings of one service wired to the test's broker, database and topic namespace."""
    return cls(
        database_url=database_url,
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap, enable_idempotence=idempotence),
        topic_namespace=namespace, outbox_poll_interval=0.1, log_json=True, **overrides,
    )


@asynccontextmanager
async def running(app) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (migrations, relay, consumers) and give an HTTP client to it."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.runtime = app.state.runtime  # the service's engine, relay and consumer, for assertions
            yield client


async def eventually(check: Callable[[], Awaitable[T]], *, timeout: float = 20.0, interval: float = 0.1) -> T:
    """Retry an async check until it stops raising AssertionError, or fail with its last error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(interval)


async def read_topic(bootstrap: str, topic: str, *, idle: float = 1.0, timeout: float = 30.0) -> list:
    """Every record on a topic now, read from the beginning without a consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer.client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list = []
        deadline = time.monotonic() + timeout
        last_new = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last_new < idle:
            batch = await consumer.getmany(timeout_ms=200)
            for msgs in batch.values():
                records.extend(msgs)
                last_new = time.monotonic()
        return records
    finally:
        await consumer.stop()


def header(record, name: str) -> str | None:
    return next((v.decode() for k, v in record.headers if k == name), None)


def participant_form(pesel: str | None = None, **overrides) -> dict:
    form = {"pesel": pesel or make_pesel(), "first_name": "Anna", "last_name": "Nowak", "email": "anna@example.org",
            "county": "rybnicki", "labour_market_status": "unemployed", "disability": False,
            "at_risk_of_exclusion": True, "consent": True}
    return form | overrides
