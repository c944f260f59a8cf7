"""Refusals that carry their values: the API says them in English, the staff pages in the page's language.

A refusal built with an f-string bakes its values into the text, so no catalogue can hold it. ``refusal`` keeps
the template (``%(name)s`` placeholders, the msgid of the catalogues) and the values beside the English text; the
text itself is what the API's problem detail has always said.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


class Refusal(str):
    """The English text of a refusal that remembers its template and values (a str: it goes anywhere text goes)."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, /, **values: Any) -> Refusal:
        self = super().__new__(cls, template % values if values else template)
        self.template = template
        self.values = values
        return self


def refusal(template: str, /, **values: Any) -> Refusal:
    """A refusal whose template the catalogues translate and whose values each language writes its own way."""
    return Refusal(template, **values)


def joined(parts: list[str], separator: str = "; ") -> str:
    """Several reasons said one after another; each keeps its own wording (an empty list says nothing)."""
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return Refusal("%(first)s" + separator.replace("%", "%%") + "%(rest)s", first=parts[0], rest=joined(parts[1:]))


class Money(Decimal):
    """An amount in PLN inside a refusal: English keeps the plain number, Polish writes 1 800,00 zł."""

    __slots__ = ()


def because(exc: BaseException) -> str:
    """An exception's reason for use inside another refusal: its own refusal when it carries one (so it is
    translated in its own words), else its text."""
    return worded(exc) or str(exc)


def worded(reason: object) -> Refusal | None:
    """The refusal carried by an exception's first argument or by a text, if it is one."""
    if isinstance(reason, Refusal):
        return reason
    if isinstance(reason, BaseException) and reason.args and isinstance(reason.args[0], Refusal):
        return reason.args[0]
    return None
