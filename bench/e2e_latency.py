"""End-to-end latency: from an HTTP write in recruitment to reporting's read model holding it.

Recruitment and reporting run as real uvicorn processes on the embedded broker (or Apache Kafka: --broker),
each on its own SQLite database (the `owes up` default). An open-loop generator POSTs /participants at a steady
rate (each request leaves on its schedule whether or not earlier ones have answered, so a slow system cannot slow
the load down and hide its own latency). The client notes the wall-clock time each request was sent.

Observation: reporting applies an event and records it in its inbox in one transaction, so the inbox row
becomes visible exactly when the read model holds the participant. An observer thread polls reporting's
database (read-only, WAL lets it read beside the writer) every --poll-ms and notes when each event id
first appears; recruitment's outbox maps event ids to participant ids afterwards. Latency = first seen -
sent; it over-states the truth by at most one poll interval. Intermediate checkpoints come from the
services' own timestamps (outbox row written, relay marked it published, reporting claimed it).

    .venv/bin/python bench/e2e_latency.py                    # 200 writes/s for 30 s
    .venv/bin/python bench/e2e_latency.py --rate 100 --seconds 60
    .venv/bin/python bench/e2e_latency.py --broker both --seconds 10   # Tansu, then Apache Kafka, side by side
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import _common as c

TARGET_P99 = 0.250


class InboxObserver(threading.Thread):
    """Polls reporting's inbox and records when each event id first became visible (wall clock)."""

    def __init__(self, path: Path, interval: float) -> None:
        super().__init__(daemon=True, name="inbox-observer")
        self.path = path
        self.interval = interval
        self.seen: dict[str, float] = {}
        self.polls = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.path.exists() and not self.stop_event.is_set():
            time.sleep(0.05)
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None, timeout=5)
        last = 0
        try:
            while not self.stop_event.is_set():
                try:
                    rows = conn.execute(
                        "SELECT rowid, event_id FROM inbox WHERE rowid > ? ORDER BY rowid", (last,)
                    ).fetchall()
                except sqlite3.OperationalError:  # table not migrated yet, or a checkpoint in the way
                    rows = []
                now = time.time()
                for rowid, event_id in rows:
                    self.seen.setdefault(event_id, now)
                    last = rowid
                self.polls += 1
                self.stop_event.wait(self.interval)
        finally:
            conn.close()


