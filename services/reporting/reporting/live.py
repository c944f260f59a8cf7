"""Live state of the reporting service: a change feed fed by the consumer, and the report cached per change."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Protocol, cast

from fastapi import Depends

from owes_contracts.envelope import CloudEvent
from owes_messaging.consumer import Outcome
from owes_service.deps import RuntimeDep

from .freshness import PartnerFreshness, TopicLag, consumer_lag, partner_freshness
from .service import Report, compute_report
from .targets import Targets

if TYPE_CHECKING:
    from owes_service.runtime import ServiceRuntime


class ChangeFeed:
    """A version number that moves on every applied event, and a way to wait for the next move."""

    def __init__(self) -> None:
        self.version = 0
        self._changed = asyncio.Event()

    def notify(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def on_outcomes(self, observed: Sequence[tuple[CloudEvent | None, Outcome]]) -> None:
        """EventConsumer callback, after the events' transaction committed: one move for a batch that applied any."""
        if any(outcome == Outcome.APPLIED for _event, outcome in observed):
            self.notify()

    async def wait(self, since: int, timeout: float) -> bool:
        """True when the version moved past `since` within the timeout."""
        if self.version != since:
            return True
        try:
            await asyncio.wait_for(self._changed.wait(), timeout=timeout)
        except TimeoutError:
            return False
        return True


class LiveReport:
    """The report computed at most once per change (and per `min_interval`), shared by every viewer."""

    def __init__(self, runtime: ServiceRuntime, targets: Targets, feed: ChangeFeed, *, min_interval: float) -> None:
        self.runtime = runtime
        self.targets = targets
        self.feed = feed
        self.min_interval = min_interval
        self._report: Report | None = None
        self._version = -1
        self._computed_at = 0.0
        self._lock = asyncio.Lock()

    async def report(self) -> tuple[Report, int]:
        async with self._lock:
            version = self.feed.version
            if self._report is None or version != self._version:
                wait = self.min_interval - (time.monotonic() - self._computed_at)
                if self._report is not None and wait > 0:
                    await asyncio.sleep(wait)  # coalesce a burst of events into one computation
                    version = self.feed.version
                async with self.runtime.engine.connect() as connection:
                    self._report = await compute_report(connection, self.targets, calendar=self.runtime.calendar)
                self._version, self._computed_at = version, time.monotonic()
            return self._report, self._version

    async def freshness(self) -> tuple[list[PartnerFreshness], dict[str, TopicLag], dt.datetime]:
        lags = await consumer_lag(self.runtime, self.runtime.settings.topic_namespace)
        async with self.runtime.engine.connect() as connection:
            lines = await partner_freshness(
                connection, lags, self.runtime.consumer.last_event_at, self.runtime.consumer.partner_releases
            )
        return lines, lags, self.runtime.calendar.now()


class _WithLiveReport(Protocol):
    live: LiveReport


async def get_live_report(runtime: RuntimeDep) -> LiveReport:
    """The reporting runtime's live report (main.py's ReportingRuntime builds it)."""
    return cast(_WithLiveReport, runtime).live


LiveDep = Annotated[LiveReport, Depends(get_live_report)]
