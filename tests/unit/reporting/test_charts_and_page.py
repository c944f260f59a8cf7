"""Charts are SVG drawn on the server; the page and its sections render from a report alone."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

from reporting.charts import bar_chart, cumulative_chart, sparkline
from reporting.dashboard import render_page, render_sections
from reporting.freshness import PartnerFreshness
from reporting.indicators import INDICATORS
from reporting.service import IndicatorFigures, Report, _month_range
from reporting.targets import load_targets


def report_with(people_by_month: dict[str, int]) -> Report:
    targets = load_targets(known={i.key for i in INDICATORS})
    figures = {i.key: IndicatorFigures(i, target=targets.of(i.key)) for i in INDICATORS}
    people = figures["people_supported"]
    for month, n in people_by_month.items():
        people.total += n
        people.by["month"][month] += n
        people.by["gender"]["female"] += n
    return Report(
        dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        "Test project",
        "test",
        figures,
        {"recruited": people.total, "eligible": 0, "rejected": 0, "pending": 0, "withdrawn": 0, "erased": 0},
        _month_range(set(people_by_month)),
    )


class TestCharts:
    def test_charts_are_well_formed_svg_with_or_without_data(self):
        for svg in (
            sparkline([]),
            sparkline([1, 0, Decimal("2.5")]),
            cumulative_chart([], target=Decimal(400)),
            cumulative_chart([("2026-01", 2, 2), ("2026-02", 0, 2), ("2026-03", 5, 7)], target=Decimal(8)),
            bar_chart([]),
            bar_chart([("legal & tax", Decimal("3.00")), ("general", Decimal("0.00"))]),
        ):
            root = ET.fromstring(svg)
            assert root.tag == "svg" and root.get("viewBox")

    def test_bar_labels_are_escaped(self):
        assert "legal &amp; tax" in bar_chart([("legal & tax", 1)])


class TestReport:
    def test_months_have_no_gaps_across_a_new_year(self):
        assert _month_range({"2026-11", "2027-02"}) == ["2026-11", "2026-12", "2027-01", "2027-02"]
        assert _month_range(set()) == []

    def test_series_accumulates_and_progress_is_against_the_target(self):
        report = report_with({"2026-01": 100, "2026-03": 50})
        people = report.figures["people_supported"]
        assert people.series(report.months) == [("2026-01", 100, 100), ("2026-02", 0, 100), ("2026-03", 50, 150)]
        assert people.progress_percent == Decimal("37.5")


class TestPage:
    def test_page_shows_cards_freshness_and_links_only_to_itself(self):
        report = report_with({"2026-01": 3})
        now = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
        freshness = [
            PartnerFreshness("jastrzebie-zdroj", "recruitment", now - dt.timedelta(minutes=5), 0),
            PartnerFreshness("(none yet)", "grants", None, None),
        ]
        sections = render_sections(report, freshness, now)
        assert "last event 5 min ago · lag 0 events" in sections["freshness"]
        assert "no events yet · lag unknown" in sections["freshness"]
        page = render_page(sections, version=3)
        assert '<div class="title">People supported</div><div class="value">3</div>' in page
        assert "of 400 target" in page and "0.8%" in page
        assert "http" not in page.replace("/exports/", "").split("<footer>")[0]  # nothing fetched from elsewhere

    def test_freshness_shows_each_partners_release_and_warns_of_an_unknown_one(self):
        now = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
        seen = now - dt.timedelta(minutes=1)
        freshness = [
            PartnerFreshness("jastrzebie-zdroj", "recruitment", seen, 0, release="0.2.0"),
            PartnerFreshness("rybnik", "grants", seen, 0, release="9.0.0"),
        ]
        html = render_sections(report_with({"2026-01": 1}), freshness, now)["freshness"]
        recruitment, grants = html.split('data-producer="grants"')
        assert "release 0.2.0" in recruitment and "does not know" not in recruitment
        assert "release 9.0.0" in grants
        assert "Rybnik runs release 9.0.0, which this reporting does not know" in grants  # its name, not its code
