"""The project's time zone, and the error for a date the project does not allow (shared by the definition and the
calendar, so neither imports the other's module for them)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .problems import InvalidInput

PROJECT_TIME_ZONE = "Europe/Warsaw"


class DateOutOfRange(InvalidInput, ValueError):
    """A date outside what the project allows (422 at the edge); the message says which bound, `field` which input."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, **({"field": field} if field else {}))
        self.field = field


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone of that name; a clear error for a misspelt one (settings and the project definition)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as {PROJECT_TIME_ZONE!r})") from None
