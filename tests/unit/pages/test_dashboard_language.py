"""The lead's dashboard (GET /dashboard) in the reader's language: Polish unless English is asked for, with Polish
numbers and dates, a link to the other language, and its live stream in the same language as the page."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from reporting import dashboard
from reporting.freshness import PartnerFreshness
from reporting.indicators import INDICATORS
from reporting.service import IndicatorFigures, Report, _month_range
from reporting.targets import load_targets


def report_with(people: int) -> Report:
    targets = load_targets(known={i.key for i in INDICATORS})
    figures = {i.key: IndicatorFigures(i, target=targets.of(i.key)) for i in INDICATORS}
    figures["people_supported"].total = people
    figures["people_supported"].by["month"]["2026-01"] = people
    return Report(
        dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC),
        "Test project",
        "test",
        figures,
        {"recruited": people, "eligible": 0, "rejected": 0, "pending": 0, "withdrawn": 0, "erased": 0},
        _month_range({"2026-01"}),
    )


def drawn(language: str, people: int = 1234) -> str:
    """The whole page as the route draws it for a reader of this language."""
    token = dashboard.LANGUAGE.set(language)
    try:
        now = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
        fresh = [PartnerFreshness("jastrzebie-zdroj", "recruitment", now - dt.timedelta(days=3), 2)]
        return dashboard.render_page(dashboard.render_sections(report_with(people), fresh, now), version=1)
    finally:
        dashboard.LANGUAGE.reset(token)


def test_a_polish_reader_reads_polish_words_numbers_and_dates():
    page = drawn("pl").replace("\xa0", " ")
    assert '<html lang="pl">' in page
    assert "Pulpit partnerstwa" in page and "Aktualność danych" in page
    assert '<div class="title">Osoby objęte wsparciem</div><div class="value">1 234</div>' in page
    assert "ostatnie zdarzenie 3 dni temu · opóźnienie: 2 zdarzenia" in page  # Polish plural forms
    assert "Dane na 01.05.2026 12:00" in page  # the Warsaw wall clock, written the Polish way
    assert 'href="?lang=en" lang="en"' in page  # English one click away
    assert 'data-stream="/dashboard/stream?lang=pl"' in page  # the live sections come in Polish too
    assert 'data-live="Na żywo"' in page
    for english in ("People supported", "Data freshness", "last event", "Figures as of"):
        assert english not in page


def test_an_english_reader_reads_it_as_before():
    page = drawn("en")
    assert '<html lang="en">' in page and "Partnership dashboard" in page
    assert '<div class="title">People supported</div><div class="value">1,234</div>' in page
    assert 'href="?lang=pl" lang="pl"' in page and 'data-stream="/dashboard/stream?lang=en"' in page


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ({}, None, "pl"),  # nobody said: Polish
        ({}, "pl-PL,pl;q=0.9", "pl"),
        ({}, "en-US,en;q=0.9", "en"),
        ({"lang": "en"}, "pl-PL", "en"),  # the switch wins over the browser
        ({"lang": "pl"}, "en-GB", "pl"),
    ],
)
def test_the_reader_s_language_is_chosen_as_on_the_staff_pages(query, accept, expected):
    request = SimpleNamespace(query_params=query, headers={"accept-language": accept} if accept else {})
    assert dashboard._reader_language(request) == expected  # type: ignore[arg-type]
