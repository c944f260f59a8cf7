"""Idempotent inbox: a consumer records each event id it has applied, in the same transaction as the effect."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts.envelope import CloudEvent

# A batch's claims in one statement: the ids it inserts come back, the ones already there (applied before, or
# meanwhile by another consumer of the group, whose transaction it waits for) are left out. The conflict is
# decided by the primary key's index, never by a query plan (a `consumer = ? AND event_id IN (...)` lookup on a
# PostgreSQL table not yet analysed scanned every row of the consumer: 1,300 events/s, docs/performance.md).
_CLAIM_ALL = {
    "postgresql": "INSERT INTO {table} (consumer, event_id, event_type, received_at) "
    "SELECT CAST(:consumer AS VARCHAR), u.event_id, u.event_type, CAST(:received_at AS TIMESTAMPTZ) "
    "FROM unnest(CAST(:ids AS VARCHAR[]), CAST(:types AS VARCHAR[])) AS u(event_id, event_type) "
    "ON CONFLICT DO NOTHING RETURNING event_id",
    # `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join
    "sqlite": "INSERT INTO {table} (consumer, event_id, event_type, received_at) "
    "SELECT :consumer, json_extract(value, '$[0]'), json_extract(value, '$[1]'), :received_at "
    "FROM json_each(:claims) WHERE true ON CONFLICT DO NOTHING RETURNING event_id",
}


class Inbox:
    def __init__(self, *, table: sa.Table, consumer: str) -> None:
        self.table = table
        self.consumer = consumer
        self._claim_all = {name: sa.text(sql.format(table=table.name)) for name, sql in _CLAIM_ALL.items()}

    async def claim_all(self, session: AsyncSession, events: Sequence[CloudEvent]) -> set[str]:
        """Mark events applied in the caller's transaction, in one statement; the ids it claimed now (the others
        were applied before). An id twice in `events` is claimed once. The one-at-a-time path claims one event
        with it too."""
        if not events:
            return set()
        dialect = session.get_bind().dialect
        now: Any = dt.datetime.now(dt.UTC)
        if dialect.name == "postgresql":
            params: dict[str, Any] = {"ids": [e.id for e in events], "types": [e.type for e in events]}
        else:
            params = {"claims": json.dumps([(e.id, e.type) for e in events])}
            store = self.table.c.received_at.type._cached_bind_processor(dialect)  # the time as SQLAlchemy stores it
            now = store(now) if store else now
        params |= {"consumer": self.consumer, "received_at": now}
        rows = await session.execute(self._claim_all[dialect.name], params)
        return {row[0] for row in rows}
