"""Refusals with values: the API keeps its English sentence, staff read the catalogue's Polish with the values
written the Polish way, and a refusal template nobody translated fails the translation test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from owes_service.pages import catalogues
from owes_service.pages.i18n import Formats, load_translations
from owes_service.pages.web import SHARED, problem_message
from owes_service.problems import Conflict, InvalidInput
from owes_service.wording import Money, Refusal, joined, refusal

ROOT = Path(__file__).resolve().parents[3]
GRANTS = ROOT / "services" / "grants" / "grants"
SERVICES = {name: ROOT / "services" / name / name for name in ("recruitment", "advisory", "grants", "reporting")}


def _polish(service: str):
    return load_translations([SERVICES[service] / "locale", SHARED / "locale"], "pl").gettext


def _as_the_use_case_does(error: Exception) -> InvalidInput | Conflict:
    """What grants' _rules() does with a domain refusal: a problem whose detail is the English text."""
    try:
        try:
            raise error
        except ValueError as exc:
            raise InvalidInput(str(exc), **getattr(exc, "extra", {})) from None
        except Exception as exc:
            raise Conflict(str(exc), **getattr(exc, "extra", {})) from None
    except (InvalidInput, Conflict) as problem:
        return problem


def test_the_english_text_is_the_sentence_the_api_always_gave():
    rate, day, given = Decimal("35212.00"), dt.date(2026, 11, 3), Decimal("40000.00")
    said = refusal(
        "The grant per job is at most %(rate)s PLN (the project's rate on %(day)s); %(per_job)s given.",
        rate=Money(rate),
        day=day,
        per_job=Money(given),
    )
    assert isinstance(said, str) and isinstance(said, Refusal)
    assert said == f"The grant per job is at most {rate} PLN (the project's rate on {day.isoformat()}); {given} given."
    assert refusal("100% sure") == "100% sure"  # no values: the text as written, a lone % included


def test_a_grants_refusal_reads_in_polish_with_its_number():
    from grants import domain

    try:
        domain.check_founders([f"p_{i:016x}" for i in range(51)], {})
    except domain.RuleBroken as exc:
        problem = _as_the_use_case_does(exc)
    assert problem.detail == "A social cooperative has at most 50 members."  # the API's problem detail
    assert problem_message(problem, _polish("grants")) == "Spółdzielnia socjalna może liczyć najwyżej 50 członków."


def test_money_dates_and_amounts_in_euro_are_written_the_polish_way():
    from grants import domain

    aid = [domain.DeMinimisAid(granted_on=dt.date(2025, 3, 1), amount_eur=Decimal("290000.00"))]
    with pytest.raises(domain.RuleBroken) as refused:
        domain.check_de_minimis(aid, amount_pln=Decimal("86000.00"), eur_rate=Decimal("4.30"), on=dt.date(2026, 11, 3))
    problem = _as_the_use_case_does(refused.value)
    assert "EUR 20000.00 (86000.00 PLN at 4.30)" in problem.detail  # English, unchanged
    said = problem_message(problem, _polish("grants")).replace("\xa0", " ")
    assert said.startswith("Pomoc de minimis w wysokości 20 000 EUR (86 000,00 zł po kursie 4,3)"), said
    assert "udzielono już 290 000 EUR, pozostaje 10 000 EUR (43 000,00 zł po tym kursie)" in said
    assert "04.11.2023" in said  # the window's first day, as 29.11.2026 is written


