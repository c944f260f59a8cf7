"""Helpers the tests share: run a service in-process, read a topic, wait for a condition."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from asgi_lifespan import LifespanManager

from owes_contracts import topic_for
from owes_contracts.envelope import CloudEvent
from owes_messaging.broker import ensure_topics, partitions_of
from owes_messaging.settings import KafkaSettings
from owes_service.auth import credential_line
from owes_service.project import load_project

T = TypeVar("T")

_serials = itertools.count(1)


def make_pesel(birth: dt.date = dt.date(1990, 1, 1), *, female: bool = True, serial: int | None = None) -> str:
    """A valid PESEL for a birth date; each call gives a new one (test data, independent of the service's code)."""
    month = birth.month + {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}[birth.year // 100 * 100]
    serial = next(_serials) if serial is None else serial
    body = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial % 1000:03d}"
    sex = (serial // 1000 % 5) * 2 + (0 if female else 1)
    digits = [int(c) for c in body + str(sex)]
    check = (10 - sum(w * d for w, d in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), digits, strict=False)) % 10) % 10
    return body + str(sex) + str(check)


# Every service the tests start knows one API key per role (settings_for); running() calls as the operator.
TEST_PRINCIPALS = {
    "partner:recruitment": "jastrzebie-zdroj",
    "partner:advisory": "zory",
    "partner:grants": "rybnik",
    "lead": "lead",
    "integrator": "integrator",
}
TEST_API_KEYS = {role: f"owes_test_{role.replace(':', '_')}_key" for role in TEST_PRINCIPALS}
TEST_API_KEY_ENTRIES = [credential_line(TEST_PRINCIPALS[role], role, key) for role, key in TEST_API_KEYS.items()]


def test_broker() -> str:
    """The broker the suite runs on: Apache Kafka wherever Java is present, Tansu otherwise (OWES_TEST_BROKER)."""
    from owes_cli import kafka

    return os.environ.get("OWES_TEST_BROKER") or ("kafka" if kafka.java_available() else "tansu")


def broker_supports_idempotence() -> bool:
    return (
        bool(os.environ.get("OWES_TEST_KAFKA_BOOTSTRAP"))
        or os.environ.get("OWES_TEST_TESTCONTAINERS") == "1"
        or test_broker() == "kafka"
    )


def auth_headers(role: str) -> dict[str, str]:
    """Headers that call a service as the test principal of a role, e.g. auth_headers("lead")."""
    return {"Authorization": f"Bearer {TEST_API_KEYS[role]}"}


def client_as(client: httpx.AsyncClient, role: str | None) -> httpx.AsyncClient:
    """Another client to the same running app, as another role (None: no credentials at all)."""
    return httpx.AsyncClient(
        transport=client.asgi_transport, base_url=client.base_url, headers=auth_headers(role) if role else {}
    )


def settings_for(
    cls, *, database_url: str, kafka_bootstrap: str, namespace: str, idempotence: bool | None = None, **overrides
):
    """Settings of one service wired to the test's broker, database and topic namespace."""
    overrides.setdefault("api_keys", TEST_API_KEY_ENTRIES)
    if idempotence is None:  # on by default wherever the broker supports it (Apache Kafka)
        idempotence = broker_supports_idempotence()
    return cls(
        database_url=database_url,
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap, enable_idempotence=idempotence),
        topic_namespace=namespace,
        outbox_poll_interval=0.1,
        log_json=True,
        **overrides,
    )


