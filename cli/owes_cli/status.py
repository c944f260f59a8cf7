"""`owes status`: one table for a running system: each service's URL, health, database and broker, and its backlog.

`owes up` writes what it started (ports, broker, databases, its pid) to `<data folder>/system.json`; the API keys
are in `api-keys.json` beside it. Everything else is asked of the running parts through what they already serve:
`/healthz` and `/readyz` (health), `/metrics` (outbox rows not yet published, consumer lag), reporting's
`/freshness` (the last event seen from each partner), and the dead-letter topics on the broker (`owes dlq`).
A part that does not answer shows as such, and the exit code is 1 unless every service is ready.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

STATE_FILE = "system.json"
TIMEOUT = 3.0
# Whether the broker keeps its log, by kind: what a restart of the broker keeps.
LOG_KEPT = {"tansu": "no (in memory)", "apache-kafka": "yes (on disk)", "external": "as configured"}
LOG_NOTE = {
    "tansu": "the embedded Tansu keeps the log in memory: when it stops the topics' history is gone, and what "
    "the services published is kept only in their outbox tables",
    "apache-kafka": "Apache Kafka keeps the log on disk, in the data folder",
}
BROKER_NAMES = {"tansu": "embedded Tansu", "apache-kafka": "Apache Kafka", "external": "external Kafka"}


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def write_state(data_dir: Path, state: dict) -> None:
    """Write system.json owner-only and whole (a reader never sees half of it)."""
    path = state_path(data_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, indent=2)
    os.replace(tmp, path)


def read_state(data_dir: Path) -> dict | None:
    try:
        return json.loads(state_path(data_dir).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def running_pid(data_dir: Path) -> int | None:
    """The pid of the `owes up` that uses this data folder, if it still runs."""
    state = read_state(data_dir)
    pid = state.get("pid") if state else None
    return pid if isinstance(pid, int) and _alive(pid) else None


@dataclass
class ServiceStatus:
    name: str
    url: str
    health: str = "?"
    ready: bool = False
    database: str = "?"
    outbox_pending: int | None = None
    consumer_lag: int | None = None
    dead_letters: int | None = None
    last_events: list[str] = field(default_factory=list)


@dataclass
class SystemStatus:
    data_dir: str
    pid: int | None
    running: bool
    broker: str
    broker_kind: str
    broker_reachable: bool
    log_kept: str
    services: list[ServiceStatus]
    last_events_unknown: str | None = None  # why the last events could not be read


def _metric_values(text: str, name: str) -> list[float]:
    """Every sample of one metric family in Prometheus text output."""
    from prometheus_client.parser import text_string_to_metric_families

    return [
        s.value
        for fam in text_string_to_metric_families(text)
        if fam.name == name
        for s in fam.samples
        if s.name == name
    ]


async def _service(client: httpx.AsyncClient, name: str, info: dict) -> ServiceStatus:
    svc = ServiceStatus(name, info["url"], database=info.get("database", "?"))
    try:
        await client.get(f"{svc.url}/healthz")
    except httpx.HTTPError as exc:
        svc.health = f"down ({_reason(exc)})"
        return svc
    try:
        ready = await client.get(f"{svc.url}/readyz")
        checks = ready.json().get("checks", {})
    except (httpx.HTTPError, ValueError) as exc:
        svc.health = f"up, readiness unknown ({_reason(exc)})"
        return svc
    svc.ready = ready.status_code == 200
    svc.health = "ready" if svc.ready else "not ready: " + ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok")
    try:
        metrics = (await client.get(f"{svc.url}/metrics")).text
        backlog = _metric_values(metrics, "owes_outbox_backlog")
        svc.outbox_pending = int(sum(backlog)) if backlog else None
        svc.consumer_lag = int(sum(_metric_values(metrics, "owes_consumer_lag")))
    except (httpx.HTTPError, ValueError):
        pass
    return svc


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "nothing listens"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer"
    return type(exc).__name__


async def _freshness(client: httpx.AsyncClient, reporting_url: str, lead_key: str | None) -> dict[str, list[str]] | str:
    """Per producing service, '<partner> <age>' of the last event reporting has seen; or why that is unknown."""
    headers = {"Authorization": f"Bearer {lead_key}"} if lead_key else {}
    try:
        response = await client.get(f"{reporting_url}/freshness", headers=headers)
        response.raise_for_status()
        partners = response.json()["partners"]
    except httpx.HTTPStatusError as exc:
        return f"reporting's /freshness answered {exc.response.status_code}"
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return f"reporting's /freshness: {_reason(exc)}"
    out: dict[str, list[str]] = {}
    for p in partners:
        seconds = p.get("seconds_since_last_event")
        if seconds is None:
            continue
        out.setdefault(p["producer"], []).append(f"{p['partner']} {_age(seconds)}")
    return out


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def _reachable(bootstrap: str) -> bool:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1.0):
            return True
    except (OSError, ValueError):
        return False


async def _dead_letters(bootstrap: str, namespace: str, services: list[str]) -> dict[str, int]:
    """Records in each service's dead-letter topic (replaying copies them back; it does not remove them)."""
    from aiokafka.errors import KafkaError

    from .deadletters import read_dead_letters

    counts: dict[str, int] = {}
    for name in services:
        try:
            letters = await asyncio.wait_for(
                read_dead_letters({"bootstrap_servers": bootstrap}, f"{namespace}.{name}.dlq"), timeout=15
            )
        except (KafkaError, OSError, TimeoutError):  # broker away or refusing us: the column shows '?'
            continue
        counts[name] = len(letters)
    return counts