def test_reasons_inside_a_refusal_are_translated_each_in_its_own_words():
    from grants import domain

    standings = {
        "p_0000000000000001": domain.Standing(
            "p_0000000000000001", recruited=True, eligibility=domain.Eligibility.CONFIRMED, withdrawn=True
        )
    }
    founders = ["p_0000000000000001", "p_0000000000000002", "p_0000000000000003"]
    with pytest.raises(domain.RuleBroken) as refused:
        domain.check_founders(founders, standings)
    problem = _as_the_use_case_does(refused.value)
    assert problem.detail == (
        "Every founder must be an eligible participant: participant p_0000000000000001 has withdrawn from the "
        "project; participant p_0000000000000002 is not a known participant; participant p_0000000000000003 is not "
        "a known participant."
    )
    assert problem_message(problem, _polish("grants")) == (
        "Każdy założyciel musi być kwalifikującym się uczestnikiem: uczestnik p_0000000000000001 zrezygnował z "
        "udziału w projekcie; uczestnik p_0000000000000002 nie jest znany jako uczestnik; uczestnik "
        "p_0000000000000003 nie jest znany jako uczestnik."
    )


def test_an_english_page_reads_the_english_sentence_with_english_formats():
    problem = InvalidInput(refusal("Disbursing %(amount)s PLN is too much.", amount=Money("1800.00")))
    english = load_translations([GRANTS / "locale"], "en").gettext
    assert problem_message(problem, english) == "Disbursing 1800.00 PLN is too much."
    assert problem_message(problem, english, Formats("en")) == "Disbursing 1800.00 PLN is too much."
    assert problem.detail == "Disbursing 1800.00 PLN is too much."


def test_a_refusal_no_catalogue_knows_is_shown_whole_in_english_never_half_translated():
    problem = InvalidInput(refusal("A rule nobody translated: %(count)s.", count=3))
    said = problem_message(problem, _polish("grants"))
    assert said == "Usługa odmówiła: A rule nobody translated: 3."


def test_values_are_joined_without_a_catalogue():
    parts = joined([refusal("was found not eligible"), refusal("has withdrawn from the project")])
    assert parts == "was found not eligible; has withdrawn from the project"
    problem = InvalidInput(refusal("Every founder must be an eligible participant: %(reasons)s.", reasons=parts))
    assert problem_message(problem, _polish("grants")) == (
        "Każdy założyciel musi być kwalifikującym się uczestnikiem: nie został zakwalifikowany; zrezygnował z "
        "udziału w projekcie."
    )
    assert joined([]) == "" and joined(["one"]) == "one"


def test_the_translation_test_collects_refusal_templates(tmp_path):
    """A refusal built with values is found wherever it is built, so a missing Polish translation fails the test
    of every service's refusals (tests/unit/pages/test_translations.py)."""
    (tmp_path / "domain.py").write_text(
        "from owes_service.wording import refusal\n"
        "def check(n):\n"
        "    if n > 50:\n"
        "        raise RuleBroken(refusal('At most %(most)s members.', most=50), field='ids')\n"
        "    state = refusal('is not evaluated yet')\n"
        "    raise WrongState('A plain refusal.')\n"
    )
    found = catalogues.domain_refusals(tmp_path / "domain.py")
    assert found == {"At most %(most)s members.", "is not evaluated yet", "A plain refusal."}
    assert sorted(catalogues.missing_translations(tmp_path, found)) == sorted(found)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_refusal_bakes_its_values_into_an_f_string(name):
    """An f-string refusal cannot be in a catalogue: staff would read it in English."""
    import ast

    baked = []
    for module in ("domain.py", "service.py"):
        path = SERVICES[name] / module
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = node.exc if isinstance(node, ast.Raise) else None
            if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.JoinedStr):
                baked.append(f"{module}:{node.lineno}")
    assert not baked, f"{name}: build these with owes_service.wording.refusal: {baked}"


