"""Reason codes with a note: what a request's older free-text `reason` becomes, so no staff words reach an event."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

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