def port_run(count: int = 1) -> int:
    """The first of `count` consecutive free loopback ports, below the kernel's ephemeral range.

    A server a test stops and starts again on its port (`owes up` twice, a broker restarted) must find the port
    free: a port picked by binding to 0 is an ephemeral one, which any client's outgoing connection (the suite's
    Kafka clients hold many) may take in between; below the range only explicit binds take ports.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        base = random.randrange(10000, max(10001, low - count))
        sockets: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError(f"no run of {count} free ports below {low}")


def project_paid(folder: Path, final_payment_on: str | None) -> Path:
    """The default project definition with its final payment made that day (None: not made yet), as a file."""
    path = folder / f"project-paid-{final_payment_on or 'not-yet'}.json"
    path.write_text(json.dumps(load_project().model_dump(mode="json") | {"final_payment_on": final_payment_on}))
    return path


def project_after_retention(folder: Path) -> Path:
    """A project whose final payment was made in 2019: the retention period ended on 31 December 2024, so an
    erasure asked for now is carried out at once (during it, processing is restricted)."""
    return project_paid(folder, "2019-06-30")


@asynccontextmanager
async def running(app) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (migrations, relay, consumers) and give an HTTP client to it."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        auth = getattr(app.state.runtime, "auth", None)
        headers = auth_headers(auth.operator) if auth and auth.operator in TEST_API_KEYS else {}
        async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client:
            client.runtime = app.state.runtime  # the service's engine, relay and consumer, for assertions
            client.asgi_transport = transport
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
        partitions = await partitions_of(consumer, topic)
        if not partitions:
            return []
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


async def publish_events(
    bootstrap: str, events: list[CloudEvent], *, namespace: str | None = None, topic: str | None = None
) -> None:
    """Put CloudEvents on the broker as the producing services' relays do (binary mode, key = subject): on
    `topic`, or each on its producer's topic in `namespace`."""
    topics = [topic or topic_for(event.type.split(".")[2], namespace) for event in events]
    await ensure_topics(KafkaSettings(bootstrap_servers=bootstrap), sorted(set(topics)))  # no auto-creation on Kafka
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent = [
            await producer.send(t, event.kafka_value(), key=event.kafka_key(), headers=event.kafka_headers())
            for t, event in zip(topics, events, strict=True)
        ]
        await asyncio.gather(*sent)  # each acknowledged, or the failure raised here
    finally:
        await producer.stop()


def assert_problem(response, status: int, *fragments: str) -> dict:
    """The response is RFC 9457 problem details with this status, and its detail (or errors) says why."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    said = body["detail"] + json.dumps(body.get("errors", []), ensure_ascii=False)
    for fragment in fragments:
        assert fragment in said, f"{fragment!r} not in {said!r}"
    return body


def header(record, name: str) -> str | None:
    return next((v.decode() for k, v in record.headers if k == name), None)


def event_name(record) -> str:
    """The event's short name, e.g. "ParticipantWithdrawn", from its ce_type header."""
    return (header(record, "ce_type") or "").rsplit(".", 1)[-1]


def payloads(records, name: str) -> list[dict]:
    """The JSON payloads of the records of one event name."""
    import json

    return [json.loads(r.value) for r in records if event_name(r) == name]


async def outbox_drained(client) -> None:
    """Wait until the relay of a running service has published every committed event."""
    runtime = client.runtime

    async def drained():
        assert await runtime.relay.pending_count() == 0

    await eventually(drained)


async def row_count(client, table: str) -> int:
    """Rows in one table of a running service's database."""
    import sqlalchemy as sa

    async with client.runtime.engine.connect() as conn:
        return await conn.scalar(sa.select(sa.func.count()).select_from(sa.table(table)))


def participant_form(pesel: str | None = None, **overrides) -> dict:
    form = {
        "pesel": pesel or make_pesel(),
        "first_name": "Anna",
        "last_name": "Nowak",
        "email": "anna@example.org",
        "county": "rybnicki",
        "labour_market_status": "unemployed",
        "disability": False,
        "at_risk_of_exclusion": True,
        "at_risk_categories": ["unemployed"],
        "consent": True,
    }
    return remember_personal_data(form | overrides)


# Personal values the tests send to recruitment; the session-end scan (conftest) fails if any reaches a topic.
PERSONAL_FIELDS = ("pesel", "first_name", "last_name", "email", "phone", "address")
personal_values_used: set[str] = set()


def remember_personal_data(form: dict) -> dict:
    for name in PERSONAL_FIELDS:
        value = form.get(name)
        if isinstance(value, str) and len(value.strip()) >= 3:
            personal_values_used.add(value.strip())
    return form


class DatabaseOutage:
    """Makes one service's database unavailable for a while, as a real outage would, and brings it back.

    SQLite: another connection holds an exclusive lock (BEGIN EXCLUSIVE), so every writer waits or fails busy.
    PostgreSQL: the database stops accepting connections and its open sessions are terminated.
    Blocking calls: from async code, use `await asyncio.to_thread(outage.begin)`.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._lock = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def _postgres(self):
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        return psycopg.connect(admin, autocommit=True), url.database

    def begin(self) -> None:
        if self.is_sqlite:
            import sqlite3

            path = self.database_url.split("///", 1)[1]
            self._lock = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self._lock.execute("BEGIN EXCLUSIVE")
            return
        conn, name = self._postgres()
        with conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )

    def end(self) -> None:
        if self.is_sqlite:
            if self._lock is not None:
                self._lock.execute("ROLLBACK")
                self._lock.close()
                self._lock = None
            return
        conn, name = self._postgres()
        with conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
