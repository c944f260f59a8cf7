"""Live consumer catch-up: how fast reporting's running service applies a backlog of events.

The live path is not the rebuild: each event is parsed, claimed in the inbox and folded into the read models,
exactly once in effect; a fetched batch is applied in one transaction (inbox claims and effects together) and
its offsets committed once. The bench pre-fills the producer topics with a project's events (as after a day of
downtime), reads them raw once (aiokafka, no parsing: the broker's consume limit in the same run), starts
reporting as a real uvicorn process on a fresh database, and times it from its start until the whole backlog is
applied (the catch-up time) and from its first applied event (the apply rate).

Targets (issue 16): at least 10,000 events/s on SQLite and on PostgreSQL, at least 10 % of the raw consume
rate, and 100,000 events caught up in under 15 s after the service starts.

    .venv/bin/python bench/consumer.py                    # 20,000 events, SQLite, Tansu
    .venv/bin/python bench/consumer.py --events 100000 --database both --broker kafka

PostgreSQL: the server OWES_BENCH_POSTGRES_URL names, or a throwaway one from the installed binaries.
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
from owes_messaging.db import READ_ONLY, create_engine

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


class Applied:
    """Counts reporting's inbox rows through one engine, reading a snapshot: on SQLite a plain transaction would
    take the write lock every poll and make reporting wait (and a new engine per poll cost the shared CPU)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    async def __call__(self) -> int:
        try:
            async with self.engine.connect() as conn:
                await conn.execution_options(**{READ_ONLY: True})
                return await conn.scalar(sa.text("SELECT count(*) FROM inbox"))
        except sa.exc.DBAPIError:  # not migrated yet
            return 0

    async def close(self) -> None:
        await self.engine.dispose()


async def catch_up(args, bootstrap: str, broker_pid: int | None, database: str, tmp: str) -> dict[str, float]:
    """One database: reporting runs once (migrations, group joined), stops; the backlog accumulates; the raw consume
    limit is read in the same run; reporting starts again and is timed until it has applied the whole backlog."""
    ns = c.namespace()
    group = f"{ns}.reporting"
    with c.database(database, tmp, f"reporting_{database}") as url:
        await c.create_topics(bootstrap, [topic_for(p, ns) for p in PRODUCERS], args.partitions)
        with c.Services(Path(tmp), bootstrap, ns, c.idempotence(args)) as services:
            services.start({"reporting": url}, REPORTING_CONSUMER_GROUP=group)
            await services.wait_ready("reporting", timeout=120)
        c.log(f"{database}: reporting stopped; producing {args.events:,} events")
        await fill(bootstrap, ns, args.events, idempotent=c.idempotence(args))
        raw_seconds = await raw_consume(bootstrap, [topic_for(p, ns) for p in PRODUCERS], args.events)
        with c.Services(Path(tmp), bootstrap, ns, c.idempotence(args)) as services:
            launched = time.perf_counter()
            services.start({"reporting": url}, REPORTING_CONSUMER_GROUP=group)
            meter = c.CpuMeter(reporting=services.pid("reporting"), broker=broker_pid).start()
            c.log(f"{database}: reporting started again; waiting for the first applied event")
            applied = Applied(url)
            while not (first := await applied()) and time.perf_counter() - launched < args.timeout:
                await asyncio.sleep(0.05)
            started, count = time.perf_counter(), first
            cpu_at_first = c.cpu_seconds(services.pid("reporting"))
            deadline = launched + args.timeout
            while count < args.events and time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
                count = await applied()
            finished = time.perf_counter()
            await applied.close()
            cpu_applying = c.cpu_seconds(services.pid("reporting")) - cpu_at_first
            meter.stop()
    return {
        "raw_seconds": raw_seconds,
        "launched": launched,
        "started": started,
        "finished": finished,
        "first": first,
        "count": count,
        "cpu_applying": cpu_applying,
        "reporting_share": meter.used["reporting"] / meter.elapsed if meter.elapsed else 0.0,
        "broker_share": meter.used["broker"] / meter.elapsed if meter.elapsed else 0.0,
    }


async def main(args) -> c.Report:
    report = c.Report("Live consumer: reporting catching up on a backlog")
    databases = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    with c.broker(args) as (bootstrap, broker_pid), tempfile.TemporaryDirectory() as tmp:
        runs = {db: await catch_up(args, bootstrap, broker_pid, db, tmp) for db in databases}
    report.conditions |= {
        "backlog": f"{args.events:,} events of the project stream on 3 topics, {args.partitions} partitions each, "
        "accumulated while reporting was stopped",
        "service": "reporting, one uvicorn process, " + " then ".join(databases),
        "catch-up": "from the process's launch (imports, migrations, group join included) until the inbox holds "
        "every event",
        "raw consume": "the same topics read from the beginning by plain aiokafka, no parsing, in the same run "
        "just before reporting starts again",
    }
    for db, r in runs.items():
        seconds = r["finished"] - r["started"]
        done = r["count"] - r["first"]
        live_rate = done / seconds if seconds else 0.0
        raw_rate = args.events / r["raw_seconds"] if r["raw_seconds"] else 0.0
        report.add(f"**{db}**")
        report.add(f"raw consume, same broker, same run ({db} run)", f"{c.rate(args.events, r['raw_seconds'])}/s")
        report.check(
            f"events applied per second ({db})",
            live_rate,
            f"{c.rate(done, seconds)}/s",
            at_least=RATE_TARGET,
            target=f">= {RATE_TARGET:,}/s",
        )
        report.check(
            f"live rate as a share of raw consume ({db})",
            live_rate / raw_rate if raw_rate else 0.0,
            f"{live_rate / raw_rate:.1%}" if raw_rate else "-",
            at_least=SHARE_TARGET,
            target=f">= {SHARE_TARGET:.0%}",
        )
        catch_up_seconds = r["finished"] - r["launched"]
        target = CATCH_UP_TARGET * args.events / 100_000
        report.check(
            f"catch-up time after the restart ({db})",
            catch_up_seconds,
            f"{catch_up_seconds:.1f} s (first event applied after {r['started'] - r['launched']:.1f} s)",
            below=target,
            target=f"< {target:.1f} s ({CATCH_UP_TARGET:.0f} s per 100,000)",
        )
        per_event = r["cpu_applying"] / max(done, 1)
        report.add(
            f"reporting CPU per event applied ({db})",
            f"{per_event * 1e6:.0f} µs = {1 / per_event if per_event else 0:,.0f} events/s per core",
        )
        report.add(
            f"applied / backlog ({db})",
            f"{r['count']:,.0f} / {args.events:,}" + ("" if r["count"] >= args.events else " (timed out)"),
        )
        report.add(
            f"CPU ({db})",
            f"reporting {r['reporting_share']:.0%}, broker {r['broker_share']:.0%} of a core (from the restart)",
        )
    report.notes.append(
        "The rate is wall-clock and needs reporting to get a core: on a shared machine read the CPU per event "
        "(events/s per core) beside it."
    )
    return report


if __name__ == "__main__":
    p = c.parser(__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    p.add_argument("--timeout", type=float, default=120, help="give up after this many seconds")
    c.report_main(main, p.parse_args())
