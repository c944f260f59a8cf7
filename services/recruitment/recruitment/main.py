"""Composition root of the recruitment service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from owes_service.project_calendar import Clock
from owes_service.runtime import ServiceRuntime, ServiceSpec

from . import api, pages
from .settings import RecruitmentSettings
from .tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: RecruitmentSettings | None = None, *, clock: Clock | None = None) -> ServiceRuntime:
    settings = settings or RecruitmentSettings()
    return ServiceRuntime(
        ServiceSpec(
            name="recruitment",
            title="OWES Mesh: recruitment",
            description="Participants, organisations and initiative groups. Owns personal data; publishes facts only.",
            settings=settings,
            metadata=metadata,
            migrations_dir=MIGRATIONS,
            routers=api.routers,
            partner=settings.partner,
        ),
        clock=clock,
    )


def create_app(settings: RecruitmentSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return pages.mount(build_runtime(settings, clock=clock).create_app())
