"""Typed FastAPI dependencies that reach the service runtime: handlers and pages name what they need by type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from owes_messaging.outbox import OutboxWriter

from .audit import AuditTrail
from .project_calendar import ProjectCalendar
from .runtime import ServiceRuntime


def runtime_of(request: Request) -> ServiceRuntime:
    """The runtime of the app serving the request (the one place that reads it from the app's state)."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


# Each takes the request itself rather than the runtime as a dependency of its own: FastAPI solves a nested
# dependency per request, per use (a write names three of them).
async def get_runtime(request: Request) -> ServiceRuntime:  # async: no worker-thread hop
    return runtime_of(request)


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessionmaker() as session:
        yield session


async def get_outbox(request: Request) -> OutboxWriter:  # async: no worker-thread hop per write
    return runtime_of(request).outbox


async def get_calendar(request: Request) -> ProjectCalendar:
    return runtime_of(request).calendar


async def get_audit(request: Request) -> AuditTrail:
    return runtime_of(request).audit


SessionDep = Annotated[AsyncSession, Depends(get_session)]
OutboxDep = Annotated[OutboxWriter, Depends(get_outbox)]
CalendarDep = Annotated[ProjectCalendar, Depends(get_calendar)]
AuditDep = Annotated[AuditTrail, Depends(get_audit)]
