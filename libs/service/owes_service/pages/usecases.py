"""Pages call the services' use cases exactly as the API does, with the runtime's collaborators."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import Request

# What a use case may ask for by keyword, and where the runtime keeps it (the API's SessionDep, OutboxDep, ...).
_COLLABORATORS = {"outbox": "outbox", "calendar": "calendar", "clock": "clock"}


def collaborators(function: Callable[..., Any], request: Request, given: Mapping[str, Any] = {}) -> dict[str, Any]:
    """The runtime's collaborators that function's signature names, but for those given."""
    runtime = request.app.state.runtime
    wanted = inspect.signature(function).parameters
    return {
        name: getattr(runtime, attribute)
        for name, attribute in _COLLABORATORS.items()
        if name in wanted and name not in given
    }


async def call_use_case(use_case: Callable[..., Awaitable[Any]], request: Request, **arguments: Any) -> Any:
    """Run one use case in a session of its own, handing it the collaborators its signature names."""
    arguments.update(collaborators(use_case, request, arguments))
    async with request.app.state.runtime.sessionmaker() as session:
        return await use_case(session=session, **arguments)
