"""The catalogue in the repository: one JSON Schema per event version and catalogue.md, in docs/events/.

    python -m owes_service.catalogue export [--dir docs/events]   # write them; refuses a breaking change
    python -m owes_service.catalogue check [--dir docs/events]    # exit 1 when stale or when a change breaks

A committed schema is the promise made when its version was published: the live contract may only grow
compatibly (see compatibility.py); a change that breaks it needs a new version next to the old one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from owes_contracts import ALL_EVENTS
from owes_contracts.compatibility import BreakingChange, transitive_breaking_changes
from owes_contracts.schemas import event_schema, schema_file_name, schema_text

from .pages import render_markdown

DEFAULT_DIR = Path("docs/events")
CATALOGUE_FILE = "catalogue.md"
SCHEMA_SUFFIX = ".schema.json"


@dataclass
class Report:
    """What differs between the committed catalogue and the live contracts."""

    stale: list[str] = field(default_factory=list)  # files to (re)write
    breaking: dict[str, list[BreakingChange]] = field(default_factory=dict)  # committed schema -> its breaks

    @property
    def ok(self) -> bool:
        return not self.stale and not self.breaking

    def lines(self) -> list[str]:
        out = [f"breaking change to {name}: {change}" for name, changes in self.breaking.items() for change in changes]
        return out + [f"stale: {name}" for name in self.stale]


def expected_files() -> dict[str, str]:
    """File name -> text of everything the export writes."""
    files = {schema_file_name(m): schema_text(event_schema(m)) for m in ALL_EVENTS}
    files[CATALOGUE_FILE] = render_markdown()
    return files


def released_schemas(directory: Path) -> dict[str, list[dict]]:
    """Every schema each event version had in a release (the git tags v*), for the transitive check.

    Empty outside a git checkout: the committed schemas are then the only history there is.
    """

    def git(*args: str) -> str:
        # git from PATH, with fixed arguments: reading this checkout's own tags
        return subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=directory,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    try:
        prefix = git("rev-parse", "--show-prefix").strip()
        tags = git("tag", "--list", "v*").split()
    except (OSError, subprocess.CalledProcessError):
        return {}
    history: dict[str, list[dict]] = {}
    for tag in tags:
        for name in git("ls-tree", "--name-only", f"{tag}:{prefix}" if prefix else tag).split():
            if name.endswith(SCHEMA_SUFFIX):
                history.setdefault(name, []).append(json.loads(git("show", f"{tag}:{prefix}{name}")))
    return history


def check(directory: Path = DEFAULT_DIR) -> Report:
    """Compare the committed files with the live contracts, and with every schema a version had in a release."""
    expected = expected_files()
    live = {schema_file_name(m): event_schema(m) for m in ALL_EVENTS}
    history = released_schemas(directory) if directory.is_dir() else {}
    report = Report()
    for path in sorted(directory.glob(f"*{SCHEMA_SUFFIX}")):
        committed = json.loads(path.read_text(encoding="utf-8"))
        if path.name not in live:
            report.breaking[path.name] = [
                BreakingChange("", "version removed from the contracts; readers and events on the topics still use it")
            ]
        elif changes := transitive_breaking_changes([committed, *history.get(path.name, [])], live[path.name]):
            report.breaking[path.name] = changes
    for name, text in expected.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            report.stale.append(name)
    return report


def export(directory: Path = DEFAULT_DIR) -> Report:
    """Write the stale files, unless a change breaks a committed version (then write nothing)."""
    report = check(directory)
    if report.breaking:
        return report
    directory.mkdir(parents=True, exist_ok=True)
    expected = expected_files()
    for name in report.stale:
        (directory / name).write_text(expected[name], encoding="utf-8")
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    for action, text in (
        ("export", "write docs/events (JSON Schemas, catalogue.md)"),
        ("check", "fail when docs/events is stale or a change breaks a published version"),
    ):
        p = sub.add_parser(action, help=text)
        p.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"default {DEFAULT_DIR}")


def run(args: argparse.Namespace) -> int:
    if args.action == "export":
        report = export(args.dir)
        for line in report.lines() if report.breaking else []:
            print(line, file=sys.stderr)
        if report.breaking:
            print(
                "nothing written: add a new version of the event (a new class with version = N+1) instead",
                file=sys.stderr,
            )
            return 1
        print(f"{len(report.stale)} file(s) written to {args.dir}" if report.stale else f"{args.dir} is up to date")
        return 0
    report = check(args.dir)
    for line in report.lines():
        print(line, file=sys.stderr)
    if report.stale and not report.breaking:
        print("run: python -m owes_service.catalogue export", file=sys.stderr)
    print("catalogue is up to date and compatible" if report.ok else "catalogue check failed")
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m owes_service.catalogue", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
