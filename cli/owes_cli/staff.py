"""`owes staff create`: a person's account for a service's pages, in that service's own database."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import sys
from typing import Any

from owes_service.pages.accounts import SERVICE_ROLES, InvalidAccount, check_new_account, create_account


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise InvalidAccount("the two passwords differ")
    return first


async def _create(service: str, url: str, **account: str) -> None:
    from owes_messaging.db import create_engine

    from .main import _upgrade_serialised

    # The account table comes with the service's migrations: the first account may precede the first start.
    await _upgrade_serialised(
        importlib.import_module(f"{service}.main").MIGRATIONS, url, "head", lock_name=f"{service}.migrations"
    )
    engine = create_engine(url)
    try:
        await create_account(engine, service=service, **account)
    finally:
        await engine.dispose()


def cmd_staff_create(args: argparse.Namespace) -> int:
    """Create one account; the password comes from a prompt (twice) or, piped, from the first line of stdin."""
    try:
        password = _read_password(args)
        check_new_account(service=args.service, login=args.login, role=args.role, password=password)
        settings_class = f"{args.service.capitalize()}Settings"
        url = (
            args.database_url
            or getattr(importlib.import_module(f"{args.service}.settings"), settings_class)().database_url
        )
        asyncio.run(
            _create(
                args.service,
                url,
                login=args.login,
                role=args.role,
                password=password,
                display_name=args.name or args.login,
            )
        )
    except InvalidAccount as exc:
        print(f"owes staff create: {exc}", file=sys.stderr)
        return 2
    print(f"{args.service}: account {args.login!r} ({args.role}) created; sign in at /panel/sign-in")
    return 0


def add_staff_parser(sub: Any) -> None:
    staff = sub.add_parser("staff", help="manage the accounts of people who use the services' pages")
    actions = staff.add_subparsers(dest="action", required=True)
    create = actions.add_parser(
        "create",
        help="create a staff account in one service's database",
        description="Roles: " + "; ".join(f"{s}: {', '.join(r)}" for s, r in SERVICE_ROLES.items()),
    )
    create.add_argument("--service", required=True, choices=sorted(SERVICE_ROLES))
    create.add_argument("--login", required=True, help="3-64 characters: a-z, 0-9, '.', '_', '@', '-'")
    create.add_argument("--role", required=True, help="a role of that service (see above)")
    create.add_argument("--name", help="the name shown on the pages (default: the login)")
    create.add_argument("--database-url", help="default: the service's own setting (<SERVICE>_DATABASE_URL)")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin instead of prompting",
    )
    create.set_defaults(func=cmd_staff_create)
