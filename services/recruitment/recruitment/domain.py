"""Recruitment domain rules: pure functions and values, no framework imports."""

from __future__ import annotations

import datetime as dt
import secrets

from owes_common.contracts import AgeBand, Gender

PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
# PESEL encodes the century in the month: +80 for 1800s, +0 for 1900s, +20, +40, +60 for 2000s-2200s.
_CENTURY_OFFSETS = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}


class InvalidPesel(ValueError):
    pass


def pesel_birth_date(pesel: str) -> dt.date:
    """The birth date encoded in a PESEL; raise InvalidPesel when the number is malformed."""
    if len(pesel) != 11 or not pesel.isdigit():
        raise InvalidPesel("PESEL must be exactly 11 digits")
    digits = [int(c) for c in pesel]
    checksum = (10 - sum(w * d for w, d in zip(PESEL_WEIGHTS, digits)) % 10) % 10
    if checksum != digits[10]:
        raise InvalidPesel("PESEL checksum does not match")
    year, month, day = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    offset = (month // 20) * 20
    century = _CENTURY_OFFSETS.get(offset)
    if century is None:
        raise InvalidPesel("PESEL month does not encode a valid century")
    try:
        return dt.date(century + year, month - offset, day)
    except ValueError:
        raise InvalidPesel("PESEL encodes a date that does not exist") from None


def pesel_gender(pesel: str) -> Gender:
    return Gender.MALE if int(pesel[9]) % 2 else Gender.FEMALE


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> AgeBand:
    if age < 25:
        return AgeBand.UNDER_25
    if age < 35:
        return AgeBand.FROM_25
    if age < 50:
        return AgeBand.FROM_35
    if age < 65:
        return AgeBand.FROM_50
    return AgeBand.OVER_64


def new_participant_id() -> str:
    """A random pseudonymous id: it reveals nothing and is only linkable through the recruitment database."""
    return f"p_{secrets.token_hex(8)}"
