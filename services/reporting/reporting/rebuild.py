"""Rebuild the read models from the beginning of the topics: `owes reporting rebuild` or
`python -m reporting.rebuild`.

The read models are emptied and refilled in one transaction: every producer topic is read from offset 0 with
large `getmany` batches, each record is decoded and folded with the live path's fold functions, rows are merged
in memory with the live path's merge rule and upserted in bulk whenever the buffer is full. The rebuild stops
once it has caught up with the highwater marks its fetches return. Then it commits the consumer group's offsets
at those positions, so the service resumes after them (re-applying an event would change nothing anyway: rows
are keyed by entity).

A rebuild never leaves the read models with less than they had. Before the new models replace the live ones (in
the same transaction), it reconciles, per producing service, what it read against what the live consumer had
applied (reporting's inbox: how many events, and the last one). A log that lost events (truncated, or a broker
that forgot its log) shows as a shortfall: the rebuild is rolled back and the difference printed, unless
`--force`. Rows that no event supports may still disappear: the models are rebuilt, not patched.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import gc
import multiprocessing
import pickle
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata

from owes_contracts import PRODUCERS, Event, UnknownEventType, contract_for, topic_for
from owes_contracts.envelope import CloudEvent, PoisonMessage
from owes_messaging.broker import client_options, partitions_of
from owes_messaging.db import create_engine
from owes_messaging.migrations import upgrade_to_head_async

from .domain import FOLDS, TABLE_OF, Origin, PartnerActivity
from .repository import BulkWriter, MergedRows, clear_read_models, count_rows
from .settings import ReportingSettings

log = structlog.get_logger("reporting.rebuild")
MIGRATIONS = Path(__file__).parent / "migrations"


Decoded = tuple[str, bytes, Event]  # (partner, time as UTC ISO bytes, payload)
Emit = Callable[[list[tuple]], Awaitable[None]]


class RebuildRefused(RuntimeError):
    """The log holds less than the live read models were built from; the message is the difference."""


@dataclass(frozen=True)
class LiveApplied:
    """What the live consumer applied from one producing service: from reporting's inbox."""

    count: int
    last_event_id: str | None


async def live_applied(settings: ReportingSettings) -> dict[str, LiveApplied]:
    """Per producing service, how many events the live consumer applied and which it applied last."""
    import sqlalchemy as sa

    engine = create_engine(settings.database_url)
    applied: dict[str, LiveApplied] = {}
    try:
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda c: sa.inspect(c).has_table("inbox")):
                return {}
            inbox = sa.table(
                "inbox", sa.column("consumer"), sa.column("event_id"), sa.column("event_type"), sa.column("received_at")
            )
            for producer in PRODUCERS:
                mine = sa.and_(
                    inbox.c.consumer == settings.service_name, inbox.c.event_type.like(f"pl.owes.{producer}.%")
                )
                count = await conn.scalar(sa.select(sa.func.count()).select_from(inbox).where(mine)) or 0
                last = await conn.scalar(
                    sa.select(inbox.c.event_id).where(mine).order_by(inbox.c.received_at.desc()).limit(1)
                )
                if count:
                    applied[producer] = LiveApplied(count, last)
    finally:
        await engine.dispose()
    return applied


def shortfall(live: dict[str, LiveApplied], read: dict[str, int], last_found: set[str]) -> list[str]:
    """What the rebuilt models would lack against the live ones: one line per producing service."""
    lines = []
    for producer, applied in sorted(live.items()):
        got = read.get(producer, 0)
        missing_last = applied.last_event_id is not None and applied.last_event_id not in last_found
        if got < applied.count or missing_last:
            lines.append(
                f"{producer}: the live models applied {applied.count} events (the last {applied.last_event_id}"
                f"), the log holds {got}{'' if not missing_last else ' and not that last one'}"
            )
    return lines


@dataclass
class RebuildResult:
    events: int = 0
    applied: int = 0
    skipped: int = 0  # poison or of a type reporting does not fold (the live consumer skips them too)
    rows: int = 0  # in the read models at the end
    row_writes: int = 0  # upserts (a row merged in memory is written again when it changes after a flush)
    seconds: float = 0.0
    seconds_writing: float = 0.0  # bulk writes, in the background while folding goes on
    seconds_waited_for_writes: float = 0.0
    positions: dict[str, int] = field(default_factory=dict)
    offsets_committed: bool = False
    forced_past: list[str] = field(default_factory=list)  # the shortfall a --force rebuild went past

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _reference_decode(record: ConsumerRecord) -> Decoded | None:
    """The live consumer's own parsing (CloudEvent.from_kafka, payload()): the definition of a valid event."""
    try:
        event = CloudEvent.from_kafka(record.headers, record.value)
        payload = event.payload()
    except PoisonMessage:
        return None
    return event.partner or event.source, _iso(event.time), payload


