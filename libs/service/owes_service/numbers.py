"""Numbers at the edge are what they look like (issue 13, "Bounds"): a count is a whole number, an amount or a
duration a plain decimal. Python and pydantic's lax mode read more: "1e3" as a thousand, 2.0 or True as a count,
Arabic-Indic or full-width digits as digits; a caller who sends those made a mistake to name, not to guess at.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator

_PLAIN_DECIMAL = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")
_WHOLE = re.compile(r"^[0-9]+$")


def _count(value: Any) -> Any:
    if isinstance(value, bool | float | Decimal):
        raise ValueError("a count is a whole number such as 5, never true/false or a fraction")
    if isinstance(value, str):
        if not _WHOLE.match(value.strip()):
            raise ValueError('a count is written with the digits 0-9 only, such as "5"')
        return int(value.strip())
    return value


def _plain_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a number, not true/false")
    if isinstance(value, str) and not _PLAIN_DECIMAL.match(value.strip()):
        raise ValueError('a decimal is written with the digits 0-9 and a point, such as "1500.00" (no exponent)')
    return value


# A whole number: an int, or a string of ASCII digits (a page's form sends strings); no bool, float or "1e3".
Count = Annotated[int, BeforeValidator(_count)]
# A decimal as digits and a point: no exponent ("1e3"), no other script's digits, no true/false.
PlainDecimal = Annotated[Decimal, BeforeValidator(_plain_decimal)]
