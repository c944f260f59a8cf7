"""Load with a ledger: N concurrent writers register participants for a fixed time, then the books are
checked: reporting must count every accepted write (HTTP 201) exactly once.

Against a running system (`owes up`; keys from its data dir), or a system of its own (recruitment and
reporting as processes on an embedded broker, SQLite):

    .venv/bin/python bench/load.py --start --writers 8 --seconds 20
    .venv/bin/python bench/load.py --data-dir .owes            # against `owes up` on the default ports

Prints writes/s, latency percentiles, accepted / refused / in doubt, the reporting figure before and after,
duplicates and losses, and how long reporting took to catch up after the last write. Exits 1 if anything
was lost or counted twice.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import _common as c
import httpx

from owes_cli.embedded import EmbeddedBroker, free_port
from owes_cli.system import LocalSystem
from owes_contracts import ParticipantRecruited

PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_serial = itertools.count()


def unique_pesel() -> str:
    """A new valid PESEL per call: women born from 1950 on, 5000 per birth date."""
    n = next(_serial)
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=n // 5000)
    serial = n % 5000
    month = birth.month + (20 if birth.year >= 2000 else 0)
    body = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial % 1000:03d}{(serial // 1000) * 2}"
    check = (10 - sum(w * int(d) for w, d in zip(PESEL_WEIGHTS, body, strict=False)) % 10) % 10
    return body + str(check)


def registration() -> dict:
    return {
        "pesel": unique_pesel(),
        "first_name": "Ewa",
        "last_name": "Testowa",
        "county": "rybnicki",
        "labour_market_status": "unemployed",
        "disability": False,
        "at_risk_of_exclusion": True,
        "at_risk_categories": ["unemployed"],
        "consent": True,
    }


@dataclass
class Ledger:
    accepted: list[str] = field(default_factory=list)
    refused: int = 0  # 5xx, or the connection was refused: not written
    in_doubt: int = 0  # connection broken after sending, or timed out: may have been written
    unexpected: list[str] = field(default_factory=list)  # 4xx to a valid registration: a bug
    latencies: list[float] = field(default_factory=list)


async def writer(client: httpx.AsyncClient, ledger: Ledger, until: float) -> None:
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            response = await client.post("/participants", json=registration())
        except (httpx.ConnectError, httpx.ConnectTimeout):
            ledger.refused += 1
            await asyncio.sleep(0.05)
            continue
        except httpx.TransportError:
            ledger.in_doubt += 1
            continue
        ledger.latencies.append(time.perf_counter() - started)
        if response.status_code == 201:
            ledger.accepted.append(response.json()["participant_id"])
        elif response.status_code >= 500:
            ledger.refused += 1
        else:
            ledger.unexpected.append(f"{response.status_code} {response.text[:200]}")


async def people_supported(client: httpx.AsyncClient) -> int:
    response = await client.get("/indicators")
    response.raise_for_status()
    return int(response.json()["people_supported"])


def committed_in(recruitment_db: Path | None) -> int | None:
    """ParticipantRecruited events recruitment committed (its outbox), when its SQLite file is at hand."""
    if recruitment_db is None or not recruitment_db.exists():
        return None
    conn = sqlite3.connect(recruitment_db, timeout=30)
    try:
        return conn.execute(
            "SELECT count(*) FROM outbox WHERE event_type = ?", (ParticipantRecruited.ce_type(),)
        ).fetchone()[0]
    finally:
        conn.close()


async def run(args: argparse.Namespace) -> int:
    machine = c.machine()  # the load average as the run starts
    system: LocalSystem | None = None
    recruitment_db: Path | None = None
    scratch = args.start and not args.data_dir
    if args.start:
        data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="owes-load-"))
        system = LocalSystem(data_dir=data_dir, namespace="load")
        data_dir.mkdir(parents=True, exist_ok=True)
        system.broker = EmbeddedBroker(free_port(), log_path=data_dir / "broker.log").start()
        for name in ("recruitment", "reporting"):
            system.start_service(name, free_port())
        recruitment_url, reporting_url = system.service("recruitment").url, system.service("reporting").url
        recruitment_db = data_dir / "recruitment.db"
        print(f"started recruitment {recruitment_url} and reporting {reporting_url} (data in {data_dir})")
    else:
        system = LocalSystem(data_dir=Path(args.data_dir or ".owes").resolve())
        if not (system.data_dir / "api-keys.json").exists():
            print(
                f"no API keys in {system.data_dir}: pass the running system's --data-dir, or --start", file=sys.stderr
            )
            return 2
        recruitment_url, reporting_url = args.recruitment_url, args.reporting_url
        candidate = system.data_dir / "recruitment.db"
        recruitment_db = candidate if candidate.exists() else None
    try:
        rec_headers = system.operator_headers("recruitment")
        rep_headers = system.operator_headers("reporting")
        limits = httpx.Limits(max_connections=args.writers, max_keepalive_connections=args.writers)
        async with (
            httpx.AsyncClient(base_url=recruitment_url, headers=rec_headers, timeout=30, limits=limits) as rec,
            httpx.AsyncClient(base_url=reporting_url, headers=rep_headers, timeout=30) as rep,
        ):
            await wait_ready(rec, rep)
            before = await people_supported(rep)
            committed_before = committed_in(recruitment_db)
            ledger = Ledger()
            print(f"{args.writers} writers for {args.seconds:g} s against {recruitment_url} ...", flush=True)
            started = time.monotonic()
            await asyncio.gather(*(writer(rec, ledger, started + args.seconds) for _ in range(args.writers)))
            elapsed = time.monotonic() - started
            writes_done = time.monotonic()
            committed = committed_in(recruitment_db)
            expected = (committed - committed_before) if committed is not None else len(ledger.accepted)
            deadline = time.monotonic() + args.settle_timeout
            counted = await people_supported(rep) - before
            while counted < expected and time.monotonic() < deadline:
                await asyncio.sleep(0.25)
                counted = await people_supported(rep) - before
            caught_up = time.monotonic() - writes_done
            await asyncio.sleep(1.0)  # anything counted twice would show up late
            counted = await people_supported(rep) - before
    finally:
        if args.start and system is not None:
            await asyncio.to_thread(system.stop)
            if scratch:
                shutil.rmtree(system.data_dir, ignore_errors=True)

    duplicates = max(0, counted - expected)
    losses = max(0, expected - counted)
    lat = ledger.latencies
    print()
    print("| machine | |")
    print("| --- | --- |")
    for key, value in machine.items():
        print(f"| {key} | {value} |")
    print()
    print("| figure | value |")
    print("| --- | --- |")
    rows = [
        ("writers x seconds", f"{args.writers} x {elapsed:.1f}"),
        ("writes/s (accepted)", f"{len(ledger.accepted) / elapsed:.1f}"),
        ("latency p50 / p95 / p99 (ms)", " / ".join(f"{1000 * c.percentile(lat, p):.0f}" for p in (50, 95, 99))),
        ("accepted (201)", len(ledger.accepted)),
        ("refused (5xx, connection refused)", ledger.refused),
        ("in doubt (cut or timed out)", ledger.in_doubt),
        ("unexpected answers", len(ledger.unexpected)),
        ("committed by recruitment", expected if committed is not None else "n/a (no database at hand)"),
        ("people_supported before / after", f"{before} / {before + counted}"),
        ("counted by reporting", counted),
        ("duplicates", duplicates),
        ("losses", losses),
        ("reporting caught up after the last write (s)", f"{caught_up:.1f}"),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")
    if ledger.unexpected:
        print("unexpected answers, first ones:", *ledger.unexpected[:5], sep="\n  ", file=sys.stderr)
    ok = duplicates == 0 and losses == 0 and not ledger.unexpected and len(set(ledger.accepted)) == len(ledger.accepted)
    print("\nledger balanced: every accepted write counted exactly once" if ok else "\nLEDGER DOES NOT BALANCE")
    return 0 if ok else 1


async def wait_ready(*clients: httpx.AsyncClient, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    for client in clients:
        while True:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{client.base_url} not ready after {timeout:.0f}s")
            await asyncio.sleep(0.25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=8, help="concurrent writers (default 8)")
    parser.add_argument("--seconds", type=float, default=20, help="how long they write (default 20)")
    parser.add_argument("--start", action="store_true", help="start a system of its own (else use a running one)")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="the running system's data dir, for its API keys and databases (default .owes); "
        "with --start, where the new system keeps its data (default a temporary dir)",
    )
    parser.add_argument("--recruitment-url", default="http://127.0.0.1:8001")
    parser.add_argument("--reporting-url", default="http://127.0.0.1:8004")
    parser.add_argument("--settle-timeout", type=float, default=120, help="how long to wait for reporting")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
