"""Typed FastAPI dependencies that reach the service runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from owes_messaging.outbox import OutboxWriter

from .project_calendar import ProjectCalendar


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessionmaker() as session:
        yield session


async def get_outbox(request: Request) -> OutboxWriter:  # async: no worker-thread hop per write
    return request.app.state.runtime.outbox


async def get_calendar(request: Request) -> ProjectCalendar:
    return request.app.state.runtime.calendar


SessionDep = Annotated[AsyncSession, Depends(get_session)]
OutboxDep = Annotated[OutboxWriter, Depends(get_outbox)]
CalendarDep = Annotated[ProjectCalendar, Depends(get_calendar)]
