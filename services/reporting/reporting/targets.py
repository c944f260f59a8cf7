"""Indicator targets are configuration: a TOML, YAML or JSON file, plus overrides from settings."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

DEFAULT_TARGETS_FILE = Path(__file__).with_name("targets.toml")


class TargetsError(ValueError):
    """The targets configuration cannot be used (unreadable file, unknown indicator, bad number)."""


@dataclass(frozen=True)
class Targets:
    project: str
    source: str
    values: dict[str, Decimal]

    def of(self, indicator: str) -> Decimal | None:
        return self.values.get(indicator)


def _read(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetsError(f"cannot read targets file {path}: {exc}") from None
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml", ".json"):
        raise TargetsError(f"targets file {path} must end in .toml, .yaml, .yml or .json")
    import yaml  # PyYAML: installed with the service's dependencies (uvicorn, faststream)

    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise TargetsError(f"targets file {path} is not valid {suffix[1:].upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise TargetsError(f"targets file {path} must hold a mapping")
    return data


def _number(indicator: str, raw: object) -> Decimal:
    if isinstance(raw, bool):
        raise TargetsError(f"target of {indicator!r} must be a number, not {raw!r}")
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise TargetsError(f"target of {indicator!r} must be a number, not {raw!r}") from None
    if not value.is_finite() or value <= 0:
        raise TargetsError(f"target of {indicator!r} must be a positive number, not {raw!r}")
    return value


def load_targets(*, known: set[str], path: Path | None = None, overrides: dict | None = None) -> Targets:
    """Targets from the file (default: the one shipped with the package), then the overrides on top."""
    path = Path(path) if path else DEFAULT_TARGETS_FILE
    data = _read(path)
    raw = data.get("targets", {})
    if not isinstance(raw, dict):
        raise TargetsError(f"'targets' in {path} must be a mapping of indicator to number")
    merged = {**raw, **(overrides or {})}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise TargetsError(f"unknown indicator(s) in targets: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values = {key: _number(key, value) for key, value in merged.items() if value is not None}
    # the file's name, never its folder: the source is shown on pages and in exports (no server path, issue 13)
    source = path.name + (" + overrides" if overrides else "")
    return Targets(project=str(data.get("project", "")), source=source, values=values)
