"""Reporting's event handlers: each event's read-model rows (domain.fold), upserted once through the inbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts import Event
from owes_contracts.envelope import CloudEvent
from owes_messaging.consumer import Handler

from .domain import FOLDS, Origin, fold
from .repository import write_rows


def _live_handler(model: type[Event]) -> Handler:
    producer = model.producer

    async def apply(session: AsyncSession, event: CloudEvent, payload: Event) -> None:
        await write_rows(session, fold(Origin.of(event, producer), payload))

    apply.__name__ = f"apply_{model.name}"
    return apply


# The consumer applies each of these once (inbox) in the same transaction as its rows.
HANDLERS = {model: _live_handler(model) for model in FOLDS}
