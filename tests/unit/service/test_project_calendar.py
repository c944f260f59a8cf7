"""The project's calendar: today, months and payment-claim periods in Warsaw, whatever the host's zone."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time

import pytest

from owes_service.project import DEFAULT_PROJECT_FILE, load_project
from owes_service.project_calendar import (
    DateOutOfRange,
    FixedClock,
    ProjectCalendar,
    add_months,
    month_of,
    period_of,
    period_of_month,
)
from owes_service.settings import ServiceSettings

UTC = dt.UTC


def warsaw_at(instant: dt.datetime) -> ProjectCalendar:
    return ProjectCalendar.of("Europe/Warsaw", FixedClock(instant))


class TestToday:
    @pytest.mark.parametrize(
        ("instant", "today"),
        [
            (dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC), dt.date(2026, 1, 1)),  # 00:30 CET on New Year's Day
            (dt.datetime(2025, 12, 31, 22, 59, tzinfo=UTC), dt.date(2025, 12, 31)),
            (
                dt.datetime(2024, 3, 30, 23, 30, tzinfo=UTC),
                dt.date(2024, 3, 31),
            ),  # CET, the night the clocks go forward
            (dt.datetime(2024, 3, 31, 21, 59, tzinfo=UTC), dt.date(2024, 3, 31)),  # 23:59 CEST: +2 from 01:00 UTC
            (dt.datetime(2024, 3, 31, 22, 30, tzinfo=UTC), dt.date(2024, 4, 1)),  # 00:30 CEST: April, Q2
            (dt.datetime(2027, 10, 30, 22, 30, tzinfo=UTC), dt.date(2027, 10, 31)),  # 00:30 CEST, before they go back
            (dt.datetime(2027, 10, 31, 22, 30, tzinfo=UTC), dt.date(2027, 10, 31)),  # 23:30 CET: +1 again
            (dt.datetime(2027, 10, 31, 23, 30, tzinfo=UTC), dt.date(2027, 11, 1)),
        ],
    )
    def test_is_the_date_on_a_warsaw_wall_clock(self, instant, today):
        assert warsaw_at(instant).today() == today

    def test_another_zone_is_a_setting(self):
        assert ProjectCalendar.of("UTC", FixedClock(dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC))).today() == dt.date(
            2025, 12, 31
        )

    @pytest.mark.parametrize("host_zone", ["UTC", "America/New_York", "Pacific/Kiritimati"])
    def test_does_not_depend_on_the_hosts_zone(self, host_zone):
        """Run in a process of its own whose TZ is another zone: the answer is the same Warsaw date."""
        code = (
            "import datetime as dt; from owes_service.project_calendar import *; "
            "c = ProjectCalendar.of('Europe/Warsaw', FixedClock(dt.datetime(2025, 12, 31, 23, 30, "
            "tzinfo=dt.UTC))); print(c.today(), c.local_text(c.now()), dt.datetime(2025, 12, 31, 23, 30, "
            "tzinfo=dt.UTC).astimezone().date())"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=dict(os.environ, TZ=host_zone), check=True, capture_output=True, text=True
        ).stdout.split()
        host_date = {"UTC": "2025-12-31", "America/New_York": "2025-12-31", "Pacific/Kiritimati": "2026-01-01"}
        assert out == ["2026-01-01", "2026-01-01", "00:30", "CET", host_date[host_zone]]

    def test_the_system_clock_agrees_with_the_host_read_in_warsaw(self):
        before = os.environ.get("TZ")
        os.environ["TZ"] = "Pacific/Kiritimati"
        time.tzset()
        try:
            calendar = ProjectCalendar.of()
            now = dt.datetime.now(UTC)
            assert calendar.now().tzinfo == UTC and abs(calendar.now() - now) < dt.timedelta(minutes=1)
            assert calendar.today() in {(now + dt.timedelta(hours=h)).date() for h in (1, 2)}
        finally:
            os.environ.pop("TZ") if before is None else os.environ.__setitem__("TZ", before)
            time.tzset()


class TestInstantsForPeople:
    def test_are_shown_on_the_warsaw_wall_clock_with_the_zone(self):
        calendar = warsaw_at(dt.datetime(2024, 3, 31, 22, 30, tzinfo=UTC))
        assert calendar.local_text(calendar.now()) == "2024-04-01 00:30 CEST"
        assert calendar.local(dt.datetime(2025, 12, 31, 23, 30)).isoformat() == "2026-01-01T00:30:00+01:00"
        assert calendar.now().isoformat() == "2024-03-31T22:30:00+00:00"  # stored in UTC

    def test_a_fixed_clock_needs_an_aware_instant(self):
        with pytest.raises(ValueError, match="aware"):
            FixedClock(dt.datetime(2025, 12, 31, 23, 30))


class TestMonthsAndPeriods:
    def test_twelve_months_later_ends_at_the_end_of_a_shorter_month(self):
        assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
        assert add_months(dt.date(2026, 1, 1), 12) == dt.date(2027, 1, 1)
        assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)

    def test_quarters_halves_and_months(self):
        q = period_of(dt.date(2024, 4, 1))
        assert (q.label, q.first_day, q.last_day, q.months()) == (
            "2024-Q2",
            dt.date(2024, 4, 1),
            dt.date(2024, 6, 30),
            ["2024-04", "2024-05", "2024-06"],
        )
        assert dt.date(2024, 3, 31) not in q and dt.date(2024, 6, 30) in q
        assert period_of(dt.date(2027, 11, 1), months=6).label == "2027-H2"
        assert period_of(dt.date(2027, 11, 1), months=1).label == "2027-11"
        assert period_of(dt.date(2027, 11, 1), months=12).months()[0] == "2027-01"
        assert period_of_month("2026-01").label == "2026-Q1" and month_of(dt.date(2026, 1, 1)) == "2026-01"

    def test_a_period_is_a_divisor_of_the_year(self):
        with pytest.raises(ValueError, match="1, 2, 3, 4, 6 or 12"):
            period_of(dt.date(2026, 1, 1), months=5)


class TestFactDates:
    def test_default_to_today_and_refuse_the_future_the_past_before_the_programme_and_outside_the_project(self):
        calendar = ProjectCalendar.for_project(
            load_project(), FixedClock(dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
        )
        assert calendar.fact_date(None, field="recruited_on") == dt.date(2026, 1, 1)
        assert calendar.fact_date(dt.date(2024, 1, 1), field="recruited_on") == dt.date(2024, 1, 1)
        for day, why in [
            (dt.date(2026, 1, 2), "in the future (today is 2026-01-01)"),
            (dt.date(2023, 12, 31), "outside the project period (2024-01-01 to 2029-12-31)"),
            (dt.date(2020, 12, 31), "before the 2021-2027 programme began (2021-01-01)"),
        ]:
            with pytest.raises(DateOutOfRange, match=re.escape(f"recruited_on ({day.isoformat()}) is {why}")) as e:
                calendar.fact_date(day, field="recruited_on")
            assert e.value.field == "recruited_on"

    def test_without_a_project_only_the_future_is_refused(self):
        calendar = warsaw_at(dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
        assert calendar.fact_date(dt.date(2001, 1, 1), field="held_on") == dt.date(2001, 1, 1)
        with pytest.raises(DateOutOfRange, match="in the future"):
            calendar.fact_date(dt.date(2026, 1, 2), field="held_on")


class TestSetting:
    def test_the_zone_comes_from_the_project_definition_and_an_unknown_one_is_refused(self, tmp_path):
        assert ServiceSettings().project_file is None and load_project().time_zone == "Europe/Warsaw"
        text = DEFAULT_PROJECT_FILE.read_text().replace('time_zone = "Europe/Warsaw"', 'time_zone = "Europe/Warszawa"')
        (tmp_path / "project.toml").write_text(text)
        with pytest.raises(ValueError, match="unknown time zone 'Europe/Warszawa'"):
            load_project(tmp_path / "project.toml")
