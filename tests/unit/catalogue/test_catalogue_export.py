"""The catalogue committed in docs/events: current with the contracts, and never broken by a change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from owes_contracts import ALL_EVENTS, ParticipantRecruited
from owes_contracts.schemas import event_key, schema_file_name
from owes_service.catalogue.export import CATALOGUE_FILE, check, expected_files, export, main

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "events"
RECRUITED = schema_file_name(ParticipantRecruited)


@pytest.fixture
def exported(tmp_path) -> Path:
    """A fresh export in a directory of the test's own."""
    assert main(["export", "--dir", str(tmp_path)]) == 0
    return tmp_path


def edit_schema(directory: Path, name: str, change) -> None:
    path = directory / name
    schema = json.loads(path.read_text())
    change(schema)
    path.write_text(json.dumps(schema, indent=2))


class TestCommittedCatalogue:
    def test_is_up_to_date_with_the_contracts(self):
        report = check(COMMITTED)
        assert report.stale == [], "docs/events is stale: run `python -m owes_service.catalogue export`"

    def test_no_change_to_the_contracts_breaks_a_published_version(self):
        report = check(COMMITTED)
        assert report.breaking == {}, "\n".join(report.lines())

    def test_has_one_schema_per_event_version(self):
        assert sorted(p.name for p in COMMITTED.glob("*.schema.json")) == sorted(
            f"{event_key(m)}.schema.json" for m in ALL_EVENTS
        )


class TestExport:
    def test_writes_one_schema_per_event_version_and_the_catalogue(self, exported):
        assert sorted(p.name for p in exported.iterdir()) == sorted(expected_files())
        assert len(list(exported.glob("*.schema.json"))) == len(ALL_EVENTS)
        assert check(exported).ok

    def test_rewrites_a_schema_that_is_only_stale(self, exported):
        edit_schema(exported, RECRUITED, lambda s: s["properties"]["county"].update(description="old text"))
        report = check(exported)
        assert (report.stale, report.breaking) == ([RECRUITED], {})
        assert export(exported).stale == [RECRUITED]
        assert check(exported).ok

    def test_refuses_a_breaking_change_and_writes_nothing(self, exported, capsys):
        # the committed version had a field the live contract no longer has: a field was removed
        edit_schema(exported, RECRUITED, lambda s: s["properties"].update(legacy={"type": "string"}))
        (exported / CATALOGUE_FILE).write_text("old catalogue\n")
        assert main(["export", "--dir", str(exported)]) == 1
        assert "legacy" in json.loads((exported / RECRUITED).read_text())["properties"]
        assert (exported / CATALOGUE_FILE).read_text() == "old catalogue\n"
        assert (
            "breaking change to pl.owes.recruitment.ParticipantRecruited.v1.schema.json: legacy: field removed"
            in capsys.readouterr().err
        )

    def test_a_removed_version_is_a_breaking_change(self, exported):
        shutil.copy(exported / RECRUITED, exported / "pl.owes.recruitment.ParticipantRecruited.v0.schema.json")
        report = check(exported)
        assert list(report.breaking) == ["pl.owes.recruitment.ParticipantRecruited.v0.schema.json"]
        assert "version removed" in str(report.breaking["pl.owes.recruitment.ParticipantRecruited.v0.schema.json"][0])


class TestCommands:
    def test_check_exits_1_when_stale_and_says_how_to_fix_it(self, exported, capsys):
        (exported / CATALOGUE_FILE).unlink()
        assert main(["check", "--dir", str(exported)]) == 1
        err = capsys.readouterr().err
        assert "stale: catalogue.md" in err and "python -m owes_service.catalogue export" in err
