"""Reporting HTTP endpoints: indicator figures as JSON."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter

from owes_common.deps import SessionDep

from .tables import participants

router = APIRouter(prefix="/indicators", tags=["indicators"])


@router.get("", summary="Indicator figures")
async def indicators(session: SessionDep) -> dict:
    people = await session.scalar(sa.select(sa.func.count()).select_from(participants))
    return {"people_supported": people}
