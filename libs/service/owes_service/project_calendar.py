"""The project's calendar: what day, month and payment-claim period it is in the project's time zone.

A project in Poland keeps Polish days: a participant registered at 00:30 on 1 January in Rybnik joins in
January, in the first quarter, in the new year, whatever zone the server's clock runs in (containers run in UTC).
So every "today" is the date of the current instant in the project's zone (Europe/Warsaw by default), never
`date.today()` (the host's zone) nor a UTC timestamp's date. Instants themselves stay in UTC where they are
stored; `local` turns one into the project's wall-clock time for the people who read it.

The clock is passed in (the composition root builds a `SystemClock`; tests pin a `FixedClock`), so the one place
that reads the host's time is `SystemClock.now`.
"""

from __future__ import annotations

import calendar as _gregorian
import datetime as dt
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from .project import ProjectDefinition
from .time_zones import PROJECT_TIME_ZONE, DateOutOfRange, time_zone
from .wording import because, refusal

# What other modules import from here (the calendar is where services look for dates).
__all__ = [
    "PROJECT_TIME_ZONE",
    "Clock",
    "DateOutOfRange",
    "FixedClock",
    "ProjectCalendar",
    "ReportingPeriod",
    "SystemClock",
    "add_months",
    "month_of",
    "period_of",
    "period_of_month",
    "time_zone",
]


class Clock(Protocol):
    """Where the current instant comes from."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The host's clock, read as an instant (its time zone setting plays no part)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that says what it is told: tests pin it at the instants that matter (midnight, clock changes)."""

    def __init__(self, instant: dt.datetime) -> None:
        self.set(instant)

    def set(self, instant: dt.datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("a fixed clock needs an aware instant, e.g. 2025-12-31T23:30:00+00:00")
        self.instant = instant.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self.instant


@dataclass(frozen=True)
class ProjectCalendar:
    """Today, and instants on the wall clock, in the project's time zone."""

    zone: ZoneInfo
    clock: Clock
    # The project whose period and programme bound the dates facts are recorded for (none: only "not in future").
    project: ProjectDefinition | None = None

    @classmethod
    def of(
        cls, zone_name: str = PROJECT_TIME_ZONE, clock: Clock | None = None, project: ProjectDefinition | None = None
    ) -> ProjectCalendar:
        return cls(time_zone(zone_name), clock or SystemClock(), project)

    @classmethod
    def for_project(cls, project: ProjectDefinition, clock: Clock | None = None) -> ProjectCalendar:
        return cls.of(project.time_zone, clock, project)

    def now(self) -> dt.datetime:
        """The current instant in UTC, as it is stored."""
        return self.clock.now().astimezone(dt.UTC)

    def today(self) -> dt.date:
        """The project's date now: the date on a wall clock in the project's zone."""
        return self.local(self.clock.now()).date()

    def fact_date(self, day: dt.date | None, *, field: str) -> dt.date:
        """The date a request gives for a fact, or today: never in the future, never before the programme, never
        outside the project period (DateOutOfRange, naming the field)."""
        today = self.today()
        day = day or today
        try:
            if self.project is not None:
                return self.project.check_fact_date(day, today=today, what=field)
            if day > today:
                raise DateOutOfRange(
                    refusal(
                        "%(what)s (%(day)s) is in the future (today is %(today)s)", what=field, day=day, today=today
                    )
                )
        except DateOutOfRange as exc:  # a 422 problem naming the field, as the API and the pages show it
            raise DateOutOfRange(because(exc), field=field) from None
        return day

    def local(self, instant: dt.datetime) -> dt.datetime:
        """An instant on the project's wall clock (a naive instant is read as UTC, as the databases return it)."""
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.UTC)
        return instant.astimezone(self.zone)

    def local_text(self, instant: dt.datetime, *, seconds: bool = False) -> str:
        """'2026-01-01 00:30 CET': how a person reads an instant, with the zone's abbreviation."""
        return self.local(instant).strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def month_of(day: dt.date) -> str:
    """'YYYY-MM': the month bucket of a project date."""
    return f"{day.year:04d}-{day.month:02d}"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the last day of the month when that day does not exist (29 Feb -> 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, _gregorian.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ReportingPeriod:
    """One payment-claim period: whole calendar months, first and last day included."""

    label: str
    first_day: dt.date
    last_day: dt.date

    def months(self) -> list[str]:
        out, day = [], self.first_day
        while day <= self.last_day:
            out.append(month_of(day))
            day = add_months(day.replace(day=1), 1)
        return out

    def __contains__(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day


def period_of(day: dt.date, *, months: int = 3) -> ReportingPeriod:
    """The period of `months` calendar months (a divisor of 12, counted from January) holding a date.

    Quarters ('2026-Q1') by default, halves ('2026-H1') or single months ('2026-01') otherwise.
    """
    if months not in (1, 2, 3, 4, 6, 12):
        raise ValueError(f"a reporting period is 1, 2, 3, 4, 6 or 12 months, not {months}")
    index = (day.month - 1) // months
    first = dt.date(day.year, index * months + 1, 1)
    last = add_months(first, months) - dt.timedelta(days=1)
    label = {1: month_of(first), 3: f"{day.year}-Q{index + 1}", 6: f"{day.year}-H{index + 1}", 12: f"{day.year}"}.get(
        months, f"{day.year}-P{index + 1}"
    )
    return ReportingPeriod(label, first, last)


def period_of_month(month: str, *, months: int = 3) -> ReportingPeriod:
    """The period holding a 'YYYY-MM' month bucket."""
    return period_of(dt.date(int(month[:4]), int(month[5:7]), 1), months=months)
