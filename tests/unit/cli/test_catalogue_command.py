"""`owes catalogue` runs the catalogue's own export and check (owes_service.catalogue.export)."""

from __future__ import annotations

from owes_cli.main import main as owes


def test_owes_catalogue_exports_then_finds_the_export_current(tmp_path, capsys):
    assert owes(["catalogue", "export", "--dir", str(tmp_path)]) == 0
    assert owes(["catalogue", "check", "--dir", str(tmp_path)]) == 0
    assert "up to date and compatible" in capsys.readouterr().out
