"""The `owes` command: run the embedded system, and operate it."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from owes_service.catalogue import export as catalogue_export

from .audit import add_audit_parser
from .compose import add_compose_parser
from .deadletters import add_dlq_parser
from .doctor import add_doctor_parser
from .keys import add_keys_parser
from .retention import add_retention_parser
from .staff import add_staff_parser
from .status import add_status_parser
from .system import BROKER_CHOICES, DataFolderHeld, LocalSystem, SystemDown, describe_broker


def cmd_up(args: argparse.Namespace) -> int:
    system = LocalSystem(
        data_dir=Path(args.data_dir).resolve(),
        kafka_port=args.kafka_port,
        base_port=args.base_port,
        external_bootstrap=args.bootstrap_servers,
        broker_choice=args.broker,
    )
    stopping = False

    def on_signal(_sig, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        system.lock_data_folder()
    except DataFolderHeld as exc:
        print(f"owes up: {exc}", file=sys.stderr)
        return 1
    print(f"Starting OWES Mesh (data and logs in {system.data_dir}) ...", flush=True)
    if system.broker_kind == "apache-kafka" and args.broker == "auto":
        print("  broker: Apache Kafka (Java is present; --broker tansu for the embedded one)", flush=True)
    try:
        system.start()
    except Exception as exc:
        print(f"start-up failed: {exc}; see the logs in {system.data_dir}", file=sys.stderr)
        system.stop()
        return 1
    if system.broker:
        print(f"  kafka        {system.bootstrap_servers}  {describe_broker(system.broker)}")
    else:
        print(f"  kafka        {system.bootstrap_servers}  (external: its log is kept as that cluster keeps it)")
    for svc in system.services:
        print(f"  {svc.name:<12} {svc.url}  (API docs {svc.url}/docs)")
    print(f"  dashboard    {system.service('reporting').url}/dashboard")
    for line in system.credentials_help():
        print(line)
    print("Press Ctrl-C to stop.", flush=True)
    code = 0
    while not stopping:
        try:
            for line in system.supervise():
                print(f"owes up: {line}", flush=True)
        except SystemDown as exc:
            print(f"owes up: stopping everything: {exc}", file=sys.stderr, flush=True)
            code = 1
            break
        time.sleep(0.5)
    print("Stopping ...", flush=True)
    system.stop()
    print("Stopped.", flush=True)
    return code


SERVICES = ("recruitment", "advisory", "grants", "reporting")


def cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade each service's database to its newest schema, with the URL from its settings (<SVC>_DATABASE_URL)."""
    import asyncio
    import importlib

    names = args.services or list(SERVICES)
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        print(f"unknown service(s): {', '.join(unknown)}; choose from {', '.join(SERVICES)}", file=sys.stderr)
        return 2
    if args.database_url and len(names) != 1:
        print("--database-url needs exactly one service", file=sys.stderr)
        return 2
    for name in names:
        migrations_dir = importlib.import_module(f"{name}.main").MIGRATIONS
        settings = getattr(importlib.import_module(f"{name}.settings"), f"{name.capitalize()}Settings")()
        url = args.database_url or settings.database_url
        print(f"{name}: upgrading to {args.revision} ...", flush=True)
        asyncio.run(_upgrade_serialised(migrations_dir, url, args.revision, lock_name=f"{name}.migrations"))
        print(f"{name}: at {args.revision}", flush=True)
    return 0


async def _upgrade_serialised(migrations_dir: Path, url: str, revision: str, *, lock_name: str) -> None:
    """Run alembic; on PostgreSQL under an advisory lock, so replicas starting together migrate one at a time."""
    import asyncio
    import zlib

    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    from owes_messaging.migrations import upgrade_to_head

    if not url.startswith("postgresql"):
        await asyncio.to_thread(upgrade_to_head, migrations_dir, url, revision)
        return
    key = zlib.crc32(lock_name.encode())
    engine = create_async_engine(url, poolclass=sa.pool.NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.select(sa.func.pg_advisory_lock(key)))
            try:
                await asyncio.to_thread(upgrade_to_head, migrations_dir, url, revision)
            finally:
                await conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
    finally:
        await engine.dispose()


def cmd_reporting_rebuild(args: argparse.Namespace) -> int:
    """Rebuild reporting's read models from the topics (the logic lives in the reporting service)."""
    from reporting.rebuild import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="owes", description="OWES Mesh command-line tool")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the embedded broker and the four services")
    up.add_argument("--data-dir", default=".owes", help="where databases and logs go (default .owes)")
    up.add_argument("--kafka-port", type=int, default=9092)
    up.add_argument("--base-port", type=int, default=8001, help="recruitment, advisory, grants, reporting from here")
    up.add_argument("--bootstrap-servers", default=None, help="use this Kafka cluster instead of the embedded broker")
    up.add_argument(
        "--broker",
        choices=BROKER_CHOICES,
        default="auto",
        help="auto (default): Apache Kafka, its log kept under the data folder, where Java is present; "
        "else the embedded Tansu, which keeps its log in memory (the outboxes keep the history)",
    )
    up.set_defaults(func=cmd_up)
    migrate = sub.add_parser("migrate", help="upgrade services' databases to the newest schema (alembic)")
    migrate.add_argument("services", nargs="*", metavar="service", help=f"any of {', '.join(SERVICES)} (default: all)")
    migrate.add_argument("--revision", default="heads", help="alembic revision to upgrade to (default: every head)")
    migrate.add_argument("--database-url", default=None, help="instead of <SERVICE>_DATABASE_URL (one service)")
    migrate.set_defaults(func=cmd_migrate)
    add_keys_parser(sub)
    add_dlq_parser(sub)
    add_audit_parser(sub)
    add_doctor_parser(sub)
    add_staff_parser(sub)
    add_retention_parser(sub)
    add_status_parser(sub)
    add_compose_parser(sub)
    catalogue = sub.add_parser("catalogue", help="export or check the event catalogue in docs/events")
    catalogue_export.add_arguments(catalogue)
    catalogue.set_defaults(func=catalogue_export.run)
    reporting = sub.add_parser("reporting", help="operate the reporting service")
    reporting_actions = reporting.add_subparsers(dest="action", required=True)
    rebuild = reporting_actions.add_parser(
        "rebuild",
        help="drop reporting's read models and rebuild them from the beginning of the topics "
        "(database and broker from REPORTING_* settings)",
    )
    rebuild.add_argument(
        "--no-commit-offsets",
        action="store_true",
        help="leave the consumer group's offsets alone (the service then re-applies, harmlessly)",
    )
    rebuild.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes that read and fold partitions while this one writes (default 1: all in one)",
    )
    rebuild.add_argument(
        "--force",
        action="store_true",
        help="swap in the rebuilt models even when they hold less than the live ones (a truncated "
        "log); without it such a rebuild is refused and the difference printed",
    )
    rebuild.set_defaults(func=cmd_reporting_rebuild)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
