"""Faults survived, counted: the services run as real processes on the suite's broker (or one of their own, when
the fault strikes the broker: Apache Kafka wherever Java is present, the embedded Tansu elsewhere), writers keep
registering participants, a fault strikes, and afterwards every accepted write (HTTP 201) is counted by
reporting exactly once: nothing lost, nothing counted twice.

What is counted, and where from:
- accepted: writes answered 201; refused: 5xx or never reached the service (connection refused);
  in doubt: the connection broke after the request was sent (it may or may not have committed).
- committed: ParticipantRecruited rows in recruitment's outbox (written in the same transaction as the
  participant, so exactly the writes that happened); every accepted write must be among them.
- applied: event ids in reporting's inbox (the effect and the inbox row commit together), and the
  people_supported figure reporting serves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

import helpers
from helpers import DatabaseOutage, broker_supports_idempotence, eventually, make_pesel, participant_form
from owes_cli.deadletters import read_dead_letters
from owes_cli.embedded import EmbeddedBroker, free_port
from owes_cli.system import LocalKafka, LocalSystem
from owes_contracts import ParticipantRecruited, dead_letter_topic_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
TEST_BROKER = helpers.test_broker()  # Apache Kafka wherever Java is present, else the embedded Tansu

RECRUITED = ParticipantRecruited.ce_type()
WRITERS = 4
WRITE_INTERVAL = 0.1  # each writer's pause between writes: about 40 writes/s in all, so a test stays short
FAULT_SECONDS = 5  # how long a broker or database stays away
GRACE_SECONDS = 20  # uvicorn's graceful shutdown (15 s) plus closing the consumer and relay


# --- the writes ------------------------------------------------------------------------------------------------
_pesels = itertools.count()


def unique_pesel() -> str:
    """A new valid PESEL on every call, for as many writes as a run makes (5000 per birth date)."""
    n = next(_pesels)
    return make_pesel(dt.date(1950, 1, 1) + dt.timedelta(days=n // 5000), serial=n % 5000)


@dataclass
class Tally:
    """What happened to each write, as its client saw it."""

    accepted: list[str] = field(default_factory=list)  # participant ids answered 201
    refused: int = 0  # 5xx, or the connection was refused: the write did not happen
    in_doubt: int = 0  # the connection broke after sending: the write may have happened
    unexpected: list[str] = field(default_factory=list)  # any other answer is a bug

    @property
    def attempts(self) -> int:
        return len(self.accepted) + self.refused + self.in_doubt + len(self.unexpected)


class WriteStream:
    """Concurrent writers registering new participants until stopped, each write tallied."""

    def __init__(
        self, url: str, headers: dict[str, str], *, writers: int = WRITERS, interval: float = WRITE_INTERVAL
    ) -> None:
        self.url = url
        self.headers = headers
        self.writers = writers
        self.interval = interval
        self.tally = Tally()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def __aenter__(self) -> WriteStream:
        # a new connection per request, so "connection refused" and "cut mid-request" are told apart
        self._client = httpx.AsyncClient(
            base_url=self.url,
            headers=self.headers,
            timeout=httpx.Timeout(15.0),
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._tasks = [asyncio.create_task(self._write_until_stopped()) for _ in range(self.writers)]
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def stop(self) -> Tally:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        await self._client.aclose()
        return self.tally

    async def _write_until_stopped(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self.interval)
            try:
                response = await self._client.post("/participants", json=participant_form(pesel=unique_pesel()))
            except (httpx.ConnectError, httpx.ConnectTimeout):
                self.tally.refused += 1
                continue
            except httpx.TransportError:
                self.tally.in_doubt += 1
                continue
            if response.status_code == 201:
                self.tally.accepted.append(response.json()["participant_id"])
            elif response.status_code >= 500:
                self.tally.refused += 1
            else:
                self.tally.unexpected.append(f"{response.status_code} {response.text[:200]}")

    async def accepted_at_least(self, n: int, *, timeout: float = 30) -> None:
        async def enough():
            assert len(self.tally.accepted) >= n, f"only {len(self.tally.accepted)} of {n} writes accepted"

        await eventually(enough, timeout=timeout)

    async def more_accepted(self, n: int, *, timeout: float = 30) -> None:
        await self.accepted_at_least(len(self.tally.accepted) + n, timeout=timeout)


# --- the system ------------------------------------------------------------------------------------------------
def _query(database_url: str, sql: str) -> list[tuple]:
    """Read a service's database directly (SQLite file or PostgreSQL), while the service runs."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.split("///", 1)[1], timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


