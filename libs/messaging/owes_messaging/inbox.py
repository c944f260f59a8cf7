"""Idempotent inbox: a consumer records each event id it has applied, in the same transaction as the effect."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from owes_contracts.envelope import CloudEvent
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


class Inbox:
    def __init__(self, *, table: sa.Table, consumer: str) -> None:
        self.table = table
        self.consumer = consumer

    async def claim(self, session: AsyncSession, event: CloudEvent) -> bool:
        """Mark the event as applied by this consumer; False when it already was (a duplicate delivery)."""
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(self.table).values(
            consumer=self.consumer, event_id=event.id, event_type=event.type, received_at=dt.datetime.now(dt.UTC),
        ).on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        result = await session.execute(stmt)
        return result.rowcount == 1
