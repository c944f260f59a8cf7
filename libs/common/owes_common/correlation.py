"""The correlation id and the causing event id of the work in progress, carried in context variables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)


def new_id() -> str:
    return str(uuid.uuid4())


def current_correlation_id() -> str:
    """The correlation id in scope, or a fresh one when work starts outside any request or event."""
    return _correlation_id.get() or new_id()


def current_causation_id() -> str | None:
    return _causation_id.get()


@contextmanager
def correlation_scope(correlation_id: str, *, event_id: str | None = None) -> Iterator[None]:
    """Bind a correlation id (and the event being handled) for logs and for events written in scope."""
    token_c = _correlation_id.set(correlation_id)
    token_e = _causation_id.set(event_id)
    bound = {"correlation_id": correlation_id}
    if event_id:
        bound["event_id"] = event_id
    with structlog.contextvars.bound_contextvars(**bound):
        try:
            yield
        finally:
            _correlation_id.reset(token_c)
            _causation_id.reset(token_e)
