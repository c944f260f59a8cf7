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


async def get_runtime(request: Request) -> ServiceRuntime:  # async: no worker-thread hop
    """The runtime of the app serving the request (the one place that reads it from the app's state)."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessionmaker() as session:
        yield session


async def get_outbox(runtime: RuntimeDep) -> OutboxWriter:  # async: no worker-thread hop per write
    return runtime.outbox


async def get_calendar(runtime: RuntimeDep) -> ProjectCalendar:
    return runtime.calendar


async def get_audit(runtime: RuntimeDep) -> AuditTrail:
    return runtime.audit


SessionDep = Annotated[AsyncSession, Depends(get_session)]
OutboxDep = Annotated[OutboxWriter, Depends(get_outbox)]
CalendarDep = Annotated[ProjectCalendar, Depends(get_calendar)]
AuditDep = Annotated[AuditTrail, Depends(get_audit)]
