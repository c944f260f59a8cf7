"""Read-model rebuild: reporting's read models rebuilt from a million events, events/s and peak memory.

The bench fills the producer topics with a project's worth of valid events (bench/_common.project_events:
cohorts of participants through recruitment, advisory, grants, cooperatives, jobs and bridge support), then
runs reporting's own rebuild command (`python -m reporting.rebuild`, what `owes reporting rebuild` runs) as a
separate process on a fresh database, and reads that process's peak resident memory (ru_maxrss, from wait4).
For the comparison it also reads the same topics with a plain aiokafka consumer (no parsing): the raw limit.

    .venv/bin/python bench/rebuild.py                              # 1,000,000 events, SQLite
    .venv/bin/python bench/rebuild.py --events 200000 --database postgres
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as c
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from owes_contracts import PRODUCERS, topic_for

TARGET_SHARE = 0.40
TARGET_MEMORY_MB = 300


async def fill(bootstrap: str, namespace: str, count: int, *, idempotent: bool) -> float:
    """Produce `count` events of the project stream; return seconds."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024, enable_idempotence=idempotent
    )
    await producer.start()
    try:
        started = time.perf_counter()
        events = c.project_events(namespace)
        sample = []
        pending: list[asyncio.Future] = []
        for i in range(count):
            r = next(events)
            if i < 500:
                sample.append(r)
            pending.append(await producer.send(r.topic, r.value, key=r.key, headers=r.headers))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
                if i % 200_000 < 20_000:
                    c.log(f"  {i:,} produced")
        await asyncio.gather(*pending)
        c.validate_sample(sample)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, topics: list[str], count: int) -> float:
    """Read `count` records of `topics` from the beginning with plain aiokafka (the rebuild's fetch sizes)."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{c.namespace()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        seen, started = 0, None
        while seen < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            if started is None and batches:
                started = time.perf_counter()
            seen += sum(len(r) for r in batches.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


def run_rebuild(env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Run the rebuild command; (wall seconds, peak RSS in MB, its output)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "reporting.rebuild"],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"rebuild failed ({process.returncode}):\n{output}")
    return seconds, usage.ru_maxrss / 1024, output


async def main(args) -> c.Report:
    report = c.Report("Read-model rebuild from the topics", header=("figure", "value", "target", "met"))
    ns = c.namespace()
    topics = [topic_for(p, ns) for p in PRODUCERS]
    with (
        c.broker(args) as (bootstrap, broker_pid),
        tempfile.TemporaryDirectory() as tmp,
        c.database(args.database, tmp, "reporting") as url,
    ):
        await c.create_topics(bootstrap, topics, args.partitions)
        c.log(f"producing {args.events:,} events")
        fill_seconds = await fill(bootstrap, ns, args.events, idempotent=c.idempotence(args))
        c.log(f"  done in {fill_seconds:.1f} s; raw consume for comparison")
        raw_seconds = await raw_consume(bootstrap, topics, args.events)
        raw_rate = args.events / raw_seconds

        c.log("rebuilding (python -m reporting.rebuild)")
        env = {
            "REPORTING_DATABASE_URL": url,
            "REPORTING_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
            "REPORTING_KAFKA__ENABLE_IDEMPOTENCE": str(c.idempotence(args)).lower(),
            "REPORTING_TOPIC_NAMESPACE": ns,
            "REPORTING_LOG_LEVEL": "WARNING",
        }
        meter = c.CpuMeter(broker=broker_pid).start()
        seconds, peak_mb, output = run_rebuild(env, Path(tmp))
        meter.stop()
        match = re.search(r"from (\d+) events \((\d+) applied, (\d+) skipped\) into (\d+) rows in ([\d.]+)s", output)
        if not match:
            raise SystemExit(f"unexpected rebuild output:\n{output}")
        events, applied, skipped, rows, own_seconds = (
            int(match[1]),
            int(match[2]),
            int(match[3]),
            int(match[4]),
            float(match[5]),
        )

    rate = events / seconds
    report.conditions |= {
        "events": f"{args.events:,} valid CloudEvents ({args.partitions} partitions per topic, 3 topics), "
        f"produced in {fill_seconds:.0f} s",
        "rebuild": f"`python -m reporting.rebuild` as its own process, {args.database}, migrations included",
    }
    report.add("raw consume of the same topics (plain aiokafka, no parsing)", f"{raw_rate:,.0f} events/s")
    report.check(
        "rebuild throughput (process start to exit)",
        rate / raw_rate,
        f"{rate:,.0f} events/s = {100 * rate / raw_rate:.0f} % of raw",
        at_least=TARGET_SHARE,
        target=f">= {TARGET_SHARE:.0%} of raw",
    )
    report.add("rebuild's own figure (from its start, migrations included)", f"{events / own_seconds:,.0f} events/s")
    report.check(
        "peak memory of the rebuild process (ru_maxrss)",
        peak_mb,
        f"{peak_mb:.0f} MB",
        below=TARGET_MEMORY_MB,
        target=f"< {TARGET_MEMORY_MB} MB",
    )
    report.check(
        "events read by the rebuild",
        events,
        f"{events:,} ({applied:,} applied, {skipped:,} skipped) into {rows:,} rows",
        at_least=args.events,
        target=f"all {args.events:,}",
    )
    report.add("CPU of the broker during the rebuild", meter.summary().removeprefix("CPU: "))
    return report


if __name__ == "__main__":
    p = c.parser(__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    c.report_main(main, p.parse_args())
