"""Transactional outbox: the event row is written in the same transaction as the state change,
and a relay publishes pending rows to Kafka in order, then marks them sent.

At-least-once: a relay that dies after publishing and before marking publishes the rows again on
restart; consumers' inboxes make the duplicate harmless.

The log the rows went to must be the one consumers read. The relay knows the broker by its cluster id and asks
again after every acknowledged batch: if the id changed (a broker replaced under it, e.g. the embedded Tansu
restarted empty), the batch is not marked and every kept row is published again, in its original order. At
start, a topic whose end offsets add up to fewer records than the rows marked published has lost acknowledged
records (Tansu keeps its log in memory): the kept rows are published again too. Published rows are kept for the
retention, then pruned on a schedule; the embedded Tansu system keeps them forever, its only history.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
import structlog
from opentelemetry.trace import Tracer
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from owes_contracts import Event
from owes_contracts.envelope import EXT_TWIN_VERSION, CloudEvent
from owes_contracts.transition import publications

from .db import READ_ONLY
from .tracing import stamp_trace

log = structlog.get_logger("owes.outbox")


class OutboxWriter:
    """Adds events to the outbox inside the caller's transaction; wakes the relay when it commits."""

    def __init__(
        self,
        *,
        table: sa.Table,
        topic: str,
        source: str,
        partner: str | None,
        service_version: str | None = None,
        transitions: dict[str, dt.date] | None = None,
        extensions: Mapping[str, str] | None = None,
        today: Callable[[], dt.date] | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.table = table
        self.topic = topic
        self.source = source
        self.partner = partner
        # the release that publishes (the `serviceversion` extension of every event), and the event types
        # published in their previous version too until a day (owes_contracts.transition)
        self.service_version = service_version
        # CloudEvents extension attributes every event of this writer carries (the project's fingerprint).
        self.extensions = dict(extensions or {})
        # The project's today (the runtime passes its calendar's): transition windows end on a project date.
        self.today: Callable[[], dt.date] = today or (lambda: dt.datetime.now(dt.UTC).date())
        self.transitions = transitions or {}
        self.committed = asyncio.Event()
        # with a tracer, each event gets a PRODUCER span and carries its traceparent
        self.tracer = tracer
        # One statement, its values passed as parameters: SQLAlchemy compiles it once (values() would make it
        # build and hash a new statement per event).
        self._insert = sa.insert(table)

    async def add(self, session: AsyncSession, payload: Event) -> CloudEvent:
        """Record one event in the session's transaction; it is published only if the transaction commits.

        In a transition window the same fact is recorded in the previous version too (its twin)."""
        first: CloudEvent | None = None
        for version, twin in publications(payload, today=self.today(), transitions=self.transitions):
            event = await self._add(session, version, twin)
            first = first or event
        if first is None:  # publications() always names the payload's own version first
            raise RuntimeError(f"no version of {payload.ce_type()} to publish")
        return first

    async def _add(self, session: AsyncSession, payload: Event, twin: int | None) -> CloudEvent:
        event = CloudEvent.record(
            payload, source=self.source, partner=self.partner, service_version=self.service_version
        )
        if self.extensions:  # e.g. the project definition's fingerprint (owes_service.project)
            event = dataclasses.replace(event, extra=event.extra | self.extensions)
        if twin is not None:
            event = dataclasses.replace(event, extra=event.extra | {EXT_TWIN_VERSION: str(twin)})
        event = stamp_trace(event, tracer=self.tracer, topic=self.topic)
        await session.execute(
            self._insert,
            {
                "event_id": event.id,
                "event_type": event.type,
                "topic": self.topic,
                "key": event.subject,
                "headers": [[name, value.decode()] for name, value in event.kafka_headers()],
                "value": event.kafka_value().decode(),
                "created_at": dt.datetime.now(dt.UTC),
            },
        )
        # _wake_relays (below) sets self.committed when this session commits.
        info = session.sync_session.info
        info.setdefault(_WRITERS, set()).add(self)
        info.setdefault(OUTBOX_SUBJECTS, []).append(event.subject)
        return event


_WRITERS = "owes_outbox_writers"
# session.info key: the subjects of the events recorded in the session (the audit row names the first)
OUTBOX_SUBJECTS = "owes_outbox_subjects"


@sa_event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    """Wake the relay of every outbox written in a session that committed: one listener for the process
    rather than one registered per session, which cost more than the insert itself."""
    for writer in session.info.get(_WRITERS, ()):
        writer.committed.set()


async def broker_identity(producer: Any) -> str:
    """The cluster id of the broker a started aiokafka producer reaches now (a Metadata request, v2 or newer)."""
    from aiokafka.protocol.metadata import MetadataRequest

    client = producer.client
    node = client.get_random_node()
    if node is None:
        await client.force_metadata_update()
        node = client.get_random_node()
    response = await client.send(node, MetadataRequest([]))
    return getattr(response, "cluster_id", None) or ""


async def records_taken(client_options: dict, topic: str) -> int:
    """The sum of a topic's end offsets: every record it ever took, whatever retention deleted since."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition

    probe = AIOKafkaConsumer(**client_options, client_id="owes-outbox-log-check")
    await probe.start()
    try:
        partitions = probe.partitions_for_topic(topic) or set()
        if not partitions:
            await probe._client.force_metadata_update()
            partitions = probe.partitions_for_topic(topic) or set()
        ends = await probe.end_offsets([TopicPartition(topic, p) for p in partitions]) if partitions else {}
    finally:
        await probe.stop()
    return sum(ends.values())


class BrokerReplaced(Exception):
    """The broker that acknowledged a batch is not the one the relay published to before."""


@dataclasses.dataclass(eq=False, kw_only=True)  # eq=False: a running relay is itself, hashed by identity
class OutboxRelay:
    """Publishes pending outbox rows in commit order and marks them sent."""

    engine: AsyncEngine
    table: sa.Table
    producer: Any
    wakeup: asyncio.Event
    batch_size: int = 500
    poll_interval: float = 0.5
    # Woken by a commit, wait this long before reading: writes committed meanwhile go in the same batch (a
    # cycle cost recruitment half as much CPU as the write itself when each write had its own). The services
    # pass their outbox_linger setting (5 ms).
    linger: float = 0.0
    # On PostgreSQL, replicas of one service share the table: an advisory lock (lock_key, from this name) lets one
    # relay at a time publish, which keeps the order of rows on the topic.
    lock_name: dataclasses.InitVar[str] = "outbox"
    retention: dt.timedelta | None = dt.timedelta(days=7)  # None: published rows are kept forever (embedded Tansu)
    prune_interval: float = 3600.0
    # this service's events topic and how to reach the broker: checked at start for lost records
    topic: str | None = None
    client_options: dict | None = None
    # async callable: makes a new broker ready (creates the topics) before rows are published to it again
    prepare_broker: Callable[[], Awaitable[None]] | None = None
    # called with the rows just marked published (metrics)
    on_published: Callable[[Sequence[sa.Row[*tuple[Any, ...]]]], None] | None = None
    lock_key: int = dataclasses.field(init=False)
    # cluster id of the broker the rows marked published went to
    broker_id: str | None = dataclasses.field(init=False, default=None)
    published_total: int = dataclasses.field(init=False, default=0)
    republished_total: int = dataclasses.field(init=False, default=0)
    _replaced: bool = dataclasses.field(init=False, default=False)
    _stopping: asyncio.Event = dataclasses.field(init=False, default_factory=asyncio.Event)

    def __post_init__(self, lock_name: str) -> None:
        self.lock_key = zlib.crc32(lock_name.encode())

    async def run(self) -> None:
        """Publish until stopped; on broker or database errors, back off and try again."""
        backoff = 0.1
        next_prune = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            try:
                if self.broker_id is None or self._replaced:
                    await self.check_log(replaced=self._replaced)
                    self._replaced = False
                if self.retention is not None and loop.time() >= next_prune:
                    pruned = await self.prune_published()
                    next_prune = loop.time() + self.prune_interval
                    if pruned:
                        log.info("outbox_pruned", count=pruned, retention_days=self.retention.total_seconds() / 86400)
                published = await self.publish_pending()
                backoff = 0.1
            except BrokerReplaced as exc:
                log.warning("outbox_broker_replaced", detail=str(exc))
                self._replaced = True
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: nothing is marked, so nothing is lost
                log.warning("outbox_publish_failed", error=repr(exc), retry_in=backoff)
                self._replaced = self._replaced or await self._broker_changed()
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published < self.batch_size:
                self.wakeup.clear()
                await self._wait_for_work()
                if self.linger and self.wakeup.is_set():
                    await self._sleep(self.linger)

    async def stop(self) -> None:
        """Finish the batch in flight, then return."""
        self._stopping.set()
        self.wakeup.set()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wakeup.wait(), timeout=self.poll_interval)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; return how many were published."""
        t = self.table
        if self.broker_id is None:
            self.broker_id = await broker_identity(self.producer)
        async with self.engine.connect() as conn:
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                # One relay at a time per table, for the length of this transaction: the lock ends with it, so a
                # relay that dies mid-batch holds nothing, and taking it costs no statement of its own to release.
                if not await conn.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(self.lock_key))):
                    await conn.rollback()
                    return 0
            else:
                # SQLite: the select reads a WAL snapshot (no queueing behind the service's writers), released
                # before the batch is sent; only marking the rows published takes the write lock.
                await conn.execution_options(**{READ_ONLY: True})
            rows = (
                await conn.execute(
                    sa.select(t.c.seq, t.c.event_id, t.c.event_type, t.c.topic, t.c.key, t.c.headers, t.c.value)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.seq)
                    .limit(self.batch_size)
                )
            ).all()
            if not postgres:
                await conn.commit()
            if not rows:
                await conn.rollback()
                return 0
            # Asked before sending too: rows sent to a replacement before the kept rows are published again
            # there would reach it out of commit order (a key's later event before its earlier one).
            if await broker_identity(self.producer) != self.broker_id:
                raise BrokerReplaced(f"broker {self.broker_id!r} replaced: {len(rows)} rows held back")
            await self._publish(rows)
            # The acknowledgements count only if they came from the broker published to before: asked
            # after the acks, so a broker replaced before or during the batch is caught here.
            now = await broker_identity(self.producer)
            if now != self.broker_id:
                raise BrokerReplaced(f"broker {self.broker_id!r} replaced by {now!r}: {len(rows)} rows not marked")
            if not postgres:
                await conn.execution_options(**{READ_ONLY: False})
            await conn.execute(
                sa.update(t).where(t.c.seq.in_([r.seq for r in rows])).values(published_at=dt.datetime.now(dt.UTC))
            )
            await conn.commit()
        self.published_total += len(rows)
        if self.on_published is not None:
            self.on_published(rows)
        log.debug("outbox_published", count=len(rows), last_seq=rows[-1].seq)
        return len(rows)

    async def _publish(self, rows: Sequence[sa.Row[*tuple[Any, ...]]]) -> None:
        # send() only enqueues; the futures resolve when the broker has the batch. Awaiting all of them
        # before marking means a row is marked only once Kafka acknowledged it.
        futures = [
            await self.producer.send(
                row.topic,
                value=row.value.encode(),
                key=row.key.encode(),
                headers=[(name, value.encode()) for name, value in row.headers],
            )
            for row in rows
        ]
        await asyncio.gather(*futures)

    async def _broker_changed(self) -> bool:
        """Whether the broker now answering is another than the one published to (False when none answers)."""
        if self.broker_id is None:
            return False
        try:
            return await asyncio.wait_for(broker_identity(self.producer), timeout=5) != self.broker_id
        except Exception:
            return False

    async def check_log(self, *, replaced: bool = False) -> int:
        """Learn the broker's identity; publish every kept row again if this broker is not the one they went to.

        Not the one: a batch was acknowledged by another broker than before (`replaced`), or the topic's end
        offsets add up to fewer records than the rows marked published (acknowledged records lost, e.g. the
        embedded Tansu restarted). Returns how many rows were marked for publishing again.
        """
        t = self.table
        identity = await broker_identity(self.producer)
        lost = replaced
        if not lost and self.topic is not None and self.client_options is not None:
            async with self.engine.connect() as conn:
                published = (
                    await conn.scalar(sa.select(sa.func.count()).select_from(t).where(t.c.published_at.is_not(None)))
                    or 0
                )
            lost = published > 0 and await records_taken(self.client_options, self.topic) < published
        republish = 0
        if lost:
            if self.prepare_broker is not None:
                await self.prepare_broker()
            # The producer's metadata still describes the old broker's topics (partitions and their leaders):
            # sent on it, a record may go to a partition the new broker's topic does not have, and hang there.
            await self.producer.client.force_metadata_update()
            async with self.engine.begin() as conn:
                result = await conn.execute(sa.update(t).where(t.c.published_at.is_not(None)).values(published_at=None))
            republish = result.rowcount or 0
            self.republished_total += republish
            log.warning("outbox_republishing", rows=republish, broker=identity, previous_broker=self.broker_id)
        self.broker_id = identity
        return republish

    async def prune_published(self) -> int:
        """Delete rows published longer ago than the retention period (never, when the retention is None)."""
        if self.retention is None:
            return 0
        cutoff = dt.datetime.now(dt.UTC) - self.retention
        async with self.engine.begin() as conn:
            result = await conn.execute(sa.delete(self.table).where(self.table.c.published_at < cutoff))
        return result.rowcount or 0

    async def pending_count(self) -> int:
        async with self.engine.connect() as conn:
            return (
                await conn.scalar(
                    sa.select(sa.func.count()).select_from(self.table).where(self.table.c.published_at.is_(None))
                )
                or 0
            )