def epoch(value) -> float | None:
    """A timestamp the services wrote (SQLite hands back naive UTC datetimes or ISO strings) as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


async def generate(
    client: c.HttpClient,
    headers: dict,
    numbers,
    rate: float,
    seconds: float,
    sent: dict[str, float],
    lags: list[float],
    answered: list[float],
    errors: list[str],
) -> float:
    """Open loop: request i leaves at start + i / rate; returns the achieved send duration."""
    tasks: set[asyncio.Task] = set()

    async def one(n: int) -> None:
        t_sent = time.time()
        try:
            status, body = await client.post("/participants", c.participant_form(n), headers)
        except (OSError, TimeoutError) as exc:
            errors.append(repr(exc))
            return
        if status == 201:
            sent[json.loads(body)["participant_id"]] = t_sent
            answered.append(time.time() - t_sent)
        else:
            errors.append(f"{status} {body[:200].decode(errors='replace')}")

    start = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, time.perf_counter() - due))
        task = asyncio.create_task(one(next(numbers)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    duration = time.perf_counter() - start
    await asyncio.gather(*tasks)
    return duration


async def main(args) -> c.Report:
    report = c.Report(
        "End-to-end latency: HTTP write in recruitment -> reporting read model",
        header=("figure", "p50", "p99", "max", "target", "met"),
    )
    with c.broker(args) as (bootstrap, broker_pid), tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        services = c.Services(tmp, bootstrap, c.namespace(), c.idempotence(args))
        with services:
            urls = {
                "recruitment": f"sqlite+aiosqlite:///{tmp}/recruitment.db",
                "reporting": f"sqlite+aiosqlite:///{tmp}/reporting.db",
            }
            services.start(urls, **{f"{s.upper()}_OUTBOX_POLL_INTERVAL": str(args.relay_poll) for s in urls})
            await services.wait_ready("recruitment")
            await services.wait_ready("reporting")
            observer = InboxObserver(tmp / "reporting.db", args.poll_ms / 1000)
            observer.start()
            headers = services.headers("recruitment")
            sent: dict[str, float] = {}
            lags: list[float] = []
            errors: list[str] = []
            answered: list[float] = []
            numbers = itertools.count()
            async with c.HttpClient(services.url("recruitment"), max_connections=256) as client:
                c.log(f"warming up for {args.warmup:.0f} s")
                await generate(client, headers, numbers, args.rate, args.warmup, {}, [], [], errors)
                await asyncio.sleep(1)
                c.log(f"{args.rate:.0f} writes/s for {args.seconds:.0f} s")
                meter = c.CpuMeter(
                    client=None,
                    recruitment=services.pid("recruitment"),
                    reporting=services.pid("reporting"),
                    broker=broker_pid,
                ).start()
                duration = await generate(
                    client, headers, numbers, args.rate, args.seconds, sent, lags, answered, errors
                )
                meter.stop()
            # Map event ids to participants through recruitment's outbox, and collect the services' timestamps.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                outbox = dict_rows(tmp / "recruitment.db", "SELECT event_id, key, created_at, published_at FROM outbox")
                wanted = [r for r in outbox if r[1] in sent]
                if all(r[0] in observer.seen for r in wanted):
                    break
                await asyncio.sleep(0.2)
            observer.stop_event.set()
            observer.join()
            claimed = {
                r[0]: epoch(r[1]) for r in dict_rows(tmp / "reporting.db", "SELECT event_id, received_at FROM inbox")
            }

    checkpoints: dict[str, list[float]] = {
        "outbox row written (commit follows)": [],
        "relay marked published (after broker ack)": [],
        "reporting claimed it (inbox insert, before commit)": [],
        "read model holds it (observed)": [],
    }
    missing = 0
    for event_id, participant, created, published in wanted:
        t_sent = sent[participant]
        seen = observer.seen.get(event_id)
        if seen is None:
            missing += 1
            continue
        for name, value in zip(
            checkpoints, (epoch(created), epoch(published), claimed.get(event_id), seen), strict=False
        ):
            if value is not None:
                checkpoints[name].append(value - t_sent)
    e2e = checkpoints["read model holds it (observed)"]
    report.conditions |= {
        "load": f"{args.rate:.0f} writes/s open loop for {args.seconds:.0f} s (achieved "
        f"{len(sent) / duration:.0f}/s), after {args.warmup:.0f} s warm-up",
        "services": "recruitment and reporting, one uvicorn process each, SQLite, relay poll interval "
        f"{args.relay_poll}s (woken on commit)",
        "observation": f"reporting inbox polled every {args.poll_ms:.0f} ms ({observer.polls:,} polls)",
    }
    for name, values in checkpoints.items():
        last = name.startswith("read model")
        row = (
            name,
            c.ms(c.percentile(values, 50)),
            c.ms(c.percentile(values, 99)),
            c.ms(max(values, default=float("nan"))),
        )
        if last:
            p99 = c.percentile(values, 99)
            report.add(*row, f"p99 < {TARGET_P99 * 1000:.0f} ms", "yes" if p99 < TARGET_P99 else "**NO**")
        else:
            report.add(*row)
    report.add(
        "HTTP 201 answered (client side)",
        c.ms(c.percentile(answered, 50)),
        c.ms(c.percentile(answered, 99)),
        c.ms(max(answered, default=0)),
    )
    report.add(
        "generator lateness (sent - scheduled)",
        c.ms(c.percentile(lags, 50)),
        c.ms(c.percentile(lags, 99)),
        c.ms(max(lags, default=0)),
    )
    report.notes += [
        f"{len(e2e):,} writes measured, {missing} never reached the read model within 30 s after the run, "
        f"{len(errors)} HTTP errors" + (f" (first: {errors[0]})" if errors else "") + ".",
        f"{meter.summary()} (client = this load generator and observer).",
        "Checkpoints are cumulative from the moment the request was sent; the relay marks a row after the "
        "broker acknowledged it, so reporting may claim an event before its row is marked.",
    ]
    return report


def dict_rows(path: Path, query: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


if __name__ == "__main__":
    p = c.parser(__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=float, default=200, help="writes per second")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--poll-ms", type=float, default=5, help="observer's polling interval of reporting's inbox")
    p.add_argument(
        "--relay-poll",
        type=float,
        default=0.5,
        help="services' outbox_poll_interval (the relay is woken on commit; this is its fallback)",
    )
    c.report_main(main, p.parse_args())
