"""Tolerant reading: how a consumer one release behind reads events from a contract that has grown.

A published version may grow (a new optional field, a new enum value: owes_contracts.compatibility). A consumer
released before the growth still reads such events: it ignores the fields it does not know (the record on the
topic keeps them, for a replay or a rebuild after its upgrade) and keeps an enum value it does not know as
`UnknownValue`, which reads as "unknown" so that read models count it in an explicit "unknown" bucket. Anything
else that does not validate is still refused.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .base import Event

UNKNOWN = "unknown"
_ENUM_ERRORS = ("enum", "literal_error")


class UnknownValue(str):
    """An enum value this release does not know: it compares and prints as "unknown"; `raw` is what was sent."""

    raw: str

    def __new__(cls, raw: str) -> UnknownValue:
        value = super().__new__(cls, UNKNOWN)
        value.raw = raw
        return value

    @property
    def value(self) -> str:  # read models use `.value` of enum members
        return UNKNOWN

    def __repr__(self) -> str:
        return f"UnknownValue({self.raw!r})"


@dataclass(frozen=True)
class Reading:
    """A payload read tolerantly, and what was tolerated to read it."""

    payload: Event
    ignored_fields: tuple[str, ...] = ()
    unknown_values: dict[str, str] = field(default_factory=dict)  # field -> the value as sent

    @property
    def tolerated(self) -> bool:
        return bool(self.ignored_fields or self.unknown_values)


def read_tolerantly(model: type[Event], data: dict[str, Any]) -> Reading:
    """Validate `data` as `model`, ignoring unknown top-level fields and keeping unknown enum values.

    Raises the ValidationError of the strict reading when anything else is wrong.
    """
    try:
        return Reading(model.model_validate(data))
    except ValidationError as exc:
        strict_error = exc
    by_field: dict[str, list[ErrorDetails]] = {}
    for error in strict_error.errors():
        by_field.setdefault(str(error["loc"][0]) if error["loc"] else "", []).append(error)
    ignored: list[str] = []
    unknown: dict[str, str] = {}
    for name, errors in by_field.items():
        if [e["type"] for e in errors] == ["extra_forbidden"] and len(errors[0]["loc"]) == 1:
            ignored.append(name)
        elif (
            all(e["type"] in (*_ENUM_ERRORS, "none_required") for e in errors)
            and isinstance(data.get(name), str)
            and _placeholder(model, name) is not None
        ):
            unknown[name] = data[name]
        else:
            raise strict_error  # something no tolerance covers: the event cannot be used
    cleaned = {k: v for k, v in data.items() if k not in ignored}
    cleaned |= {name: _placeholder(model, name) for name in unknown}
    try:
        payload = model.model_validate(cleaned)
    except ValidationError:
        raise strict_error from None
    payload = payload.model_copy(update={name: UnknownValue(raw) for name, raw in unknown.items()})
    return Reading(payload, tuple(ignored), unknown)


def _placeholder(model: type[Event], name: str) -> Any:
    """A value the field accepts, to validate the rest of the payload while the unknown one is set aside."""
    info = model.model_fields.get(name)
    if info is None:
        return None
    for choice in _choices(info.annotation):
        return choice
    return None


def _choices(annotation: Any) -> list[Any]:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [member.value for member in annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return list(typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) if arg is not type(None) for c in _choices(arg)]
    if origin is typing.Annotated:
        return _choices(typing.get_args(annotation)[0])
    return []