def _iso(time_: dt.datetime) -> bytes:
    return time_.astimezone(dt.UTC).isoformat().replace("+00:00", "Z").encode()


@functools.lru_cache(maxsize=256)
def _contract(ce_type: bytes, version: bytes) -> type[Event]:
    return contract_for(ce_type.decode(), int(version))


def decode(record: ConsumerRecord) -> Decoded | None:
    """(partner, time as ISO bytes, payload) of a record, or None for a poison one.

    A fast path for well-formed records, falling back to the reference parser for anything unusual, so it
    accepts exactly what the live consumer accepts.
    """
    headers = dict(record.headers)
    try:
        if headers["ce_specversion"] != b"1.0" or not (headers["ce_id"] and headers["ce_correlationid"]):
            raise ValueError
        content_type = headers.get("content-type")
        if content_type is not None and not content_type.startswith(b"application/json"):
            raise ValueError
        model = _contract(headers["ce_type"], headers["ce_schemaversion"])
        payload = model.model_validate_json(record.value)
        if payload.aggregate_id() != headers["ce_subject"].decode():
            raise ValueError
        partner = headers.get("ce_partner") or headers["ce_source"]
        time_ = headers["ce_time"]
        if not time_.endswith(b"Z"):
            time_ = _iso(dt.datetime.fromisoformat(time_.decode()))
    except (KeyError, ValueError, UnknownEventType, UnicodeDecodeError, AttributeError):
        return _reference_decode(record)
    return partner.decode(), time_, payload


def _later(a: bytes, b: bytes) -> bytes:
    """The later of two UTC ISO times; byte order is time order when both have the same shape."""
    if len(a) == len(b):
        return max(b, a)
    return a if dt.datetime.fromisoformat(a.decode()) > dt.datetime.fromisoformat(b.decode()) else b


async def _assign_share(
    consumer: AIOKafkaConsumer, topics: list[str], share: tuple[int, int]
) -> dict[TopicPartition, str]:
    """Assign this reader's share of the topics' partitions (every n-th, from k) and seek to their beginning."""
    await consumer.topics()  # fetches the cluster's metadata
    every: list[tuple[TopicPartition, str]] = []
    for topic in topics:
        producer = topic.split(".")[-2]
        every += [(TopicPartition(topic, p), producer) for p in sorted(await partitions_of(consumer, topic))]
    k, n = share
    partitions = dict(every[k::n])
    consumer.assign(list(partitions))
    if partitions:
        await consumer.seek_to_beginning(*partitions)
    return partitions


async def _caught_up(consumer: AIOKafkaConsumer, partitions: Iterable[TopicPartition]) -> bool:
    for tp in partitions:
        highwater = consumer.highwater(tp)
        if highwater is None or await consumer.position(tp) < highwater:
            return False
    return True


@dataclass
class _Folded:
    """What one reader of partitions folded, besides the rows it handed on."""

    events: int = 0
    applied: int = 0
    skipped: int = 0
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    latest: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (partner, producer): last event time
    per_producer: dict[str, int] = field(default_factory=dict)  # events applied, by producing service
    found: set[str] = field(default_factory=set)  # which of the watched event ids the log holds


async def _fold_partitions(
    settings: ReportingSettings,
    share: tuple[int, int],
    emit: Emit,
    *,
    idle_timeout: float = 5.0,
    watch: frozenset[str] = frozenset(),
) -> _Folded:
    """Read a share of the producer topics from the beginning up to the highwater marks the fetches return,
    fold every event and merge the rows in memory; hand them to `emit` whenever the buffer is full."""
    folded = _Folded()
    topics = [topic_for(p, settings.topic_namespace) for p in PRODUCERS]
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="reporting-rebuild",
        max_partition_fetch_bytes=2 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    buffer = MergedRows()
    add, latest = buffer.add, folded.latest
    origins: dict[tuple[str, str], Origin] = {}
    await consumer.start()
    try:
        partitions = await _assign_share(consumer, topics, share)
        last_progress = time.monotonic()
        while partitions and not await _caught_up(consumer, partitions):
            batches = await consumer.getmany(timeout_ms=500, max_records=settings.rebuild_fetch_records)
            if not batches:
                if time.monotonic() - last_progress > idle_timeout:
                    raise TimeoutError("no records arrive although the highwater marks are ahead")
                continue
            last_progress = time.monotonic()
            for tp, records in batches.items():
                producer = partitions[tp]
                folded.events += len(records)
                applied = 0
                for record in records:
                    decoded = decode(record)
                    if decoded is None or (fold := FOLDS.get(type(decoded[2]))) is None:
                        folded.skipped += 1
                        continue
                    partner, time_, payload = decoded
                    key = (partner, producer)
                    # No time: the folds do not read it, and partner activity comes from `latest` at the end.
                    origin = origins.get(key) or origins.setdefault(key, Origin(partner, producer, None))  # type: ignore[arg-type]
                    for row in fold(origin, payload):
                        add(row)
                    seen = latest.get(key)
                    latest[key] = time_ if seen is None else _later(time_, seen)
                    applied += 1
                    if watch:
                        event_id = next((v for k, v in record.headers if k == "ce_id"), b"").decode()
                        if event_id in watch:
                            folded.found.add(event_id)
                folded.applied += applied
                folded.per_producer[producer] = folded.per_producer.get(producer, 0) + applied
            if len(buffer.rows) >= settings.rebuild_flush_rows:
                await emit(buffer.take())
        await emit(buffer.take())
        folded.positions = {tp: await consumer.position(tp) for tp in partitions}
    finally:
        await consumer.stop()
    return folded