class Mesh:
    """Recruitment and reporting as real processes (LocalSystem): on the suite's broker (`bootstrap`), or on a
    broker of the test's own that it may freeze or kill (`broker`: kafka or tansu, as `owes up --broker`)."""

    def __init__(
        self,
        data_dir: Path,
        namespace: str,
        database_urls: dict[str, str],
        *,
        bootstrap: str | None = None,
        broker: str = TEST_BROKER,
    ) -> None:
        env = {f"{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()}
        env |= {"RECRUITMENT_OUTBOX_POLL_INTERVAL": "0.1", "REPORTING_OUTBOX_POLL_INTERVAL": "0.1"}
        if bootstrap:
            idempotence = str(broker_supports_idempotence()).lower()
            env |= {
                "RECRUITMENT_KAFKA__ENABLE_IDEMPOTENCE": idempotence,
                "REPORTING_KAFKA__ENABLE_IDEMPOTENCE": idempotence,
            }
        self.system = LocalSystem(
            data_dir=data_dir, namespace=namespace, extra_env=env, external_bootstrap=bootstrap, broker_choice=broker
        )
        # LocalSystem's default: one SQLite file per service under data_dir
        self.database_urls = {
            name: database_urls.get(name) or f"sqlite+aiosqlite:///{data_dir / f'{name}.db'}"
            for name in ("recruitment", "reporting")
        }

    @property
    def broker(self) -> EmbeddedBroker | LocalKafka:
        return self.system.broker

    def url(self, name: str) -> str:
        return self.system.service(name).url

    def headers(self, name: str) -> dict[str, str]:
        return self.system.operator_headers(name)

    async def start(self) -> Mesh:
        self.system.kafka_port = free_port()
        self.system.lock_data_folder()
        if self.system.external_bootstrap is None:
            await asyncio.to_thread(self.system.start_broker)
        for name in ("recruitment", "reporting"):
            self.system.start_service(name, free_port())
        await asyncio.gather(self.ready("recruitment"), self.ready("reporting"))
        return self

    async def ready(self, name: str, *, timeout: float = 60) -> None:
        async def answers_ready():
            svc = self.system.service(name)
            assert svc.process.poll() is None, f"{name} exited with {svc.process.returncode}: see {self.log(name)}"
            try:
                async with httpx.AsyncClient(timeout=3) as client:
                    response = await client.get(f"{svc.url}/readyz")
            except httpx.TransportError as exc:
                raise AssertionError(f"{name} not answering: {exc!r}") from None
            assert response.status_code == 200, response.text

        await eventually(answers_ready, timeout=timeout, interval=0.2)

    def log(self, name: str) -> Path:
        return self.system.data_dir / f"{name}.log"

    def log_size(self, name: str) -> int:
        path = self.log(name)
        return path.stat().st_size if path.exists() else 0

    def logged(self, name: str, event: str, *, since: int = 0) -> int:
        """How many log lines of one event (e.g. event_duplicate_skipped) a service wrote after a byte offset."""
        with open(self.log(name), "rb") as f:
            f.seek(since)
            count = 0
            for line in f:
                try:
                    count += json.loads(line).get("event") == event
                except ValueError:
                    continue
            return count

    async def signal(self, name: str, sig: int) -> tuple[int | None, float]:
        """Send a signal and wait for the process to exit; its exit code and how long it took."""
        process = self.system.service(name).process
        started = time.monotonic()
        process.send_signal(sig)
        try:
            await asyncio.to_thread(process.wait, GRACE_SECONDS)
        except Exception:
            process.kill()
            await asyncio.to_thread(process.wait)
            return None, time.monotonic() - started
        return process.returncode, time.monotonic() - started

    async def restart(self, name: str) -> None:
        self.system.start_service(name, self.system.service(name).port)
        await self.ready(name)

    async def people_supported(self) -> int:
        async with httpx.AsyncClient(
            base_url=self.url("reporting"), headers=self.headers("reporting"), timeout=10
        ) as client:
            response = await client.get("/indicators")
        assert response.status_code == 200, response.text
        return response.json()["people_supported"]

    def committed(self) -> dict[str, str]:
        """Event id -> participant id of every ParticipantRecruited recruitment committed."""
        rows = _query(
            self.database_urls["recruitment"], f"SELECT event_id, key FROM outbox WHERE event_type = '{RECRUITED}'"
        )
        return dict(rows)

    def unpublished(self) -> int:
        return _query(self.database_urls["recruitment"], "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]

    def applied(self) -> list[str]:
        """Event ids of the ParticipantRecruited events reporting applied (its inbox)."""
        rows = _query(self.database_urls["reporting"], f"SELECT event_id FROM inbox WHERE event_type = '{RECRUITED}'")
        return [r[0] for r in rows]

    async def dead_letters(self) -> list:
        return await read_dead_letters(
            {"bootstrap_servers": self.system.bootstrap_servers},
            dead_letter_topic_for("reporting", self.system.namespace),
        )

    def stop(self) -> None:
        self.system.stop()


@pytest.fixture
async def mesh(tmp_path, namespace, db_backend, database_url, kafka_bootstrap):
    """The services on the suite's broker (Apache Kafka wherever Java is present)."""
    urls = {} if db_backend == "sqlite" else {name: database_url(name) for name in ("recruitment", "reporting")}
    mesh = Mesh(tmp_path / "mesh", namespace, urls, bootstrap=kafka_bootstrap)
    try:
        yield await mesh.start()
    finally:
        await asyncio.to_thread(mesh.stop)


@pytest.fixture
async def mesh_with_own_broker(tmp_path, namespace):
    """The services on a broker of this test's own (the suite's kind), for faults that strike the broker."""
    mesh = Mesh(tmp_path / "mesh", namespace, {})
    try:
        yield await mesh.start()
    finally:
        await asyncio.to_thread(mesh.stop)


# --- the verdict -----------------------------------------------------------------------------------------------
@dataclass
class Verdict:
    accepted: int
    refused: int
    in_doubt: int
    committed: int
    applied: int
    people_supported: int
    duplicates_absorbed: int

    def __str__(self) -> str:
        return (
            f"accepted {self.accepted}, refused {self.refused}, in doubt {self.in_doubt}, committed "
            f"{self.committed}, applied {self.applied}, people_supported {self.people_supported}, "
            f"redeliveries absorbed by the inbox {self.duplicates_absorbed}"
        )


async def settle_and_count(mesh: Mesh, tally: Tally) -> Verdict:
    """Wait for the system to catch up, then check that every committed write is counted exactly once."""
    assert not tally.unexpected, tally.unexpected[:5]

    async def caught_up():
        assert mesh.unpublished() == 0, "recruitment's outbox still has unpublished events"
        committed = mesh.committed()
        assert sorted(mesh.applied()) == sorted(committed), "reporting has not applied every committed event"
        assert await mesh.people_supported() == len(committed)

    await eventually(caught_up, timeout=60, interval=0.5)
    committed = mesh.committed()
    accepted = set(tally.accepted)
    assert len(accepted) == len(tally.accepted), "the same participant id was answered twice"
    assert accepted <= set(committed.values()), "an accepted write is missing from recruitment"
    # A write whose connection broke after it was sent may have committed: only those may add to the count.
    assert len(committed) - len(accepted) <= tally.in_doubt
    applied = mesh.applied()
    assert len(applied) == len(set(applied)) == len(committed)
    assert await mesh.dead_letters() == []
    verdict = Verdict(
        accepted=len(accepted),
        refused=tally.refused,
        in_doubt=tally.in_doubt,
        committed=len(committed),
        applied=len(applied),
        people_supported=await mesh.people_supported(),
        duplicates_absorbed=mesh.logged("reporting", "event_duplicate_skipped"),
    )
    print(f"\n{verdict}")
    return verdict


# --- the faults ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("db_backend", ["sqlite"])
class TestServiceKilled:
    @pytest.mark.parametrize("victim", ["recruitment", "reporting"])
    async def test_sigkill_mid_stream_and_restart_loses_nothing_and_counts_nothing_twice(self, mesh, victim):
        async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
            await writes.accepted_at_least(30)
            if victim == "reporting":  # let a backlog build up, so the kill lands while it works through it
                process = mesh.system.service(victim).process
                process.send_signal(signal.SIGSTOP)
                await writes.more_accepted(150)
                applied_before = len(mesh.applied())
                process.send_signal(signal.SIGCONT)

                async def working_through_the_backlog():
                    assert len(mesh.applied()) >= applied_before + 20

                await eventually(working_through_the_backlog, interval=0.01)
            code, _ = await mesh.signal(victim, signal.SIGKILL)
            assert code == -signal.SIGKILL
            if victim == "recruitment":  # writes are refused while it is down
                refused_before = writes.tally.refused

                async def refusing():
                    assert writes.tally.refused > refused_before

                await eventually(refusing)
            else:  # writes go on; events pile up unread
                await writes.more_accepted(30)
            await asyncio.sleep(1)  # down for a while, as after a crash
            await mesh.restart(victim)
            await writes.more_accepted(30)
        verdict = await settle_and_count(mesh, writes.tally)
        if victim == "recruitment":
            assert verdict.refused > 0


class TestBrokerUnreachable:
    async def test_writes_while_the_broker_is_frozen_are_all_counted_once_it_is_back(self, mesh_with_own_broker):
        mesh = mesh_with_own_broker
        async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
            await writes.accepted_at_least(30)
            mesh.broker.pause()  # SIGSTOP: connections hang, as in a network partition
            try:
                # recruitment keeps accepting, the outbox holds the events; frozen longer than a consumer
                # heartbeat interval, so the consumer's session is at stake too
                await asyncio.gather(writes.more_accepted(60), asyncio.sleep(FAULT_SECONDS))
                frozen_unpublished = mesh.unpublished()
            finally:
                mesh.broker.resume()
            await writes.more_accepted(30)
        assert frozen_unpublished > 0
        assert (await settle_and_count(mesh, writes.tally)).refused == 0


class TestConsumerDatabaseUnavailable:
    async def test_events_arriving_while_reporting_cannot_write_are_applied_once_when_it_can(self, mesh):
        outage = DatabaseOutage(mesh.database_urls["reporting"])
        async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
            await writes.accepted_at_least(30)
            await asyncio.to_thread(outage.begin)
            try:
                await asyncio.gather(writes.more_accepted(60), asyncio.sleep(FAULT_SECONDS))
                applied_during = len(mesh.applied()) if outage.is_sqlite else None
                await writes.more_accepted(30)
                if outage.is_sqlite:  # readers still read (WAL); the consumer's writes wait behind the lock
                    assert len(mesh.applied()) == applied_during
            finally:
                await asyncio.to_thread(outage.end)
            await writes.more_accepted(30)
        assert (await settle_and_count(mesh, writes.tally)).refused == 0


@pytest.mark.parametrize("db_backend", ["sqlite"])
class TestGracefulShutdown:
    async def test_sigterm_on_reporting_commits_its_offsets_so_nothing_is_redelivered_after_restart(self, mesh):
        async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
            await writes.accepted_at_least(40)
            code, took = await mesh.signal("reporting", signal.SIGTERM)
            assert code == 0, f"reporting exited with {code} after {took:.1f}s"
            await writes.more_accepted(30)
            restarted_at = mesh.log_size("reporting")
            await mesh.restart("reporting")
            await writes.more_accepted(30)
        verdict = await settle_and_count(mesh, writes.tally)
        assert mesh.logged("reporting", "event_duplicate_skipped", since=restarted_at) == 0
        assert verdict.refused == verdict.in_doubt == 0

    async def test_sigterm_on_recruitment_drains_in_flight_writes_so_every_committed_write_was_answered_201(self, mesh):
        async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
            await writes.accepted_at_least(40)
            code, took = await mesh.signal("recruitment", signal.SIGTERM)
            assert code == 0, f"recruitment exited with {code} after {took:.1f}s"
            await mesh.restart("recruitment")
            await writes.more_accepted(30)
        verdict = await settle_and_count(mesh, writes.tally)
        # Every write that reached the service was answered: the committed ones are exactly the accepted ones.
        assert verdict.committed == verdict.accepted
