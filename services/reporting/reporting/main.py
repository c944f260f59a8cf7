"""Composition root of the reporting service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from owes_common.runtime import ServiceRuntime, ServiceSpec

from . import api
from .projections import HANDLERS
from .settings import ReportingSettings
from .tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: ReportingSettings | None = None) -> ServiceRuntime:
    settings = settings or ReportingSettings()
    return ServiceRuntime(ServiceSpec(
        name="reporting", title="OWES Mesh: reporting",
        description="Read models built only from partners' events: indicators against targets.",
        settings=settings, metadata=metadata, migrations_dir=MIGRATIONS, routers=[api.router],
        handlers=HANDLERS, partner=settings.partner,
    ))


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    return build_runtime(settings).create_app()
