"""Live consumer catch-up: how fast reporting's running service applies a backlog of events.

The live path is not the rebuild: each event is parsed, claimed in the inbox and folded into the read models
in its own transaction, and its offset committed, exactly once in effect. The bench pre-fills the producer
topics with a project's events (as after a day of downtime), starts reporting as a real uvicorn process on a
fresh database, and times how fast the inbox grows until the whole backlog is applied.

    .venv/bin/python bench/consumer.py                    # 20,000 events, SQLite
    .venv/bin/python bench/consumer.py --events 50000 --database postgres
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

import _common as c
from owes_contracts import PRODUCERS, topic_for
from owes_messaging.db import create_engine
from rebuild import fill


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
    report = c.Report("Live consumer: reporting applying a backlog", header=("figure", "value"))
    ns = c.namespace()
    with c.broker(args) as (bootstrap, broker_pid), tempfile.TemporaryDirectory() as tmp, \
            c.database(args.database, tmp, "reporting") as url:
        await c.create_topics(bootstrap, [topic_for(p, ns) for p in PRODUCERS], args.partitions)
        c.log(f"producing {args.events:,} events")
        await fill(bootstrap, ns, args.events, idempotent=c.idempotence(args))
        with c.Services(Path(tmp), bootstrap, ns, c.idempotence(args)) as services:
            services.start({"reporting": url})
            c.log("reporting started; waiting for the first applied event")
            while not (first := await applied(url)):
                await asyncio.sleep(0.05)
            meter = c.CpuMeter(reporting=services.pid("reporting"), broker=broker_pid).start()
            started, count = time.perf_counter(), first
            deadline = started + args.timeout
            while count < args.events and time.perf_counter() < deadline:
                await asyncio.sleep(0.25)
                count = await applied(url)
            seconds = time.perf_counter() - started
            meter.stop()
    done = count - first
    report.conditions |= {"backlog": f"{args.events:,} events of the project stream on 3 topics",
                          "service": f"reporting, one uvicorn process, {args.database}"}
    report.add("events applied per second (live path)", c.rate(done, seconds))
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
