"""What the ops tests share: where the deploy files are, compose's variable interpolation, and whether an
environment variable names a real setting of a service (pydantic-settings ignores unknown ones silently)."""

from __future__ import annotations

import importlib
import os
import re
import typing
from pathlib import Path
from unittest import mock

import yaml
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = DEPLOY / "Dockerfile"
PRINCIPALS = DEPLOY / "kafka" / "principals.conf"
SERVICES = ("recruitment", "advisory", "grants", "reporting")

# What a service cannot run without in a container: its own database and an authenticated, idempotent producer.
REQUIRED_SETTINGS = (
    "DATABASE_URL",
    "KAFKA__BOOTSTRAP_SERVERS",
    "KAFKA__ENABLE_IDEMPOTENCE",
    "KAFKA__SECURITY_PROTOCOL",
    "KAFKA__SASL_MECHANISM",
    "KAFKA__SASL_USERNAME",
    "KAFKA__SASL_PASSWORD",
)

_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|(?P<escaped>\$))"
)


def settings_class(service: str):
    return getattr(importlib.import_module(f"{service}.settings"), f"{service.capitalize()}Settings")


def env_prefix(service: str) -> str:
    return settings_class(service).model_config["env_prefix"]


def setting_for(service: str, name: str) -> tuple[str, ...] | None:
    """The settings field an environment variable sets, e.g. ('kafka', 'sasl_username'); None if it sets none."""
    prefix = env_prefix(service)
    if not name.upper().startswith(prefix):
        return None
    parts = tuple(name[len(prefix) :].lower().split("__"))
    model = settings_class(service)
    for i, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return None
        if i < len(parts) - 1:
            nested = [
                t
                for t in (field.annotation, *typing.get_args(field.annotation))
                if isinstance(t, type) and issubclass(t, BaseModel)
            ]
            if not nested:
                return None
            model = nested[0]
    return parts


def load_settings(service: str, environment: dict[str, str]):
    """The service's settings as its container would read them from exactly this environment."""
    with mock.patch.dict(os.environ, environment, clear=True):
        return settings_class(service)()


def read_dotenv(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


class MissingVariable(KeyError):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
    ${VAR:+alt}, ${VAR+alt} and $$ for a literal dollar."""

    def replace(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        value = env.get(name)
        unset_or_empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":-", "-"):
            return arg if unset_or_empty else value
        if op in (":?", "?"):
            if unset_or_empty:
                raise MissingVariable(f"{name}: {arg}")
            return value
        if op in (":+", "+"):
            return "" if unset_or_empty else arg
        return value or ""

    return _VARIABLE.sub(replace, text)


def variables(text: str) -> list[tuple[str, str | None]]:
    """The variables a value refers to, with their operator (None, ':-', ':?', ...)."""
    return [(m["braced"] or m["bare"], m["op"]) for m in _VARIABLE.finditer(text) if not m["escaped"]]


def deep_interpolate(value, env: dict[str, str]):
    if isinstance(value, str):
        return interpolate(value, env)
    if isinstance(value, dict):
        return {k: deep_interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_interpolate(v, env) for v in value]
    return value


def strings_in(value):
    """Every string anywhere in a loaded YAML document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def principal_lines() -> list[tuple[str, list[str], str]]:
    """deploy/kafka/principals.conf: (name, producers whose events it may read, kind) per line."""
    rows = []
    for line in PRINCIPALS.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, reads, *kind = line.split()
            rows.append((name, [] if reads == "-" else reads.split(","), kind[0] if kind else "service"))
    return rows


def principals() -> dict[str, list[str]]:
    """The services among the principals, and the producers whose events each may read."""
    return {name: reads for name, reads, kind in principal_lines() if kind == "service"}


def readers() -> dict[str, list[str]]:
    """The read-only principals (integrators' tools), and the producers whose events each may read."""
    return {name: reads for name, reads, kind in principal_lines() if kind == "reader"}
