"""The correlation id and the causing event id of the work in progress, carried in context variables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)


def new_id() -> str:
    return str(uuid.uuid4())


def current_correlation_id() -> str:
    """The correlation id in scope, or a fresh one when work starts outside any request or event."""
    return _correlation_id.get() or new_id()


def current_causation_id() -> str | None:
    return _causation_id.get()


def scope_ids() -> dict[str, str]:
    """The correlation id and causing event id bound in scope (for log lines); empty outside any scope."""
    ids = {}
    correlation_id, event_id = _correlation_id.get(), _causation_id.get()
    if correlation_id:
        ids["correlation_id"] = correlation_id
    if event_id:
        ids["event_id"] = event_id
    return ids


@contextmanager
def correlation_scope(correlation_id: str, *, event_id: str | None = None) -> Iterator[None]:
    """Bind a correlation id (and the event being handled) for events written and lines logged in scope."""
    token_c = _correlation_id.set(correlation_id)
    token_e = _causation_id.set(event_id)
    try:
        yield
    finally:
        _correlation_id.reset(token_c)
        _causation_id.reset(token_e)