# --- worker processes: each folds a share of the partitions and sends its rows to the writing parent -----------
_ROW_TYPES = list(TABLE_OF)


def _worker(
    settings: ReportingSettings, share: tuple[int, int], conn: Connection[Any, Any], watch: frozenset[str] = frozenset()
) -> None:
    """A forked reader: folds its share and sends merged rows, grouped by read model, as plain tuples."""
    gc.disable()

    async def send(rows: list[tuple]) -> None:
        by_type: dict[int, list[tuple]] = {}
        for row in rows:
            by_type.setdefault(_ROW_TYPES.index(type(row)), []).append(tuple(row))
        conn.send_bytes(pickle.dumps(("rows", by_type), protocol=pickle.HIGHEST_PROTOCOL))

    try:
        folded = asyncio.run(_fold_partitions(settings, share, send, watch=watch))
        conn.send_bytes(pickle.dumps(("done", folded), protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException as exc:
        conn.send_bytes(pickle.dumps(("failed", f"{type(exc).__name__}: {exc}")))
        raise
    finally:
        conn.close()


def start_workers(settings: ReportingSettings, count: int, watch: frozenset[str] = frozenset()) -> list:
    """Fork the reader processes (before any event loop exists): [(process, receiving end of its pipe)]."""
    context = multiprocessing.get_context("fork")
    workers = []
    for k in range(count):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker, args=(settings, (k, count), send, watch), daemon=True, name=f"reporting-rebuild-{k}"
        )
        process.start()
        send.close()
        workers.append((process, receive))
    return workers


async def _from_workers(workers: list, writer: BulkWriter) -> list[_Folded]:
    """Write the rows the workers send, as they arrive; their summaries at the end."""
    loop = asyncio.get_running_loop()
    lock = asyncio.Lock()

    async def drain(receive: Connection[Any, Any]) -> _Folded:
        while True:
            try:
                kind, body = pickle.loads(await loop.run_in_executor(None, receive.recv_bytes))  # noqa: S301 (our own worker)
            except EOFError:
                raise RuntimeError("a rebuild worker ended without finishing") from None
            if kind == "rows":
                async with lock:
                    await writer.write_grouped({_ROW_TYPES[i]: rows for i, rows in body.items()})
            elif kind == "done":
                return body
            else:
                raise RuntimeError(f"a rebuild worker failed: {body}")

    return list(await asyncio.gather(*(drain(receive) for _, receive in workers)))


async def _commit_group_offsets(settings: ReportingSettings, positions: dict[TopicPartition, int]) -> bool:
    """Commit the rebuild's end positions for the service's consumer group, so the service resumes after them.

    Brokers accept this for a group without members (the embedded one only for a group never used); when it is
    refused the service resumes from its own offsets and re-applies what follows them, which changes nothing.
    """
    if not positions:
        return True
    consumer = AIOKafkaConsumer(
        **client_options(settings.kafka),
        group_id=settings.group_id,
        enable_auto_commit=False,
        client_id="reporting-rebuild",
    )
    await consumer.start()
    try:
        consumer.assign(list(positions))
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in positions.items()})
        return True
    except KafkaError as exc:
        log.warning(
            "rebuild_offsets_not_committed",
            error=type(exc).__name__,
            note="the service resumes from its own offsets; re-applying events changes nothing",
        )
        return False
    finally:
        await consumer.stop()


