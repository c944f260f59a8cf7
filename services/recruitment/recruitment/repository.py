"""All recruitment queries."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .tables import participants


async def pesel_taken(session: AsyncSession, *, pesel: str) -> bool:
    return await session.scalar(sa.select(sa.literal(True)).where(participants.c.pesel == pesel)) is not None


async def add_participant(session: AsyncSession, **values) -> None:
    await session.execute(sa.insert(participants).values(**values))


async def get_participant(session: AsyncSession, *, participant_id: str):
    return (await session.execute(sa.select(participants).where(participants.c.participant_id == participant_id))).first()
