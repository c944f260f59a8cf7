"""Composition root of the reporting service."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from fastapi import FastAPI

from owes_service.project_calendar import Clock
from owes_service.runtime import ServiceRuntime, ServiceSpec

from . import api, dashboard, pages
from .consumers import HANDLERS, apply_batch
from .indicators import BY_KEY
from .live import ChangeFeed, LiveReport
from .settings import ReportingSettings
from .tables import metadata
from .targets import load_targets

MIGRATIONS = Path(__file__).parent / "migrations"


class ReportingRuntime(ServiceRuntime):
    """The shared runtime plus what the dashboard needs: targets, a change feed, the cached live report."""

    def __init__(self, spec: ServiceSpec, *, clock: Clock | None = None) -> None:
        # Every applied event moves the feed on, which wakes the dashboard's viewers.
        self.feed = ChangeFeed()
        super().__init__(spec, clock=clock, outcome_observers=[self.feed.on_outcomes])
        s = cast(ReportingSettings, spec.settings)  # build_runtime hands it ReportingSettings
        self.targets = load_targets(known=set(BY_KEY), path=s.targets_file, overrides=s.targets)
        self.live = LiveReport(self, self.targets, self.feed, min_interval=s.dashboard_min_interval)


def build_runtime(settings: ReportingSettings | None = None, *, clock: Clock | None = None) -> ReportingRuntime:
    settings = settings or ReportingSettings()
    return ReportingRuntime(
        ServiceSpec(
            name="reporting",
            title="OWES Mesh: reporting",
            description="Read models built only from partners' events: indicators against targets, dashboards.",
            settings=settings,
            metadata=metadata,
            migrations_dir=MIGRATIONS,
            routers=[api.router, dashboard.router],
            handlers=HANDLERS,
            batch_handler=apply_batch,  # a fetched batch folded and upserted in bulk (docs/performance.md)
            partner=settings.partner,
        ),
        clock=clock,
    )


def create_app(settings: ReportingSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return pages.mount(build_runtime(settings, clock=clock).create_app())
