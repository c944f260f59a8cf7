"""Write path: recruitment registrations per second through the outbox, and their latency, per concurrency.

The recruitment service runs as a real uvicorn process (as `owes up` runs it) with its relay publishing to
the broker. Closed-loop clients POST /participants with distinct valid PESELs, each waiting for its
answer before sending the next (a lean keep-alive client by default; --client httpx for httpx, which costs
the shared CPU about a millisecond per request); every write is one transaction (participant + outbox row)
plus the audit entry. Afterwards the bench checks that the relay published every registration.

In the same run, the same clients drive the baseline (bench/write_baseline.py): a bare FastAPI endpoint on the
same server stack doing the same two inserts in one transaction, without validation, auth or audit. Recruitment's
writes/s as a share of the baseline's is the write path's efficiency (target, issue 16: at least 60 %).

    .venv/bin/python bench/write_path.py                         # SQLite, 1 / 16 / 64 clients
    .venv/bin/python bench/write_path.py --database sqlite postgres --seconds 20
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as c
import httpx

from owes_contracts import topic_for


class HttpxClient:
    """httpx behind the lean client's interface."""

    def __init__(self, url: str, *, max_connections: int) -> None:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self.client = httpx.AsyncClient(base_url=url, limits=limits, timeout=60)

    async def post(self, path: str, json_body, headers: dict) -> tuple[int, bytes]:
        response = await self.client.post(path, json=json_body, headers=headers)
        return response.status_code, response.content

    async def __aenter__(self) -> HttpxClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()


async def level(client, headers: dict, numbers, clients: int, seconds: float, stats: dict) -> None:
    """`clients` closed-loop clients posting registrations for `seconds`; latencies of the 201s into stats."""
    deadline = time.perf_counter() + seconds

    async def one_client():
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status, body = await client.post("/participants", c.participant_form(next(numbers)), headers)
            except (OSError, TimeoutError, httpx.HTTPError) as exc:
                stats["errors"].append(repr(exc))
                continue
            if status == 201:
                stats["latencies"].append(time.perf_counter() - started)
            else:
                stats["errors"].append(f"{status} {body[:200].decode(errors='replace')}")

    await asyncio.gather(*(one_client() for _ in range(clients)))


SHARE_TARGET = 0.60


async def run_baseline(args, kind: str, report: c.Report) -> dict[int, float]:
    """The bare endpoint's writes/s per concurrency level, on a fresh database of the same kind."""
    from owes_cli.embedded import free_port, wait_for_port

    rates: dict[int, float] = {}
    here = Path(__file__).parent
    with tempfile.TemporaryDirectory() as tmp, c.database(kind, tmp, "baseline") as url:
        port = free_port()
        env = {
            **os.environ,
            "BASELINE_DATABASE_URL": url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(here), os.environ.get("PYTHONPATH")])),
        }
        with open(Path(tmp) / "baseline.log", "wb") as log_file:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "write_baseline:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=tmp,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(port, timeout=90)
            numbers = itertools.count(5_000_000)
            async with c.HttpClient(f"http://127.0.0.1:{port}", max_connections=max(args.clients)) as client:
                await level(client, {}, numbers, 4, args.warmup, {"latencies": [], "errors": []})
                for clients in args.clients:
                    c.log(f"{kind}: baseline, {clients} concurrent clients for {args.seconds:.0f} s")
                    stats = {"latencies": [], "errors": []}
                    meter = c.CpuMeter(client=None, service=process.pid).start()
                    started = time.perf_counter()
                    await level(client, {}, numbers, clients, args.seconds, stats)
                    elapsed = time.perf_counter() - started
                    meter.stop()
                    lat = stats["latencies"]
                    rates[clients] = len(lat) / elapsed
                    report.add(
                        kind,
                        "baseline",
                        clients,
                        c.rate(len(lat), elapsed),
                        c.ms(c.percentile(lat, 50)),
                        c.ms(c.percentile(lat, 99)),
                        len(stats["errors"]),
                        c.ms(meter.used["service"] / max(1, len(lat))),
                        meter.summary().removeprefix("CPU: "),
                    )
                    if stats["errors"]:
                        c.log(f"first baseline error: {stats['errors'][0]}")
        finally:
            process.terminate()
            process.wait(timeout=30)
    return rates


