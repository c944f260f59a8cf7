"""Outbox relay throughput: pre-fill the outbox with pending rows, then time OutboxRelay draining them.

The rows are what OutboxWriter.add writes for real ParticipantRecruited events. The relay is the library's
own (owes_messaging.outbox.OutboxRelay) with the services' producer (owes_messaging.broker.build_producer); the
figure is rows published and marked per second, end to end (select, send, broker acknowledgement, mark).

    .venv/bin/python bench/relay.py                       # 50,000 rows, SQLite
    .venv/bin/python bench/relay.py --database postgres   # the local PostgreSQL server
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time

import _common as c
import sqlalchemy as sa

from owes_messaging.broker import build_producer
from owes_messaging.db import create_engine
from owes_messaging.messaging_tables import outbox_table
from owes_messaging.outbox import OutboxRelay
from owes_messaging.settings import KafkaSettings
from owes_service.settings import ServiceSettings

TARGET = 5_000


class TimedRelay(OutboxRelay):
    """The library's relay, also adding up the time spent sending and waiting for the broker."""

    publish_seconds = 0.0

    async def _publish(self, rows) -> None:
        started = time.perf_counter()
        await super()._publish(rows)
        self.publish_seconds += time.perf_counter() - started


async def prefill(engine, table: sa.Table, records: list[c.Record], rows: int) -> None:
    """Pending rows exactly as OutboxWriter.add writes them (one multi-row insert per chunk, to be quick)."""
    now = dt.datetime.now(dt.UTC)
    chunk = 2_000
    for start in range(0, rows, chunk):
        values = []
        for i in range(start, min(start + chunk, rows)):
            r = records[i % len(records)]
            values.append(
                {
                    "event_id": f"e{i}",
                    "event_type": "pl.owes.recruitment.ParticipantRecruited",
                    "topic": r.topic,
                    "key": r.key.decode(),
                    "headers": [[k, v.decode()] for k, v in r.headers],
                    "value": r.value.decode(),
                    "created_at": now,
                }
            )
        async with engine.begin() as conn:
            await conn.execute(sa.insert(table), values)


async def main(args) -> c.Report:
    report = c.Report("Outbox relay: rows published per second", header=("figure", "value", "target", "met"))
    with (
        c.broker(args) as (bootstrap, broker_pid),
        tempfile.TemporaryDirectory() as tmp,
        c.database(args.database, tmp, "relay") as url,
    ):
        topic = f"{c.namespace()}.recruitment.events"
        await c.create_topics(bootstrap, [topic], args.partitions)
        metadata = sa.MetaData()
        table = outbox_table(metadata)
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        records = c.recruited_records(min(args.rows, 20_000), topic)
        c.log(f"pre-filling {args.rows:,} outbox rows ({args.database})")
        await prefill(engine, table, records, args.rows)

        producer = build_producer(
            KafkaSettings(bootstrap_servers=bootstrap, enable_idempotence=c.idempotence(args)), client_id="bench-relay"
        )
        await producer.start()
        relay = TimedRelay(
            engine=engine, table=table, producer=producer, wakeup=asyncio.Event(), batch_size=args.batch_size
        )
        c.log("draining")
        meter = c.CpuMeter(relay=None, broker=broker_pid).start()
        started = time.perf_counter()
        batches = 0
        while await relay.publish_pending():  # what relay.run() does while every batch comes back full
            batches += 1
        seconds = time.perf_counter() - started
        meter.stop()
        await producer.stop()
        pending = await relay.pending_count()
        await engine.dispose()
        on_topic = await c.topic_size(bootstrap, topic)
        if on_topic != args.rows or pending:
            raise SystemExit(f"relay lost or kept rows: {on_topic:,} on the topic, {pending:,} still pending")

        report.conditions |= {
            "database": args.database,
            "rows": f"{args.rows:,} ParticipantRecruited, pending",
            "relay": f"batch_size={args.batch_size}, producer as the services build it (acks=all, linger_ms=2)",
            "topic": f"{args.partitions} partitions",
        }
        report.check(
            "relay throughput",
            args.rows / seconds,
            f"{c.rate(args.rows, seconds)} events/s",
            at_least=TARGET,
            target=f">= {TARGET:,} events/s",
        )
        report.add("drain time", f"{seconds:.2f} s for {batches:,} batches")
        report.add("of which sending and awaiting broker acks", f"{100 * relay.publish_seconds / seconds:.0f} %")
        report.add(
            "of which database (select pending, mark published)",
            f"{100 * (seconds - relay.publish_seconds) / seconds:.0f} %",
        )
        report.add("CPU", meter.summary())
        report.add("all rows on the topic, none pending", f"{on_topic:,} / {pending}")
    return report


if __name__ == "__main__":
    p = c.parser(__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=50_000, help="pending outbox rows to pre-fill")
    p.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument(
        "--batch-size",
        type=int,
        default=ServiceSettings().outbox_batch_size,
        help="rows per relay batch (the services' outbox_batch_size)",
    )
    c.report_main(main, p.parse_args())
