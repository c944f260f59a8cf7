"""The staff pages speak Polish: every message of every page, template and refusal has its Polish translation, and
dates, money and plurals are written the Polish way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from owes_service.pages import catalogues
from owes_service.pages.i18n import Formats, choose_language, load_translations
from owes_service.pages.web import SHARED, problem_message
from owes_service.problems import InvalidInput

ROOT = Path(__file__).resolve().parents[3]
SERVICES = {name: ROOT / "services" / name / name for name in ("recruitment", "advisory", "grants", "reporting")}
FOLDERS = {"shared": SHARED, **SERVICES}


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_every_message_of_the_pages_is_translated_into_polish(name):
    messages = catalogues.extract(FOLDERS[name])
    assert messages, "no message found: the extraction itself is broken"
    missing = catalogues.missing_translations(FOLDERS[name], messages)
    assert not missing, f"{name}: add Polish translations (python -m owes_service.pages.catalogues): {missing}"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_reason_a_service_gives_for_refusing_is_translated(name):
    folder = SERVICES[name]
    refusals = set().union(  # the schemas' rules over several fields are said on the form's summary
        *(
            catalogues.domain_refusals(folder / m)
            for m in ("domain.py", "service.py", "schemas.py")
            if (folder / m).exists()
        )
    )
    missing = catalogues.missing_translations(folder, refusals)
    assert not missing, f"{name}: staff would read these in English: {missing}"


def test_a_missing_translation_is_found(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text('<p>{{ _("A sentence nobody translated") }}</p>')
    found = catalogues.extract(tmp_path)
    assert catalogues.missing_translations(tmp_path, found) == ["A sentence nobody translated"]


def test_every_form_of_translation_a_page_uses_is_found(tmp_path):
    """Messages marked with N_, translated with _ or ngettext, or translated on the spot by calling what
    pages.gettext(request) returns: each is extracted, so a missing Polish translation fails the test above."""
    (tmp_path / "pages.py").write_text(
        "def page(request, pages, n):\n"
        "    title = N_('A marked title')\n"
        "    _ = pages.gettext(request)\n"
        "    pages.flash(request, _('A flashed message'))\n"
        "    heading = pages.gettext(request)('Translated on the spot')\n"
        "    count = pages.translations['pl'].ngettext('%(num)d thing', '%(num)d things', n)\n"
        "    html = f\"<h2>{_('Inside an f-string')}</h2>{ngettext('%(num)d row', '%(num)d rows', n)}\"\n"
    )
    (tmp_path / "helpers.py").write_text("from owes_service.pages import N_\nLABEL = N_('A label elsewhere')\n")
    (tmp_path / "service.py").write_text("def f(gettext):\n    return gettext('not page code')\n")
    found = catalogues.extract(tmp_path)
    missing = catalogues.missing_translations(tmp_path, found)
    assert sorted(missing) == sorted(
        [
            "A marked title",
            "A flashed message",
            "Translated on the spot",
            "%(num)d thing",
            "Inside an f-string",
            "%(num)d row",
            "A label elsewhere",
        ]
    )


def test_polish_dates_money_and_numbers():
    pl = Formats("pl")
    assert pl.date(dt.date(2026, 11, 29)) == "29.11.2026"
    assert pl.money(Decimal("1800")).replace("\xa0", " ") == "1 800,00 zł"
    assert pl.number(Decimal("2.5")) == "2,5"
    assert pl.datetime(dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)) == "01.07.2026 12:00"  # Warsaw, summer


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "Znaleziono 1 uczestnika"), (3, "Znaleziono 3 uczestników"), (22, "Znaleziono 22 uczestników")],
)
def test_polish_plural_forms(count, expected):
    translations = load_translations([SERVICES["recruitment"] / "locale", SHARED / "locale"], "pl")
    text = translations.ngettext("%(num)d participant found", "%(num)d participants found", count) % {"num": count}
    assert text == expected


def test_three_plural_forms_for_changes():
    translations = load_translations([SERVICES["recruitment"] / "locale"], "pl")
    forms = [
        translations.ngettext("%(num)d recorded change", "%(num)d recorded changes", n) % {"num": n} for n in (1, 2, 5)
    ]
    assert forms == ["1 zapisana zmiana", "2 zapisane zmiany", "5 zapisanych zmian"]


def test_a_refused_pesel_reads_in_the_words_of_the_domain():
    from recruitment import domain

    translations = load_translations([SERVICES["recruitment"] / "locale", SHARED / "locale"], "pl")
    try:
        try:
            domain.pesel_birth_date("02070803627")  # the last digit is not the check digit
        except domain.InvalidPesel as exc:
            raise InvalidInput(f"Invalid PESEL: {exc}.", field="pesel") from None  # as the use case does
    except InvalidInput as problem:
        assert problem_message(problem, translations.gettext) == "Nieprawidłowy numer PESEL: błędna cyfra kontrolna"


def test_english_on_request_polish_otherwise():
    assert choose_language(asked="en", remembered=None, accept_language="pl-PL") == "en"
    assert choose_language(asked=None, remembered=None, accept_language="en-GB,en;q=0.8") == "en"
    assert choose_language(asked=None, remembered="pl", accept_language="en-GB") == "pl"
    assert choose_language(asked=None, remembered=None, accept_language="de-DE") == "pl"
    assert choose_language(asked="xx", remembered=None, accept_language=None) == "pl"


def test_a_rule_over_several_fields_is_said_in_words_not_as_a_field_named_all():
    from pydantic import BaseModel, ValidationError, model_validator

    from owes_service.pages.web import validation_errors

    class Support(BaseModel):
        participant_id: str | None = None
        organisation_id: str | None = None

        @model_validator(mode="after")
        def _one(self) -> Support:
            raise ValueError("give exactly one of participant_id and organisation_id")

    translations = load_translations([SHARED / "locale"], "pl")
    try:
        Support()
    except ValidationError as exc:
        said = validation_errors(exc, {}, translations.gettext).messages
    assert list(said) == ["__all__"]  # the summary at the top, no field to point at
    assert said["__all__"].startswith("Usługa odmówiła") and "__all__" not in said["__all__"]
