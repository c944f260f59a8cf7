"""Reason codes with a note: what a request's older free-text `reason` becomes, so no staff words reach an event."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pydantic import Field

Request = TypeVar("Request", bound=Any)


def reason_as_note(request: Request, other: StrEnum, *, required: bool = True) -> Request:
    """Take a caller's free text (the field `reason`) as the note kept in the service and the code as `other`;
    with `required`, a request without a code is refused."""
    if request.reason is not None:
        request.note = request.note or request.reason
        request.reason_code = request.reason_code or other
        request.reason = None
    if required and request.reason_code is None:
        raise ValueError("a reason_code is required")
    return request


def note_field(about: str = "", **constraints: Any) -> Any:
    """The field `note` beside a reason code: staff's own words (about what), kept in the service, never published."""
    on = f" on {about}" if about else ""
    return Field(
        default=None,
        min_length=1,
        max_length=500,
        description=f"Staff's own words{on}: kept here, never published; no PESEL, e-mail or phone.",
        **constraints,
    )


def deprecated_reason_field(**extra: Any) -> Any:
    """The older free-text field `reason`, which reason_as_note takes as the note."""
    return Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Deprecated: free text taken as the note, with reason_code other.",
        deprecated=True,
        **extra,
    )
