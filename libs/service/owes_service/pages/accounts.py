"""Staff accounts of one service: people who sign in to its pages, each with one role; passwords hashed with argon2."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncEngine

STAFF_TABLE = "staff_accounts"


class Access(StrEnum):
    READ = "read"
    WRITE = "write"


# Who works in which service's pages. The lead's coordinator signs in to reporting only: partners' services hold
# their own staff, and participants' personal data never leaves recruitment for the lead.
SERVICE_ROLES: dict[str, dict[str, Access]] = {
    "recruitment": {"recruiter": Access.WRITE, "read_only": Access.READ},
    "advisory": {"adviser": Access.WRITE, "read_only": Access.READ},
    "grants": {"grant_officer": Access.WRITE, "read_only": Access.READ},
    "reporting": {"coordinator": Access.WRITE, "read_only": Access.READ},
}
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
# Checked when the login is unknown, so a sign-in for a missing account costs as much as one for a real account.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


def staff_columns() -> list[sa.Column]:
    """The columns of `staff_accounts`, fresh for each use (a table or a migration)."""
    return [
        sa.Column("login", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    ]


staff_accounts = sa.Table(STAFF_TABLE, sa.MetaData(), *staff_columns())


def create_staff_table(op: Any) -> None:
    op.create_table(STAFF_TABLE, *staff_columns())


def drop_staff_table(op: Any) -> None:
    op.drop_table(STAFF_TABLE)


class InvalidAccount(ValueError):
    """An account that cannot be created: the message says why."""


@dataclass(frozen=True)
class StaffMember:
    """A signed-in person: login, name and role in this service."""

    login: str
    display_name: str
    role: str
    access: Access

    @property
    def may_write(self) -> bool:
        return self.access is Access.WRITE


def check_new_account(*, service: str, login: str, role: str, password: str) -> None:
    """Raise InvalidAccount when the login, role or password cannot make an account of this service."""
    roles = SERVICE_ROLES.get(service)
    if roles is None:
        raise InvalidAccount(f"unknown service {service!r}; choose from {', '.join(SERVICE_ROLES)}")
    if role not in roles:
        raise InvalidAccount(f"role {role!r} does not exist in {service}; choose from {', '.join(roles)}")
    if not LOGIN.match(login):
        raise InvalidAccount("a login is 3-64 characters: lower-case letters, digits, '.', '_', '@', '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidAccount(f"a password has at least {MIN_PASSWORD_LENGTH} characters")


async def create_account(
    engine: AsyncEngine, *, service: str, login: str, role: str, password: str, display_name: str | None = None
) -> None:
    """Store a new account with the password's argon2 hash; raise InvalidAccount when the login is taken."""
    check_new_account(service=service, login=login, role=role, password=password)
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    async with engine.begin() as conn:
        taken = await conn.scalar(sa.select(staff_accounts.c.login).where(staff_accounts.c.login == login))
        if taken:
            raise InvalidAccount(f"an account {login!r} already exists in {service}")
        await conn.execute(
            sa.insert(staff_accounts).values(
                login=login,
                display_name=display_name or login,
                role=role,
                password_hash=password_hash,
                created_at=dt.datetime.now(dt.UTC),
            )
        )


class StaffDirectory:
    """Reads and checks the accounts of one service."""

    def __init__(self, engine: AsyncEngine, *, service: str) -> None:
        self.engine = engine
        self.service = service
        self.roles = SERVICE_ROLES[service]

    def _member(self, row: Any) -> StaffMember | None:
        access = self.roles.get(row.role)
        if access is None or row.disabled_at is not None:
            return None
        return StaffMember(login=row.login, display_name=row.display_name, role=row.role, access=access)

    async def find(self, login: str) -> StaffMember | None:
        """The active account with this login (a session is honoured only while its account stays active)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(staff_accounts).where(staff_accounts.c.login == login))).first()
        return self._member(row) if row else None

    async def verify(self, login: str, password: str) -> StaffMember | None:
        """The account when the password matches, else None; equally slow for unknown logins."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(staff_accounts).where(staff_accounts.c.login == login))).first()
        try:
            await asyncio.to_thread(_hasher.verify, row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        member = self._member(row)
        if member is None:
            return None
        values: dict = {"last_sign_in_at": dt.datetime.now(dt.UTC)}
        if _hasher.check_needs_rehash(row.password_hash):  # argon2 parameters raised since the hash was made
            values["password_hash"] = await asyncio.to_thread(_hasher.hash, password)
        async with self.engine.begin() as conn:
            await conn.execute(sa.update(staff_accounts).where(staff_accounts.c.login == login).values(**values))
        return member
