"""Composition root of the advisory service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from owes_service.project_calendar import Clock
from owes_service.runtime import ServiceRuntime, ServiceSpec

from . import api, pages
from .consumers import HANDLERS
from .settings import AdvisorySettings
from .tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: AdvisorySettings | None = None, *, clock: Clock | None = None) -> ServiceRuntime:
    settings = settings or AdvisorySettings()
    return ServiceRuntime(
        ServiceSpec(
            name="advisory",
            title="OWES Mesh: advisory",
            description="Advisory sessions, trainings and mentoring, for participants and organisations it has learnt "
            "of from recruitment's events.",
            settings=settings,
            metadata=metadata,
            migrations_dir=MIGRATIONS,
            routers=api.routers,
            handlers=HANDLERS,
            partner=settings.partner,
        ),
        clock=clock,
    )


def create_app(settings: AdvisorySettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return pages.mount(build_runtime(settings, clock=clock).create_app())
