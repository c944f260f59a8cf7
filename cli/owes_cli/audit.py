"""Operators' commands leave the same trace as API calls: a row in the service's own `audit_log` per action."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import importlib
import os
import sys

from owes_contracts.correlation import new_id


def service_settings(service: str):
    """The service's own settings, read from its environment variables (e.g. REPORTING_DATABASE_URL)."""
    module = importlib.import_module(f"{service}.settings")
    return getattr(module, f"{service.capitalize()}Settings")()


def operator_name() -> str:
    """Who ran the command: the operating-system user (OWES_OPERATOR overrides, e.g. behind sudo)."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry (some containers)
        user = str(os.getuid())
    return os.environ.get("OWES_OPERATOR") or user


async def _record(database_url: str, rows: list[dict]) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from owes_service.audit import append_audit_rows

    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await append_audit_rows(conn, rows)
    finally:
        await engine.dispose()


async def _verify(database_url: str) -> list[str]:
    from sqlalchemy.ext.asyncio import create_async_engine

    from owes_service.audit import verify_audit_chain

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await verify_audit_chain(conn)
    finally:
        await engine.dispose()


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk the service's audit log and check every row's hash and its link to the row before."""
    url = args.database_url or service_settings(args.service).database_url
    problems = asyncio.run(_verify(url))
    audit_cli_action(
        args.service,
        "audit verify",
        [("chain intact" if not problems else f"{len(problems)} break(s)", None, 1 if problems else 0)],
        database_url=url,
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"audit log of {args.service}: " + ("chain intact" if not problems else f"{len(problems)} break(s)"))
    return 1 if problems else 0


def add_audit_parser(sub: argparse._SubParsersAction) -> None:
    """Add `owes audit verify <service>` to the command's subparsers."""
    audit = sub.add_parser("audit", help="check a service's audit log")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser("verify", help="detect a changed or deleted audit row (the hash chain)")
    verify.add_argument("service", choices=("recruitment", "advisory", "grants", "reporting"))
    verify.add_argument("--database-url", default=None, help="default: the service's <SERVICE>_DATABASE_URL")
    verify.set_defaults(func=cmd_audit_verify)


def audit_cli_action(
    service: str, action: str, outcomes: list[tuple[str, str | None, int]], database_url: str | None = None
) -> bool:
    """Record one command's outcomes (what, entity id, exit status) in the service's audit log; False if not."""
    if not outcomes:
        return True
    url = database_url or service_settings(service).database_url
    correlation = new_id()
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "at": now,
            "principal": f"cli:{operator_name()}"[:100],
            "role": "operator",
            "method": "CLI",
            "path": f"owes {action} {service}: {what}"[:2000],
            "status": status,
            "correlation_id": correlation,
            "entity_id": entity[:200] if entity else None,
        }
        for what, entity, status in outcomes
    ]
    try:
        asyncio.run(_record(url, rows))
    except Exception as exc:
        print(
            f"could not write the audit log of {service} ({exc.__class__.__name__}: {exc}); the action above "
            f"is not recorded there",
            file=sys.stderr,
        )
        return False
    return True
