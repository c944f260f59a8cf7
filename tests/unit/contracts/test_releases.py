"""The release the code says it is, the releases it knows and CHANGELOG.md agree."""

from __future__ import annotations

from pathlib import Path

from owes_contracts import ALL_EVENTS
from owes_contracts.releases import RELEASE, RELEASES

CHANGELOG = Path(__file__).parents[3] / "CHANGELOG.md"


def test_every_known_release_has_a_changelog_section_and_the_current_one_comes_first():
    text = CHANGELOG.read_text(encoding="utf-8")
    sections = [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]
    assert sections[0] == RELEASE
    assert sorted(sections) == sorted(RELEASES)


def test_the_current_release_section_names_every_event_it_publishes_and_its_version():
    text = CHANGELOG.read_text(encoding="utf-8")
    current = text.split(f"## {RELEASE}", 1)[1].split("\n## ", 1)[0]
    for model in ALL_EVENTS:
        rows = [line for line in current.splitlines() if f" {model.name}," in line or f" {model.name} |" in line]
        assert rows, model.name
        # two versions of one event may be published side by side: one row each
        assert any(row.rstrip().endswith(f"v{model.version} |") for row in rows), (model.name, model.version, rows)
