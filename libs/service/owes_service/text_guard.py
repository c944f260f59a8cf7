"""Text that cannot be shown safely is refused at the edge, in every field of every write (issue 13, "Bounds").

Control characters (NUL included) and the Unicode bidirectional overrides and isolates can hide or reorder what
a person reads on a page, in an export or in a log line ("Trojan Source"), so a JSON or form body carrying one in
any string, key or value, is answered 422 with the field, before any route sees it. A line feed is allowed (notes
have lines; a browser's CR LF counts as one); a tab or a lone carriage return is not (they start spreadsheet
formulas, and a CR splits log lines).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Receive, Scope, Send

from .asgi import read_body, replay, send_problem

WRITE_METHODS = {"POST", "PUT", "PATCH"}
BIDI_CONTROLS = {
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
}


# Every character of Unicode's Cc category (C0, DEL, C1) but the line feed, a carriage return not followed by a
# line feed (browsers send a textarea's line breaks as CR LF), and the bidirectional controls: one pass in C.
_UNSAFE = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]|\r(?!\n)")


def unsafe_character(text: str) -> str | None:
    """The first character of `text` that must not be stored, named, or None."""
    found = _UNSAFE.search(text)
    if found is None:
        return None
    char = found.group()[0]
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


# Digits written with single separators between them ("600 100 200", "+48-600-100-200", "020708 03628").
_DIGIT_RUN = re.compile(r"\+?\(?\d(?:[ ().-]{0,2}\d){6,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# The services' own random ids ("org_84878eb663601159": a prefix and 64 bits in hex) hold digit runs that are
# no one's number; read as a phone number, a sole trader's published name ("Sole trader org_…") was refused.
_OWN_ID = re.compile(r"\b[a-z]{1,6}_[0-9a-f]{16}\b")


def personal_data_in(text: str) -> str | None:
    """What in a free text looks like personal data ("a PESEL", "an e-mail address", "a phone number"), or None.

    Free text (a reason's note, a title, a summary, a name) is read by people who must not see a person's
    identifiers there, and some of it is copied to other systems: a PESEL, an e-mail or a phone number belongs
    in the participant's record only. Eleven digits read as a PESEL, nine (or any number after a "+") as a
    phone number; ten digits (a NIP or KRS number, not personal) and dates pass.
    """
    if _EMAIL.search(text):
        return "an e-mail address"
    for match in _DIGIT_RUN.finditer(_OWN_ID.sub(" ", text)):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 11 and not match.group().startswith("+"):
            return "a PESEL"
        if len(digits) == 9 or (match.group().startswith("+") and len(digits) >= 9):
            return "a phone number"
    return None


def _no_personal_data(text: str) -> str:
    found = personal_data_in(text)
    if found:
        raise PydanticCustomError(
            "personal_data",
            "Text that looks like {found} is refused here: personal data stays in the participant's record",
            {"found": found},
        )
    return text


# A free-text field of any service: refused (422) when it looks like it holds a PESEL, an e-mail or a phone number.
FreeText = Annotated[str, AfterValidator(_no_personal_data)]


def _strings(value: Any, loc: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*loc, key), str(key)
            yield from _strings(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*loc, index))


class TextGuardMiddleware:
    """Refuses a write whose body holds a control character or a bidirectional override in any text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            return await self.app(scope, receive, send)
        messages, body = await read_body(receive)
        content_type = dict(scope.get("headers") or ()).get(b"content-type", b"").decode("latin-1")
        errors = self._errors(body, content_type)
        if errors:
            return await send_problem(
                send,
                {
                    "type": "about:blank",
                    "title": "Unsafe characters in text",
                    "status": 422,
                    "detail": "Text may not contain control characters or bidirectional overrides.",
                    "errors": errors,
                },
            )
        await self.app(scope, replay(messages, receive), send)

    @staticmethod
    def _errors(body: bytes, content_type: str) -> list[dict]:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return []  # not text: the route's own parsing answers it
        found: Iterable[tuple[tuple, str]]
        if "json" in content_type:
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):  # not JSON, or nested deeper than a parser will go
                return []
            found = _strings(data, ("body",))
        elif "x-www-form-urlencoded" in content_type:
            found = (((("body", k), k)) for k, _ in parse_qsl(text, keep_blank_values=True))
            found = [*found, *((("body", k), v) for k, v in parse_qsl(text, keep_blank_values=True))]
        else:
            return []
        errors = []
        for loc, value in found:
            bad = unsafe_character(value)
            if bad:
                errors.append({"loc": list(loc), "msg": f"contains {bad}"})
        return errors[:20]