def test_a_date_out_of_the_project_s_range_reads_in_polish_with_its_days():
    """The shared rule of every form's date (owes_service.project): translated in the shared catalogue."""
    from owes_service.project import load_project
    from owes_service.project_calendar import ProjectCalendar
    from owes_service.time_zones import DateOutOfRange

    shared = ROOT / "libs" / "service" / "owes_service"
    refusals = catalogues.domain_refusals(shared / "project.py") | catalogues.domain_refusals(
        shared / "project_calendar.py"
    )
    # the other raises of these modules refuse a project definition: the operator reads them, not staff
    templates = {r for r in refusals if "%(" in r}
    assert "%(what)s (%(day)s) is in the future (today is %(today)s)" in templates
    assert not catalogues.missing_translations(SHARED, templates)

    class Fixed:
        def now(self) -> dt.datetime:
            return dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC)

    calendar = ProjectCalendar.for_project(load_project(), Fixed())
    with pytest.raises(DateOutOfRange) as refused:
        calendar.fact_date(dt.date(2026, 12, 3), field="submitted_on")
    assert refused.value.detail == "submitted_on (2026-12-03) is in the future (today is 2026-11-29)"  # the API's
    assert refused.value.extra == {"field": "submitted_on"}
    said = problem_message(refused.value, _polish("grants"))
    assert said == "Data 03.12.2026 jest w przyszłości (dziś jest 29.11.2026)"


def test_the_dashboard_s_definitions_release_warning_and_advisory_kinds_read_in_polish():
    """What the Polish dashboard shows besides its own words: each indicator's definition (the cards' tooltip),
    the warning about a partner's unknown release and the advisory kinds of the breakdown."""
    from owes_contracts import AdvisoryKind
    from reporting import dashboard
    from reporting.freshness import PartnerFreshness
    from reporting.indicators import INDICATORS

    folder = SERVICES["reporting"]
    definitions = [i.definition for i in INDICATORS]
    assert not catalogues.missing_translations(folder, definitions)
    assert not catalogues.missing_translations(folder, catalogues.domain_refusals(folder / "freshness.py"))
    assert set(dashboard.KIND_TITLES) == {k.value for k in AdvisoryKind}  # every kind a session may have

    line = PartnerFreshness("Rybnik", "recruitment", None, None, release="9.9.9")
    assert line.release_warning == (  # the JSON's words, unchanged
        "Rybnik runs release 9.9.9, which this reporting does not know: upgrade reporting to read the event "
        "versions it publishes"
    )
    token = dashboard.LANGUAGE.set("pl")
    try:
        said = dashboard._said(line.release_warning)
        tooltip = dashboard._(INDICATORS[0].definition)
    finally:
        dashboard.LANGUAGE.reset(token)
    assert said.startswith("Rybnik działa w wersji 9.9.9, której to raportowanie nie zna")
    assert tooltip.startswith("Uczestnicy zrekrutowani")


def test_the_release_warning_names_the_partner_as_people_write_it():
    from reporting import dashboard
    from reporting.freshness import PartnerFreshness

    line = PartnerFreshness("jastrzebie-zdroj", "recruitment", None, None, release="9.0.0")
    token = dashboard.LANGUAGE.set("pl")
    try:
        shown = dashboard._freshness([line], dt.datetime(2026, 11, 29, tzinfo=dt.UTC), None)
    finally:
        dashboard.LANGUAGE.reset(token)
    assert "Jastrzębie-Zdrój działa w wersji 9.0.0" in shown and "jastrzebie-zdroj działa" not in shown


def test_a_schema_s_rule_over_several_fields_reads_in_polish_with_its_value():
    """A model validator's refusal with a value (the organisation's type) is said on the form's summary in Polish."""
    from pydantic import ValidationError

    from owes_service.pages.web import validation_errors
    from recruitment.schemas import OrganisationEnrolment

    with pytest.raises(ValidationError) as refused:
        OrganisationEnrolment.model_validate(
            {
                "organisation_type": "association",
                "legal_form": "sole_trader",
                "organisation_name": "Stowarzyszenie Razem",
                "county": "rybnik",
                "nip": "5261040828",
                "regon": "012100784",
            }
        )
    said = validation_errors(refused.value, {}, _polish("recruitment")).messages
    assert said == {"__all__": "stowarzyszenie jest osobą prawną: wybierz formę prawną „osoba prawna”"}
