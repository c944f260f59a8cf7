"""The project definition: one file every partner installs, read the same way everywhere."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from owes_service.project import DEFAULT_PROJECT_FILE, Programme, ProjectDefinition, county_key, load_project


def definition(**changes) -> ProjectDefinition:
    return load_project().model_copy(update=changes)


def validated(**changes) -> ProjectDefinition:
    return ProjectDefinition.model_validate(load_project().model_dump() | changes)


class TestTheDefault:
    def test_is_a_2021_2027_project_of_the_western_subregion_in_warsaw_time(self):
        project = load_project()
        assert (project.programme, project.starts_on, project.ends_on, project.time_zone) == (
            Programme.ESF_PLUS_2021_2027,
            dt.date(2024, 1, 1),
            dt.date(2029, 12, 31),
            "Europe/Warsaw",
        )
        assert {c.teryt: c.name for c in project.counties} == {
            "2467": "Jastrzębie-Zdrój",
            "2479": "Żory",
            "2473": "Rybnik",
            "2412": "rybnicki",
            "2415": "wodzisławski",
            "2411": "raciborski",
        }
        assert project.outside_subregion_limit_percent == 20 and project.reporting_period_months == 3
        assert project.sustainability == 18 and not project.bridge_support


class TestCounties:
    @pytest.mark.parametrize("written", ["Rybnik", "rybnik", "RYBNIK", " rybnik ", "2473"])
    def test_one_county_however_it_is_written(self, written):
        assert load_project().county(written).teryt == "2473"

    @pytest.mark.parametrize("written", ["Żory", "zory", "ŻORY", "Zory"])
    def test_polish_letters_or_none(self, written):
        assert load_project().county(written).teryt == "2479"

    def test_outside_the_subregion_is_none(self):
        assert load_project().county("Katowice") is None and load_project().county("Rybnk") is None
        assert county_key("Wodzisławski") == county_key("WODZISLAWSKI") == "wodzislawski"

    def test_a_county_listed_twice_is_refused(self):
        counties = [*load_project().model_dump()["counties"], {"teryt": "2499", "name": "RYBNIK"}]
        with pytest.raises(ValidationError, match="listed once"):
            validated(counties=counties)


class TestRules:
    def test_unit_rates_apply_from_their_dates(self):
        project = load_project()
        assert project.unit_rate("job_creation", dt.date(2024, 6, 30)) == Decimal("31229.00")
        assert project.unit_rate("job_creation", dt.date(2024, 7, 1)) == Decimal("35212.00")
        assert project.unit_rate("job_maintenance_half_time", dt.date(2024, 1, 1)) == Decimal("16200.00")
        assert project.unit_rate("job_maintenance_full_time", dt.date(2020, 12, 31)) is None

    def test_the_period_lies_within_the_programme(self):
        with pytest.raises(ValidationError, match="within the 2021-2027 programme"):
            validated(starts_on=dt.date(2020, 6, 1))
        with pytest.raises(ValidationError, match="within the 2014-2020 programme"):
            validated(programme="2014-2020", unit_rates=[])  # 2024-2029 is past 2014-2020's eligibility
        old = validated(
            programme="2014-2020", starts_on=dt.date(2019, 1, 1), ends_on=dt.date(2022, 12, 31), unit_rates=[]
        )
        assert old.sustainability == 12 and old.bridge_support

    def test_maintenance_rates_are_for_2021_2027_projects(self):
        with pytest.raises(ValidationError, match="bridge support"):
            validated(programme="2014-2020", starts_on=dt.date(2019, 1, 1), ends_on=dt.date(2022, 12, 31))


class TestFingerprint:
    def test_the_same_definition_has_the_same_fingerprint_in_toml_or_json(self, tmp_path):
        (tmp_path / "project.json").write_text(json.dumps({"project": load_project().model_dump(mode="json")}))
        assert load_project(tmp_path / "project.json").fingerprint == load_project().fingerprint
        assert len(load_project().fingerprint) == 16

    def test_any_difference_changes_it(self):
        assert definition(ends_on=dt.date(2029, 6, 30)).fingerprint != load_project().fingerprint
        assert definition(outside_subregion_limit_percent=Decimal(25)).fingerprint != load_project().fingerprint

    def test_the_file_is_the_shipped_default(self):
        assert DEFAULT_PROJECT_FILE.name == "project.toml" and DEFAULT_PROJECT_FILE.exists()


class TestRetention:
    def test_erasure_is_possible_after_five_years_from_the_end_of_the_final_payments_year(self):
        assert load_project().erasure_possible_from is None  # the final payment is not made yet
        paid = validated(final_payment_on="2029-12-20")
        assert paid.erasure_possible_from == dt.date(2035, 1, 1)
        assert validated(final_payment_on="2030-01-02", retention_years=10).erasure_possible_from == dt.date(2041, 1, 1)
