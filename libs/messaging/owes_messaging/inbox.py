"""Idempotent inbox: a consumer records each event id it has applied, in the same transaction as the effect."""

from __future__ import annotations

import datetime as dt
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
        """Mark events applied in the caller's transaction; a conflict (applied meanwhile) fails the transaction."""
        if events:
            now = dt.datetime.now(dt.UTC)
            await session.execute(
                self._insert,
                [
                    {"consumer": self.consumer, "event_id": e.id, "event_type": e.type, "received_at": now}
                    for e in events
                ],
            )

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
