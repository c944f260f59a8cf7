"""Liveness (/healthz) and readiness (/readyz: database and broker reachable)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[None]]


def health_router(
    checks: dict[str, Check],
    *,
    service: str | None = None,
    version: str | None = None,
    about: Callable[[], dict] | None = None,
) -> APIRouter:
    """/healthz and /readyz; `about` adds facts to /readyz that do not make it fail (e.g. the project definition
    this service runs and the partners whose events name another one)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers, and which release it runs")
    async def healthz() -> dict:
        return {"status": "ok", "service": service, "version": version}

    @router.get(
        "/readyz",
        summary="Readiness: the database and the broker are reachable",
        responses={503: {"description": "A dependency is unavailable"}},
        response_model=None,  # as before the return type was spelt out: no response model, no schema
    )
    async def readyz() -> dict[str, Any] | JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=3)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"unavailable: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        facts = about() if about else {}
        if ready:
            return {"status": "ready", "checks": results, **facts}
        return JSONResponse(
            {
                "type": "about:blank",
                "title": "Not ready",
                "status": 503,
                "detail": "A dependency is unavailable.",
                "checks": results,
                **facts,
            },
            status_code=503,
            media_type="application/problem+json",
        )

    return router
