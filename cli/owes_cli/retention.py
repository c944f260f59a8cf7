"""`owes retention erase`: erase the participants whose erasure waited for the end of the retention period.

It writes to recruitment's own database (the state change and the ParticipantDataErased event in its outbox, one
transaction per participant); the running service's relay publishes the events, as for an erasure by request.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any


async def erase_due(database_url: str | None = None) -> list[str]:
    """Build recruitment's runtime (not started: no server, no relay) and erase every participant now due."""
    from recruitment.main import MIGRATIONS, build_runtime
    from recruitment.retention import erase_due as erase
    from recruitment.settings import RecruitmentSettings

    from .main import _upgrade_serialised

    overrides: dict[str, Any] = {"database_url": database_url} if database_url else {}
    settings = RecruitmentSettings(**overrides)
    await _upgrade_serialised(MIGRATIONS, settings.database_url, "head", lock_name="recruitment.migrations")
    runtime = build_runtime(settings)
    try:
        return await erase(sessionmaker=runtime.sessionmaker, outbox=runtime.outbox, calendar=runtime.calendar)
    finally:
        await runtime.engine.dispose()


def cmd_retention_erase(args: argparse.Namespace) -> int:
    erased = asyncio.run(erase_due(args.database_url))
    print(f"erased the personal data of {len(erased)} participant(s) whose retention period has ended")
    for participant_id in erased:
        print(f"  {participant_id}")
    return 0


def add_retention_parser(sub: Any) -> None:
    retention = sub.add_parser("retention", help="personal data kept for the retention period")
    actions = retention.add_subparsers(dest="action", required=True)
    erase = actions.add_parser(
        "erase",
        help="erase the participants whose erasure was restricted, once the project definition's retention period "
        "(5 years from 31 December of the final payment's year) is over (RECRUITMENT_* settings)",
    )
    erase.add_argument("--database-url", default=None, help="instead of RECRUITMENT_DATABASE_URL")
    erase.set_defaults(func=cmd_retention_erase)
