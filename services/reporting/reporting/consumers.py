"""Reporting's event handlers: each event's read-model rows (domain.fold), upserted once through the inbox.

A fetched batch is folded in memory and merged by key with the rebuild's buffer and merge rule, then upserted in
bulk (apply_batch); one event alone (the consumer isolating a failing record) goes through its own handler.
Both give the same rows: the merge rule is the one the upserts apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts import Event
from owes_contracts.envelope import CloudEvent
from owes_messaging.consumer import Handler

from .domain import FOLDS, Origin, fold
from .repository import MergedRows, write_merged, write_rows


def _live_handler(model: type[Event]) -> Handler:
    producer = model.producer

    async def apply(session: AsyncSession, event: CloudEvent, payload: Event) -> None:
        await write_rows(session, fold(Origin.of(event, producer), payload))

    apply.__name__ = f"apply_{model.name}"
    return apply


async def apply_batch(session: AsyncSession, events: Sequence[tuple[CloudEvent, Event]]) -> None:
    """Fold a batch of events into merged rows and upsert them in bulk, in the consumer's transaction."""
    rows = MergedRows()
    add = rows.add
    for event, payload in events:
        for row in fold(Origin.of(event, type(payload).producer), payload):
            add(row)
    await write_merged(session, rows)


# The consumer applies each of these once (inbox) in the same transaction as its rows.
HANDLERS = {model: _live_handler(model) for model in FOLDS}
