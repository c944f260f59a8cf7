"""Idempotent inbox: a consumer records each event id it has applied, in the same transaction as the effect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts.envelope import CloudEvent


class Inbox:
    def __init__(self, *, table: sa.Table, consumer: str) -> None:
        self.table = table
        self.consumer = consumer
        # statements built once, values as parameters (building one per event cost more than running it)
        self._claims = {
            name: dialect.insert(table).on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
        }
        self._insert = sa.insert(table)
        self._plans: dict[str, tuple[str, Callable[[Any], Any] | None]] = {}
        self._applied = (
            sa.select(table.c.event_id)
            .where(table.c.consumer == sa.bindparam("consumer"))
            .where(table.c.event_id.in_(sa.bindparam("ids", expanding=True)))
        )

    async def applied_among(self, session: AsyncSession, event_ids: list[str]) -> set[str]:
        """Which of these events this consumer has already applied (one query for a whole batch)."""
        rows = await session.execute(self._applied, {"consumer": self.consumer, "ids": event_ids})
        return {row[0] for row in rows}

    async def record(self, session: AsyncSession, events: list[CloudEvent]) -> None:
        """Mark events applied in the caller's transaction; a conflict (applied meanwhile) fails the transaction.

        One executemany through the driver, with the statement compiled once: SQLAlchemy's per-row parameter
        handling cost more than the insert itself when a catch-up claims hundreds of events per batch. Called
        after applied_among in the same transaction: on asyncpg the driver's transaction begins with the
        session's first statement, and a driver call before it would commit on its own.
        """
        if not events:
            return
        connection = await session.connection()
        sql, stamp = self._bulk_plan(connection.dialect)
        now = dt.datetime.now(dt.UTC)
        at = stamp(now) if stamp else now
        raw = await connection.get_raw_connection()
        driver = cast(Any, raw.driver_connection)  # never None on a connection checked out of the pool
        await driver.executemany(sql, [(self.consumer, e.id, e.type, at) for e in events])

    def _bulk_plan(self, dialect: sa.Dialect) -> tuple[str, Callable[[Any], Any] | None]:
        """The insert as the driver's SQL (columns in a fixed order), and the dialect's conversion of the time."""
        plan = self._plans.get(dialect.name)
        if plan is None:
            columns = ("consumer", "event_id", "event_type", "received_at")
            compiled = self._insert.values({c: sa.bindparam(c) for c in columns}).compile(dialect=dialect)
            if list(cast(list[str], compiled.positiontup)) != list(columns):
                raise RuntimeError(f"unexpected parameter order {compiled.positiontup}")
            plan = self._plans[dialect.name] = (
                str(compiled),
                self.table.c.received_at.type._cached_bind_processor(dialect),
            )
        return plan

    async def claim(self, session: AsyncSession, event: CloudEvent) -> bool:
        """Mark the event as applied by this consumer; False when it already was (a duplicate delivery)."""
        stmt = self._claims["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]
        result = await session.execute(
            stmt,
            {
                "consumer": self.consumer,
                "event_id": event.id,
                "event_type": event.type,
                "received_at": dt.datetime.now(dt.UTC),
            },
        )
        return cast(CursorResult[Any], result).rowcount == 1
