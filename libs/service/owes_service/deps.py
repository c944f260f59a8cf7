"""Typed FastAPI dependencies that reach the service runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from owes_messaging.outbox import OutboxWriter
from sqlalchemy.ext.asyncio import AsyncSession


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessionmaker() as session:
        yield session


async def get_outbox(request: Request) -> OutboxWriter:  # async: no worker-thread hop per write
    return request.app.state.runtime.outbox


SessionDep = Annotated[AsyncSession, Depends(get_session)]
OutboxDep = Annotated[OutboxWriter, Depends(get_outbox)]
