"""Live consumer catch-up: how fast reporting's running service applies a backlog of events.

The live path is not the rebuild: each event is parsed, claimed in the inbox and folded into the read models,
exactly once in effect; a fetched batch is applied in one transaction (inbox claims and effects together) and
its offsets committed once. The bench pre-fills the producer topics with a project's events (as after a day of
downtime), reads them raw once (aiokafka, no parsing: the broker's consume limit in the same run), starts
reporting as a real uvicorn process on a fresh database, and times it from its start until the whole backlog is
applied (the catch-up time) and from its first applied event (the apply rate).

Targets (issue 16): at least 10,000 events/s on SQLite and on PostgreSQL, at least 10 % of the raw consume
rate, and 100,000 events caught up in under 15 s after the service starts.

    .venv/bin/python bench/consumer.py                    # 20,000 events, SQLite
    .venv/bin/python bench/consumer.py --events 100000 --database postgres
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import _common as c
import sqlalchemy as sa
from rebuild import fill

from owes_contracts import PRODUCERS, topic_for
from owes_messaging.db import create_engine

RATE_TARGET = 10_000
SHARE_TARGET = 0.10
CATCH_UP_TARGET = 15.0  # seconds, for 100,000 events


async def raw_consume(bootstrap: str, topics: list[str], total: int) -> float:
    """Seconds to read `total` records from the beginning of the topics without a group and without parsing."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=2 * 1024 * 1024,
    )
    await consumer.start()
    try:
        for topic in topics:
            consumer._client.add_topic(topic)
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        seen, started = 0, time.perf_counter()
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            if not batches and time.perf_counter() - started > 120:
                break
            seen += sum(len(records) for records in batches.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def applied(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(sa.text("SELECT count(*) FROM inbox"))
    except sa.exc.DBAPIError:  # not migrated yet
        return 0
    finally:
        await engine.dispose()


async def main(args) -> c.Report:
    report = c.Report("Live consumer: reporting applying a backlog")
    ns = c.namespace()
    with (
        c.broker(args) as (bootstrap, broker_pid),
        tempfile.TemporaryDirectory() as tmp,
        c.database(args.database, tmp, "reporting") as url,
    ):
        await c.create_topics(bootstrap, [topic_for(p, ns) for p in PRODUCERS], args.partitions)
        c.log(f"producing {args.events:,} events")
        await fill(bootstrap, ns, args.events, idempotent=c.idempotence(args))
        raw_seconds = await raw_consume(bootstrap, [topic_for(p, ns) for p in PRODUCERS], args.events)
        with c.Services(Path(tmp), bootstrap, ns, c.idempotence(args)) as services:
            launched = time.perf_counter()
            services.start({"reporting": url})
            c.log("reporting started; waiting for the first applied event")
            while not (first := await applied(url)):
                await asyncio.sleep(0.05)
            meter = c.CpuMeter(reporting=services.pid("reporting"), broker=broker_pid).start()
            started, count = time.perf_counter(), first
            deadline = started + args.timeout
            while count < args.events and time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
                count = await applied(url)
            finished = time.perf_counter()
            meter.stop()
    seconds = finished - started
    done = count - first
    live_rate = done / seconds if seconds else 0.0
    raw_rate = args.events / raw_seconds if raw_seconds else 0.0
    report.conditions |= {
        "backlog": f"{args.events:,} events of the project stream on 3 topics",
        "service": f"reporting, one uvicorn process, {args.database}",
        "catch-up": "from the process's launch (imports, migrations, group join included) until "
        "the inbox holds every event",
    }
    report.check(
        "events applied per second (live path)",
        live_rate,
        c.rate(done, seconds),
        at_least=RATE_TARGET,
        target=f">= {RATE_TARGET:,}/s",
    )
    report.add("raw consume, same broker, same run (no parsing)", c.rate(args.events, raw_seconds))
    report.check(
        "live rate as a share of raw consume",
        live_rate / raw_rate if raw_rate else 0.0,
        f"{live_rate / raw_rate:.1%}" if raw_rate else "-",
        at_least=SHARE_TARGET,
        target=f">= {SHARE_TARGET:.0%}",
    )
    catch_up = finished - launched
    target = CATCH_UP_TARGET * args.events / 100_000
    report.check(
        "catch-up time after start",
        catch_up,
        f"{catch_up:.1f} s",
        below=target,
        target=f"< {target:.1f} s ({CATCH_UP_TARGET:.0f} s per 100,000)",
    )
    report.add("reporting CPU per event", c.ms(meter.used["reporting"] / max(done, 1)))
    report.add("applied / backlog", f"{count:,} / {args.events:,}" + ("" if count >= args.events else " (timed out)"))
    report.add("CPU", meter.summary().removeprefix("CPU: "))
    return report


if __name__ == "__main__":
    p = c.parser(__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--timeout", type=float, default=120, help="give up after this many seconds")
    c.report_main(main, p.parse_args())
