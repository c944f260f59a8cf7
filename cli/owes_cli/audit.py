"""Operators' commands leave the same trace as API calls: a row in the service's own `audit_log` per action."""

from __future__ import annotations

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
    from owes_service.audit import audit_log
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            for row in rows:
                await conn.execute(audit_log.insert().values(**row))
    finally:
        await engine.dispose()


def audit_cli_action(service: str, action: str, outcomes: list[tuple[str, str | None, int]],
                     database_url: str | None = None) -> bool:
    """Record one command's outcomes (what, entity id, exit status) in the service's audit log; False if not."""
    if not outcomes:
        return True
    url = database_url or service_settings(service).database_url
    correlation = new_id()
    now = dt.datetime.now(dt.UTC)
    rows = [{"at": now, "principal": f"cli:{operator_name()}"[:100], "role": "operator", "method": "CLI",
             "path": f"owes {action} {service}: {what}"[:2000], "status": status, "correlation_id": correlation,
             "entity_id": entity[:200] if entity else None} for what, entity, status in outcomes]
    try:
        asyncio.run(_record(url, rows))
    except Exception as exc:
        print(f"could not write the audit log of {service} ({exc.__class__.__name__}: {exc}); the action above "
              f"is not recorded there", file=sys.stderr)
        return False
    return True