async def collect(data_dir: Path, state: dict) -> SystemStatus:
    broker = state["broker"]
    keys_file = data_dir / "api-keys.json"
    lead_key = json.loads(keys_file.read_text())["keys"].get("lead") if keys_file.exists() else None
    pid = state.get("pid")
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        services = await asyncio.gather(*(_service(client, n, i) for n, i in state["services"].items()))
        reporting = state["services"].get("reporting")
        fresh = await _freshness(client, reporting["url"], lead_key) if reporting else "no reporting service"
    reachable = _reachable(broker["bootstrap_servers"])
    letters = (
        await _dead_letters(broker["bootstrap_servers"], state.get("namespace", "owes"), list(state["services"]))
        if reachable
        else {}
    )
    for svc in services:
        svc.dead_letters = letters.get(svc.name)
        svc.last_events = fresh.get(svc.name, []) if isinstance(fresh, dict) else []
    kind = broker.get("kind", "external")
    return SystemStatus(
        str(data_dir),
        pid,
        isinstance(pid, int) and _alive(pid),
        broker["bootstrap_servers"],
        kind,
        reachable,
        LOG_KEPT.get(kind, "unknown"),
        list(services),
        None if isinstance(fresh, dict) else fresh,
    )


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)


def render(status: SystemStatus) -> str:
    who = f"`owes up` pid {status.pid} running" if status.running else f"`owes up` (pid {status.pid}) is not running"
    broker = f"{BROKER_NAMES.get(status.broker_kind, status.broker_kind)} {status.broker}" + (
        "" if status.broker_reachable else " (not reachable)"
    )
    header = [
        "service",
        "url",
        "health",
        "database",
        "broker",
        "log kept",
        "lag",
        "outbox",
        "dead letters",
        "last event per partner",
    ]
    rows = [
        [
            s.name,
            s.url,
            s.health,
            s.database,
            broker,
            status.log_kept,
            _n(s.consumer_lag),
            _n(s.outbox_pending),
            _n(s.dead_letters),
            "?" if status.last_events_unknown else ", ".join(s.last_events) or "-",
        ]
        for s in status.services
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"OWES Mesh in {status.data_dir} ({who})"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    if status.last_events_unknown:
        lines.append(f"last events unknown: {status.last_events_unknown}")
    if status.broker_kind in LOG_NOTE:
        lines.append(f"log kept: {LOG_NOTE[status.broker_kind]}")
    lines.append(
        "lag: records on consumed topics not yet handed to the service; outbox: events committed, not yet "
        "published; dead letters: records in <service>.dlq (`owes dlq list <service>`)"
    )
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    state = read_state(data_dir)
    if state is None:
        print(
            f"no system started with data folder {data_dir} ({STATE_FILE} is missing): start one with scripts/up",
            file=sys.stderr,
        )
        return 2
    status = asyncio.run(collect(data_dir, state))
    if args.json:
        print(json.dumps(asdict(status), indent=2))
    else:
        print(render(status))
    return 0 if all(s.ready for s in status.services) else 1


def add_status_parser(sub) -> None:
    """Add `owes status` to the command's subparsers."""
    status = sub.add_parser(
        "status",
        help="one table for the running system: health, databases, broker, lag, "
        "outbox, dead letters, last event per partner",
    )
    status.add_argument("--data-dir", default=".owes", help="the data folder of `owes up` (default .owes)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)


def describe_database(url: str) -> str:
    """A database URL as the table shows it: the SQLite file, or the server and database without a password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {parsed.database}"
    return f"PostgreSQL {parsed.host}:{parsed.port or 5432}/{parsed.database}"
