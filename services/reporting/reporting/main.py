"""Composition root of the reporting service."""

from __future__ import annotations

from typing import cast

from owes_service.composition import CompositionRoot
from owes_service.project_calendar import Clock
from owes_service.runtime import ServiceRuntime, ServiceSpec

from . import api, dashboard
from .consumers import HANDLERS, apply_batch
from .indicators import BY_KEY
from .live import ChangeFeed, LiveReport
from .pages import pages
from .settings import ReportingSettings
from .tables import metadata
from .targets import load_targets


class ReportingRuntime(ServiceRuntime):
    """The shared runtime plus what the dashboard needs: targets, a change feed, the cached live report."""

    def __init__(self, spec: ServiceSpec, *, clock: Clock | None = None) -> None:
        # Every applied event moves the feed on, which wakes the dashboard's viewers.
        self.feed = ChangeFeed()
        super().__init__(spec, clock=clock, outcome_observers=[self.feed.on_outcomes])
        s = cast(ReportingSettings, spec.settings)  # the composition root hands it ReportingSettings
        self.targets = load_targets(known=set(BY_KEY), path=s.targets_file, overrides=s.targets)
        self.live = LiveReport(self, self.targets, self.feed, min_interval=s.dashboard_min_interval)


DESCRIPTION = "Read models built only from partners' events: indicators against targets, dashboards."
ROOT = CompositionRoot(
    __file__,
    ReportingSettings,
    DESCRIPTION,
    metadata,
    [api.router, dashboard.router],
    pages.mount,
    handlers=HANDLERS,
    batch_handler=apply_batch,  # a fetched batch folded and upserted in bulk (docs/performance.md)
    runtime=ReportingRuntime,
)
# what the command line, the servers and the tests import
MIGRATIONS, build_runtime, create_app = ROOT.migrations, ROOT.build_runtime, ROOT.create_app
