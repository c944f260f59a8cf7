"""Targets are configuration: the shipped file, another TOML/YAML/JSON file, overrides; bad ones are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reporting.indicators import BY_KEY
from reporting.targets import DEFAULT_TARGETS_FILE, TargetsError, load_targets

KNOWN = set(BY_KEY)


class TestLoadTargets:
    def test_default_file_holds_the_project_targets(self):
        targets = load_targets(known=KNOWN)
        assert targets.source == DEFAULT_TARGETS_FILE.name  # no server path (issue 13)
        assert {k: int(v) for k, v in targets.values.items()} == {
            "people_supported": 400,
            "ngos_started_economic_activity": 12,
            "social_enterprises_strengthened": 14,
            "new_social_enterprises": 8,
            "jobs_for_people_at_risk": 60,
            "joint_cross_sector_initiatives": 24,
            "initiative_groups_supported": 20,
        }
        assert targets.of("advisory_hours") is None

    @pytest.mark.parametrize(
        "name,text",
        [
            ("t.toml", 'project = "Other"\n[targets]\npeople_supported = 120\nadvisory_hours = 500.5\n'),
            ("t.yaml", "project: Other\ntargets:\n  people_supported: 120\n  advisory_hours: 500.5\n"),
            ("t.json", '{"project": "Other", "targets": {"people_supported": 120, "advisory_hours": 500.5}}'),
        ],
    )
    def test_a_file_of_each_format_replaces_the_defaults(self, tmp_path, name, text):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        targets = load_targets(known=KNOWN, path=path)
        assert targets.project == "Other"
        assert targets.values == {"people_supported": Decimal(120), "advisory_hours": Decimal("500.5")}

    def test_overrides_apply_on_top_of_the_file(self):
        targets = load_targets(known=KNOWN, overrides={"people_supported": 450, "mentoring_hours": "80"})
        assert (targets.of("people_supported"), targets.of("mentoring_hours")) == (Decimal(450), Decimal(80))
        assert targets.of("initiative_groups_supported") == Decimal(20)

    @pytest.mark.parametrize(
        "overrides,message",
        [
            ({"happiness": 5}, "unknown indicator"),
            ({"people_supported": -1}, "positive"),
            ({"people_supported": "many"}, "must be a number"),
            ({"people_supported": True}, "must be a number"),
        ],
    )
    def test_bad_targets_are_refused(self, overrides, message):
        with pytest.raises(TargetsError, match=message):
            load_targets(known=KNOWN, overrides=overrides)

    def test_unreadable_or_unknown_files_are_refused(self, tmp_path):
        with pytest.raises(TargetsError, match="cannot read"):
            load_targets(known=KNOWN, path=tmp_path / "missing.toml")
        (tmp_path / "t.ini").write_text("x")
        with pytest.raises(TargetsError, match="must end in"):
            load_targets(known=KNOWN, path=tmp_path / "t.ini")
        (tmp_path / "bad.json").write_text("{nope")
        with pytest.raises(TargetsError, match="not valid JSON"):
            load_targets(known=KNOWN, path=tmp_path / "bad.json")