async def run_database(args, bootstrap: str, broker_pid, kind: str, report: c.Report) -> None:
    baseline = await run_baseline(args, kind, report)
    ns = c.namespace()
    with (
        tempfile.TemporaryDirectory() as tmp,
        c.database(kind, tmp, "recruitment") as url,
        c.Services(Path(tmp), bootstrap, ns, c.idempotence(args)) as services,
    ):
        services.start({"recruitment": url})
        await services.wait_ready("recruitment")
        numbers = itertools.count()
        headers = services.headers("recruitment")
        written = 0
        client_class = HttpxClient if args.client == "httpx" else c.HttpClient
        async with client_class(services.url("recruitment"), max_connections=max(args.clients)) as client:
            c.log(f"{kind}: warming up")
            await level(client, headers, numbers, 4, args.warmup, {"latencies": [], "errors": []})
            written = next(numbers)
            for clients in args.clients:
                c.log(f"{kind}: {clients} concurrent clients for {args.seconds:.0f} s")
                stats = {"latencies": [], "errors": []}
                meter = c.CpuMeter(client=None, service=services.pid("recruitment"), broker=broker_pid).start()
                started = time.perf_counter()
                await level(client, headers, numbers, clients, args.seconds, stats)
                elapsed = time.perf_counter() - started
                meter.stop()
                lat = stats["latencies"]
                written += len(lat)
                per_write = meter.used["service"] / max(1, len(lat))
                share = len(lat) / elapsed / baseline[clients] if baseline.get(clients) else 0.0
                report.notes.append(
                    f"{kind}, {clients} clients: recruitment at {share:.0%} of the baseline "
                    f"(target >= {SHARE_TARGET:.0%}: {'met' if share >= SHARE_TARGET else 'NOT met'})"
                )
                report.add(
                    kind,
                    "recruitment",
                    clients,
                    f"{c.rate(len(lat), elapsed)}",
                    c.ms(c.percentile(lat, 50)),
                    c.ms(c.percentile(lat, 99)),
                    len(stats["errors"]),
                    c.ms(per_write),
                    meter.summary().removeprefix("CPU: "),
                )
                if stats["errors"]:
                    c.log(f"first error: {stats['errors'][0]}")
        # The relay must have kept up: every registration ends up on the topic.
        deadline = time.monotonic() + 60
        while (pending := await c.pending_outbox(url)) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        on_topic = await c.topic_size(bootstrap, topic_for("recruitment", ns))
        report.notes.append(
            f"{kind}: {on_topic:,} ParticipantRecruited events on the topic for {written:,} "
            f"registrations (warm-up included), {pending} left in the outbox."
        )


async def main(args) -> c.Report:
    report = c.Report(
        "Write path: POST /participants through the outbox",
        header=("database", "endpoint", "clients", "writes/s", "p50", "p99", "errors", "service CPU per write", "CPU"),
    )
    report.conditions |= {
        "service": "recruitment, one uvicorn process (uvloop, httptools), relay in-process",
        "clients": f"{args.client} HTTP client, closed loop, in one process; "
        f"{args.seconds:.0f} s per level "
        f"after {args.warmup:.0f} s warm-up",
        "write": "validate form + PESEL, insert participant + outbox row in one transaction, audit row, API key check",
    }
    with c.broker(args) as (bootstrap, broker_pid):
        for kind in args.database:
            await run_database(args, bootstrap, broker_pid, kind, report)
    report.notes.append(
        "CPU: client = the load generator (this process), service = the uvicorn process, "
        "broker = Tansu; all share the same cores."
    )
    return report


if __name__ == "__main__":
    p = c.parser(__doc__.split("\n\n")[0])
    p.add_argument("--database", nargs="+", choices=("sqlite", "postgres"), default=["sqlite"])
    p.add_argument("--clients", nargs="+", type=int, default=[1, 16, 64], help="concurrency levels")
    p.add_argument("--seconds", type=float, default=12, help="duration of each level")
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--client", choices=("lean", "httpx"), default="lean", help="the load generator's HTTP client")
    c.report_main(main, p.parse_args())