async def rebuild(
    settings: ReportingSettings,
    *,
    commit_offsets: bool = True,
    workers: list | None = None,
    idle_timeout: float = 5.0,
    force: bool = False,
    live: dict[str, LiveApplied] | None = None,
) -> RebuildResult:
    """Empty the read models and fold every event of every producer topic into them again: in this process,
    or with `workers` from start_workers() reading and folding while this process writes (pass them the
    `watch` of live_applied()'s last event ids). Raises RebuildRefused, with nothing changed, when the rebuilt
    models would have less than the live ones, unless `force`."""
    result = RebuildResult()
    started = time.perf_counter()
    if settings.run_migrations_on_start:
        await upgrade_to_head_async(MIGRATIONS, settings.database_url)
    if live is None:
        live = await live_applied(settings)
    watch = frozenset(a.last_event_id for a in live.values() if a.last_event_id)
    engine = create_engine(settings.database_url)
    # Millions of short-lived objects and none in a cycle: the cyclic collector would only rescan the buffer.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        async with engine.begin() as connection, BulkWriter(connection) as writer:
            await clear_read_models(connection)
            if workers:
                shares = await _from_workers(workers, writer)
            else:
                shares = [
                    await _fold_partitions(settings, (0, 1), writer.write, idle_timeout=idle_timeout, watch=watch)
                ]
            latest: dict[tuple[str, str], bytes] = {}
            for share in shares:
                for key, time_ in share.latest.items():
                    latest[key] = time_ if key not in latest else _later(time_, latest[key])
            await writer.write(
                [
                    PartnerActivity(partner, producer, dt.datetime.fromisoformat(time_.decode()))
                    for (partner, producer), time_ in latest.items()
                ]
            )
            await writer.wait()
            result.row_writes = writer.written
            result.seconds_writing, result.seconds_waited_for_writes = writer.seconds_writing, writer.seconds_waited
            result.rows = await count_rows(connection)
            read: dict[str, int] = {}
            for share in shares:
                for producer, n in share.per_producer.items():
                    read[producer] = read.get(producer, 0) + n
            lacking = shortfall(live, read, set().union(*(share.found for share in shares)))
            if lacking and not force:
                raise RebuildRefused("\n".join(lacking))  # leaving the block rolls the transaction back
            result.forced_past = lacking
    finally:
        if gc_was_enabled:
            gc.enable()
        await engine.dispose()
        for process, _ in workers or ():
            if process.is_alive():
                process.terminate()
            process.join(timeout=10)
    positions = {tp: offset for share in shares for tp, offset in share.positions.items()}
    result.events, result.applied, result.skipped = (
        sum(s.events for s in shares),
        sum(s.applied for s in shares),
        sum(s.skipped for s in shares),
    )
    result.positions = {f"{tp.topic}[{tp.partition}]": offset for tp, offset in positions.items()}
    if commit_offsets:
        result.offsets_committed = await _commit_group_offsets(settings, positions)
    result.seconds = time.perf_counter() - started
    log.info(
        "rebuild_done",
        events=result.events,
        applied=result.applied,
        skipped=result.skipped,
        rows=result.rows,
        row_writes=result.row_writes,
        seconds=round(result.seconds, 2),
        seconds_writing=round(result.seconds_writing, 2),
        seconds_waited_for_writes=round(result.seconds_waited_for_writes, 2),
        workers=len(workers or ()) or 1,
        events_per_second=round(result.events_per_second),
    )
    return result


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m reporting.rebuild", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--force", action="store_true", help="swap in the rebuilt models even when they hold less than the live ones"
    )
    parser.add_argument(
        "--no-commit-offsets",
        action="store_true",
        help="leave the consumer group's offsets alone (the service then re-applies, harmlessly)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes that read and fold partitions while this one writes (default 1: all in one)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point shared by `python -m reporting.rebuild` and `owes reporting rebuild`; settings from REPORTING_*."""
    settings = ReportingSettings()
    count = getattr(args, "workers", 1) or 1
    force = getattr(args, "force", False)
    try:
        live = asyncio.run(live_applied(settings))
        watch = frozenset(a.last_event_id for a in live.values() if a.last_event_id)
        workers = start_workers(settings, count, watch) if count > 1 else None
        result = asyncio.run(
            rebuild(settings, commit_offsets=not args.no_commit_offsets, workers=workers, force=force, live=live)
        )
    except RebuildRefused as exc:
        print(
            "rebuild refused: the topics hold less than the live read models were built from; nothing was "
            f"changed.\n{exc}\nRun with --force to rebuild from what the topics hold anyway.",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:
        print(f"rebuild failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for line in result.forced_past:
        print(f"warning (--force): {line}", file=sys.stderr)
    print(
        f"rebuilt reporting read models from {result.events} events ({result.applied} applied, "
        f"{result.skipped} skipped) into {result.rows} rows in {result.seconds:.1f}s "
        f"({result.events_per_second:,.0f} events/s); consumer offsets "
        f"{'committed' if result.offsets_committed else 'left as they were'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run(build_parser().parse_args()))
