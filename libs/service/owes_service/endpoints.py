"""HTTP endpoints that are one use case each: a route declared with the use case it serves, instead of a function
that only repeats the use case's parameters and passes them on.

The endpoint takes the use case's own parameters (path and body, named and typed as its signature names them), is
given the session and the runtime's collaborators the use case asks for (the API's SessionDep, OutboxDep and
CalendarDep, as a hand-written endpoint names them) and answers with its result, typed as the use case returns it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from .deps import CalendarDep, OutboxDep, SessionDep

# What a use case may ask for by keyword, and the dependency that gives it.
DEPENDENCIES = {"session": SessionDep, "outbox": OutboxDep, "calendar": CalendarDep}


def serve(
    route: Callable[[Callable[..., Any]], Any],
    use_case: Callable[..., Awaitable[Any]],
    *,
    answer: str = "",
) -> None:
    """Declare route (a router's decorator: jobs.post("/{job_id}/end", summary=...)) as use_case, answering with its
    result, or with {answer: its result} when answer names the field (a created record's id: {"session_id": ...}).
    The route is named as the use case unless the decorator names it (name=...)."""
    signature = inspect.signature(use_case, eval_str=True)
    parameters = [p.replace(annotation=DEPENDENCIES.get(p.name, p.annotation)) for p in signature.parameters.values()]

    async def endpoint(**arguments: Any) -> Any:
        result = await use_case(**arguments)
        return {answer: result} if answer else result

    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]  # what FastAPI reads the parameters from
        parameters=parameters, return_annotation=dict if answer else signature.return_annotation
    )
    endpoint.__name__ = endpoint.__qualname__ = use_case.__name__
    route(endpoint)
