"""Composition root of the grants service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from owes_service.project_calendar import Clock
from owes_service.runtime import ServiceRuntime, ServiceSpec

from . import api, pages
from .consumers import HANDLERS
from .settings import GrantsSettings
from .tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: GrantsSettings | None = None, *, clock: Clock | None = None) -> ServiceRuntime:
    settings = settings or GrantsSettings()
    return ServiceRuntime(
        ServiceSpec(
            name="grants",
            title="OWES Mesh: grants",
            description="Grant applications, awards, cooperatives, jobs and bridge support. Knows participants, "
            "initiative groups and organisations only from recruitment's events.",
            settings=settings,
            metadata=metadata,
            migrations_dir=MIGRATIONS,
            routers=api.routers,
            handlers=HANDLERS,
            partner=settings.partner,
        ),
        clock=clock,
    )


def create_app(settings: GrantsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return pages.mount(build_runtime(settings, clock=clock).create_app())
