"""Event consumption: parse the CloudEvent, apply it once (inbox), retry transient failures with backoff,
and send poison messages to the dead-letter topic with the reason and the original headers."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

import structlog
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owes_contracts import Event
from owes_contracts.correlation import correlation_scope
from owes_contracts.envelope import CloudEvent, PoisonMessage
from owes_contracts.reading import Reading

from .inbox import Inbox
from .origin import Origin

log = structlog.get_logger("owes.consumer")

Handler = Callable[[AsyncSession, CloudEvent, Event], Awaitable[None]]
# Applies a batch's new events (in order, duplicates left out) in the caller's transaction, all at once.
BatchHandler = Callable[[AsyncSession, Sequence[tuple[CloudEvent, Event]]], Awaitable[None]]
# Publishes one record to the dead-letter topic: (topic, value, key, headers).
DeadLetter = Callable[[str, bytes | None, bytes | None, list[tuple[str, bytes]]], Awaitable[None]]
# An aiokafka ConsumerRecord (aiokafka has no type information).
Record = Any

# PostgreSQL SQLSTATE classes and codes that mean "away, busy or restarting", not "wrong":
# 08 connection, 40 serialization/deadlock, 53 resources, 57 operator intervention (shutdown, cannot connect
# now), 58 system I/O; 55000 "database is not accepting connections", 55P03 lock not available.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58")
_TRANSIENT_SQLSTATES = ("55000", "55P03")
# SQLite result codes (with their extended variants) that mean the file is busy or unreachable for now.
_TRANSIENT_SQLITE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_READONLY",
    "SQLITE_FULL",
    "SQLITE_PROTOCOL",
)


def is_transient(exc: BaseException) -> bool:
    """Whether waiting can fix this failure (database or network away) rather than it being a bug or bad data.

    A constraint violation, bad data or a missing table is not transient: retrying it forever would block
    the partition, so it is retried a few times and then dead-lettered.
    """
    if isinstance(exc, (OSError, DisconnectionError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    orig = exc.orig
    if isinstance(orig, OSError) or isinstance(getattr(orig, "__cause__", None), OSError):
        return True
    sqlite_name = getattr(orig, "sqlite_errorname", None)
    if sqlite_name is not None:
        return sqlite_name.startswith(_TRANSIENT_SQLITE)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES or sqlstate in _TRANSIENT_SQLSTATES
    return isinstance(exc, OperationalError)


DLQ_REASON = "dlq_reason"
DLQ_ORIGINAL_TOPIC = "dlq_original_topic"
DLQ_ORIGINAL_PARTITION = "dlq_original_partition"
DLQ_ORIGINAL_OFFSET = "dlq_original_offset"
DLQ_CONSUMER = "dlq_consumer"
DLQ_FAILED_AT = "dlq_failed_at"
DLQ_HEADERS = (DLQ_REASON, DLQ_ORIGINAL_TOPIC, DLQ_ORIGINAL_PARTITION, DLQ_ORIGINAL_OFFSET, DLQ_CONSUMER, DLQ_FAILED_AT)


_NO_SPAN = nullcontext()  # reusable: what a record's scope is while no span is recorded


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


# Sees what each consumed event came to, a batch at a time (metrics, the dashboard's change feed).
OutcomeObserver = Callable[[Sequence[tuple[CloudEvent | None, Outcome]]], None]


@dataclass(frozen=True)
class Admitted:
    """A record that parsed and passed every check: ready to apply (handler None: this service ignores it)."""

    event: CloudEvent
    payload: Event | None  # None: its twin is the one applied here (a transition window), and no handler
    handler: Handler | None


@dataclass(frozen=True)
class Rejected:
    """A record that goes to the dead-letter topic, and why."""

    reason: str
    event: CloudEvent | None


class ShuttingDown(Exception):
    """Raised out of a retry loop at shutdown, so the record is not committed and is redelivered."""


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 0.1
    max_delay: float = 5.0
    # Unexpected (non-transient) errors get this many attempts before the record is dead-lettered.
    max_attempts: int = 5

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)


class EventConsumer:
    """Applies the events one service cares about, each exactly once in effect."""

    def __init__(
        self,
        *,
        name: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        inbox: Inbox,
        handlers: dict[type[Event], Handler],
        dead_letter: DeadLetter,
        dead_letter_topic: str,
        retry: RetryPolicy = RetryPolicy(),
        on_outcomes: OutcomeObserver | None = None,
        origins: dict[str, Origin] | None = None,
        apply_batch: BatchHandler | None = None,
        on_tolerated: Callable[[CloudEvent, Reading], None] | None = None,
    ) -> None:
        self.name = name
        self.sessionmaker = sessionmaker
        self.inbox = inbox
        self.handlers = {(model.ce_type(), model.version): handler for model, handler in handlers.items()}
        self.dead_letter = dead_letter
        self.dead_letter_topic = dead_letter_topic
        self.retry = retry
        self.on_outcomes = on_outcomes
        # What tolerant reading let through, by (event type, field, "ignored_field" | "unknown_value").
        self.tolerated: Counter[tuple[str, str, str]] = Counter()
        self.on_tolerated = on_tolerated
        # topic -> the producer and partner whose events alone it may carry (owes_messaging.origin); a topic
        # missing here is refused, so a consumer never applies what nobody said it may read
        self.origins = origins
        self.stopping = asyncio.Event()
        self.last_event_at: dict[str, dt.datetime] = {}
        self.partner_releases: dict[str, str] = {}
        self.outcomes: Counter[Outcome] = Counter()
        self.retries = 0  # attempts that failed and were retried after a back-off
        # A service whose effects fold well in bulk (reporting) gives one: apply_together hands it the batch's new
        # events at once instead of calling each one's handler; one event alone still goes to its handler.
        self.apply_batch = apply_batch

    async def handle_batch(
        self,
        records: Sequence[Record],
        kafka: Any,
        *,
        handle: Callable[[object], Awaitable[object]] | None = None,
        together: bool = False,
        scope: Callable[[object], AbstractContextManager] | None = None,
    ) -> None:
        """Process a fetched batch in order, then commit its offsets once (a commit per record cost a third of
        the consumer's CPU, docs/performance.md).

        Semantics stay those of a commit per record: if a record cannot be finished (shutdown, broker away for
        the dead-letter topic), the records before it are committed and each partition is rewound to its first
        unfinished record, so only those are delivered again. `kafka` is the aiokafka consumer; `handle`
        processes one record (default handle_record). With `together`, the batch is first applied in one
        transaction (apply_together); only if that fails are its records taken one at a time.
        """
        from aiokafka import TopicPartition
        from aiokafka.structs import OffsetAndMetadata

        handle = handle or self.handle_record
        applied_together = (
            together
            and len(records) > 1
            and not self.stopping.is_set()
            and await self.apply_together(records, scope=scope) is not None
        )
        if applied_together:
            ends: dict[TopicPartition, int] = {}
            for record in records:
                ends[TopicPartition(record.topic, record.partition)] = record.offset + 1
            try:
                await kafka.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in ends.items()})
            except Exception as commit_error:  # broker away: the batch comes again, the inbox skips it
                log.warning("offsets_not_committed", error=repr(commit_error))
            return
        done: dict[TopicPartition, int] = {}
        try:
            for record in records:
                if self.stopping.is_set():
                    raise ShuttingDown()
                await handle(record)
                done[TopicPartition(record.topic, record.partition)] = record.offset + 1
        except BaseException as exc:
            first: dict[TopicPartition, int] = {}
            for record in records:
                tp = TopicPartition(record.topic, record.partition)
                if record.offset >= done.get(tp, -1):
                    first[tp] = min(first.get(tp, record.offset), record.offset)
            try:
                if done and isinstance(exc, Exception):  # not when cancelled: nothing may be awaited then
                    await kafka.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in done.items()})
            except Exception as commit_error:  # broker away: the finished records come again, the inbox skips them
                log.warning("offsets_not_committed", error=repr(commit_error))
            finally:
                for tp, offset in first.items():
                    kafka.seek(tp, offset)
            raise
        if done:
            await kafka.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in done.items()})

    async def apply_together(
        self, records: Sequence[Record], *, scope: Callable[[object], AbstractContextManager] | None = None
    ) -> list[Outcome] | None:
        """Apply records in one transaction, inbox claims and effects together (catching up: one commit for
        hundreds of events instead of one each). None, with nothing written, when a record needs the
        one-at-a-time path: it is to be dead-lettered, or applying failed (the failing record is then isolated,
        retried and dead-lettered as before, and the others are applied one by one)."""
        items: list[Admitted] = []
        for record in records:
            item = self.admit(record)
            if isinstance(item, Rejected):
                return None
            items.append(item)
        outcomes: list[Outcome] = []
        try:
            async with self.sessionmaker() as session, session.begin():
                # one statement claims the batch: what it did not claim was applied before (a redelivery)
                fresh_ids = await self.inbox.claim_all(session, [i.event for i in items if i.handler])
                fresh: list[tuple[CloudEvent, Event]] = []
                for record, item in zip(records, items, strict=True):
                    with scope(record) if scope else _NO_SPAN as span:
                        event = item.event
                        if item.handler is None:
                            outcome = Outcome.IGNORED
                        elif event.id in fresh_ids:
                            fresh_ids.discard(event.id)  # the same event twice in a batch is applied once
                            if self.apply_batch is not None:
                                fresh.append((event, cast(Event, item.payload)))
                            else:
                                with correlation_scope(event.correlationid, event_id=event.id):
                                    await item.handler(session, event, cast(Event, item.payload))
                            outcome = Outcome.APPLIED
                        else:
                            with correlation_scope(event.correlationid, event_id=event.id):
                                log.info("event_duplicate_skipped", event_type=event.type)
                            outcome = Outcome.DUPLICATE
                        if span is not None:
                            span.set_attribute("owes.outcome", str(outcome))
                    outcomes.append(outcome)
                if fresh and self.apply_batch is not None:
                    await self.apply_batch(session, fresh)
        except Exception as exc:
            log.warning(
                "batch_apply_failed",
                records=len(records),
                error=f"{type(exc).__name__}: {exc}",
                detail="applying the batch one event at a time",
            )
            return None
        self._observe([(item.event, outcome) for item, outcome in zip(items, outcomes, strict=True)])
        log.info("events_applied", count=outcomes.count(Outcome.APPLIED), batch=len(records))
        return outcomes

    def admit(self, record: Record) -> Admitted | Rejected:
        """Parse and check one record before anything is written: the envelope, its origin, its payload."""
        try:
            event = CloudEvent.from_kafka(record.headers, record.value)
        except PoisonMessage as exc:
            return Rejected(str(exc), None)
        refusal = self._refusal(record.topic, event)
        if refusal:
            return Rejected(refusal, event)
        try:
            payload = self._read(event)  # type, version and payload, read tolerantly
        except PoisonMessage as exc:
            return Rejected(str(exc), event)
        handler = self.handlers.get((event.type, event.schemaversion)) if payload is not None else None
        return Admitted(event, payload, handler)

    async def handle_record(self, record: Record) -> Outcome:
        """Process one Kafka record (an aiokafka ConsumerRecord) to a final outcome, or raise ShuttingDown."""
        item = self.admit(record)
        if isinstance(item, Rejected):
            return await self._dead_letter(record, item.reason, item.event)
        event = item.event
        with correlation_scope(event.correlationid, event_id=event.id):
            attempt = failures = 0
            while True:
                try:
                    outcome = await self._apply(item)
                    self._observe([(event, outcome)])
                    return outcome
                except PoisonMessage as exc:
                    return await self._dead_letter(record, str(exc), event)
                except Exception as exc:
                    attempt += 1
                    if is_transient(exc):  # wait the database or network out, however long it takes
                        await self._back_off(attempt, exc, transient=True)
                        continue
                    failures += 1
                    if failures >= self.retry.max_attempts:
                        reason = f"handler failed {failures} times: {type(exc).__name__}: {exc}"
                        return await self._dead_letter(record, reason, event)
                    await self._back_off(attempt, exc, transient=False)

    def _read(self, event: CloudEvent) -> Event | None:
        """The typed payload, or None when this consumer applies the event's twin instead (a transition window).

        A consumer a release behind still applies the events of a contract that has grown: fields it does not
        know are ignored and unknown enum values read as "unknown" (owes_contracts.reading), each counted with
        a warning. The record on the topic keeps them all, for a replay or a rebuild after the upgrade.
        """
        if self._applies_twin(event):
            return None
        reading = event.read()
        if reading.tolerated:
            for name in reading.ignored_fields:
                self.tolerated[(event.type, name, "ignored_field")] += 1
            for name in reading.unknown_values:
                self.tolerated[(event.type, name, "unknown_value")] += 1
            log.warning(
                "event_read_tolerantly",
                event_type=event.type,
                schemaversion=event.schemaversion,
                ignored_fields=list(reading.ignored_fields),
                unknown_values=sorted(reading.unknown_values),
            )
            if self.on_tolerated:
                self.on_tolerated(event, reading)
        return reading.payload

    def _applies_twin(self, event: CloudEvent) -> bool:
        """Whether the same fact, published at once in another version (its twin), is the one to apply here.

        During a transition window a producer publishes each fact in the new and the previous version, and
        names the other in `twinversion`. Each consumer applies the newest of the two it has a handler for,
        so a consumer of either release counts the fact once; it need not even know the contract of the
        version it leaves aside.
        """
        twin = event.twinversion
        if twin is None or (event.type, twin) not in self.handlers:
            return False
        return twin > event.schemaversion or (event.type, event.schemaversion) not in self.handlers

    def _refusal(self, topic: str, event: CloudEvent) -> str | None:
        """Why the event cannot have come from the producer of its topic, or None."""
        if self.origins is None:
            return None
        origin = self.origins.get(topic)
        if origin is None:
            return f"origin: {topic} is not a topic this consumer was configured to read"
        return origin.refusal(topic, event)

    async def _apply(self, item: Admitted) -> Outcome:
        if item.handler is None:
            return Outcome.IGNORED
        async with self.sessionmaker() as session, session.begin():
            outcome = await self._apply_in(session, item)
        if outcome is Outcome.APPLIED:
            log.info("event_applied", event_type=item.event.type, subject=item.event.subject)
        return outcome

    async def _apply_in(self, session: AsyncSession, item: Admitted) -> Outcome:
        """Claim the event in the inbox and apply it, inside the caller's transaction."""
        if item.handler is None:
            return Outcome.IGNORED
        if item.event.id not in await self.inbox.claim_all(session, [item.event]):
            log.info("event_duplicate_skipped", event_type=item.event.type)
            return Outcome.DUPLICATE
        await item.handler(session, item.event, cast(Event, item.payload))
        return Outcome.APPLIED

    async def _back_off(self, attempt: int, exc: Exception, *, transient: bool) -> None:
        self.retries += 1
        delay = self.retry.delay(attempt)
        log.warning(
            "event_retry",
            attempt=attempt,
            transient=transient,
            error=f"{type(exc).__name__}: {exc}",
            retry_in=round(delay, 3),
        )
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=delay)
        except TimeoutError:
            return
        raise ShuttingDown()

    async def _dead_letter(self, record: Record, reason: str, event: CloudEvent | None) -> Outcome:
        headers = [(k, v) for k, v in (record.headers or ()) if k not in DLQ_HEADERS]
        headers += [
            (DLQ_REASON, reason.encode()),
            (DLQ_ORIGINAL_TOPIC, record.topic.encode()),
            (DLQ_ORIGINAL_PARTITION, str(record.partition).encode()),
            (DLQ_ORIGINAL_OFFSET, str(record.offset).encode()),
            (DLQ_CONSUMER, self.name.encode()),
            (DLQ_FAILED_AT, dt.datetime.now(dt.UTC).isoformat().encode()),
        ]
        await self.dead_letter(self.dead_letter_topic, record.value, record.key, headers)
        log.error(
            "event_dead_lettered",
            reason=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            event_id=event.id if event else None,
        )
        self._observe([(event, Outcome.DEAD_LETTERED)])
        return Outcome.DEAD_LETTERED

    def _observe(self, observed: Sequence[tuple[CloudEvent | None, Outcome]]) -> None:
        """Note what a batch (or one record) came to, then tell the observers, once for all of it."""
        now = dt.datetime.now(dt.UTC)
        for event, outcome in observed:
            self.outcomes[outcome] += 1
            if event is not None:
                self.last_event_at[event.partner or event.source] = now
                if event.serviceversion:  # the release each partner runs, as its events say
                    self.partner_releases[event.partner or event.source] = event.serviceversion
        if self.on_outcomes:
            self.on_outcomes(observed)
