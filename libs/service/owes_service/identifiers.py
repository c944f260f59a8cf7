"""Polish identifiers, one rule each for every service: PESEL, NIP and REGON through python-stdnum (stdnum.pl),
and the KRS number, which has no check digit and so no library rule, here.

python-stdnum is maintained against the registries' published algorithms (PESEL's century offsets, REGON's
9- and 14-digit forms, NIP's unissued remainder 10); the services keep only the messages people read.
"""

from __future__ import annotations

import datetime as dt
import re

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.pl import nip as _nip
from stdnum.pl import pesel as _pesel
from stdnum.pl import regon as _regon

from owes_contracts import Gender


class InvalidIdentifier(ValueError):
    pass


class InvalidPesel(InvalidIdentifier):
    pass


class InvalidNip(InvalidIdentifier):
    pass


class InvalidRegon(InvalidIdentifier):
    pass


class InvalidKrs(InvalidIdentifier):
    def __init__(self, message: str, *, zero: bool = False) -> None:
        super().__init__(message)
        self.zero = zero  # well-formed but 0000000000, which the register never issues


def _ascii_digits_only(value: str) -> bool:
    # stdnum folds look-alike characters (full-width digits) into digits; a register number is typed in ASCII.
    return value.isascii()


def pesel_birth_date(pesel: str) -> dt.date:
    """The birth date encoded in a PESEL; raise InvalidPesel when the number is malformed."""
    if len(pesel) != 11 or not pesel.isdigit() or not _ascii_digits_only(pesel):
        raise InvalidPesel("PESEL must be exactly 11 digits")
    try:
        _pesel.validate(pesel)
    except InvalidChecksum:
        raise InvalidPesel("PESEL checksum does not match") from None
    except InvalidComponent:  # the month encodes no century, or the day does not exist
        raise InvalidPesel("PESEL encodes a date that does not exist") from None
    except ValidationError:
        raise InvalidPesel("PESEL must be exactly 11 digits") from None
    return _pesel.get_birth_date(pesel)


def pesel_gender(pesel: str) -> Gender:
    """The sex a (valid) PESEL records."""
    return Gender.MALE if _pesel.get_gender(pesel) == "M" else Gender.FEMALE


def canonical_pesel(value: str) -> str:
    """A PESEL as typed, without the spaces and dashes people group it with: the form it is checked, stored and
    compared in (a duplicate written "020708 03628" is the same person)."""
    return value.strip().translate(_SEPARATORS)


def is_pesel(value: str) -> bool:
    """Whether a string of 11 ASCII digits is a valid PESEL (checksum and birth date)."""
    return len(value) == 11 and value.isascii() and _pesel.is_valid(value)


_SEPARATORS = str.maketrans("", "", " -")


def normalise_nip(value: str) -> str:
    """The 10-digit NIP (tax id) without separators; raise InvalidNip when malformed."""
    nip = value.strip().translate(_SEPARATORS)
    if len(nip) != 10 or not nip.isascii() or not nip.isdigit():
        raise InvalidNip("NIP must be 10 digits (dashes and spaces allowed)")
    try:
        return _nip.validate(nip)
    except (InvalidChecksum, InvalidFormat, InvalidLength):
        raise InvalidNip("NIP checksum does not match") from None


def normalise_regon(value: str) -> str:
    """The 9- or 14-digit REGON without separators; raise InvalidRegon when malformed."""
    regon = value.strip().translate(_SEPARATORS)
    if len(regon) not in (9, 14) or not regon.isascii() or not regon.isdigit():
        raise InvalidRegon("REGON must be 9 or 14 digits")
    if len(regon) == 14 and not _regon.is_valid(regon[:9]):
        # A 14-digit REGON (a local unit) starts with the 9-digit REGON of its entity, valid on its own.
        raise InvalidRegon("REGON: the first 9 digits (the entity's REGON) have a wrong checksum")
    try:
        return _regon.validate(regon)
    except ValidationError:
        raise InvalidRegon("REGON checksum does not match") from None


# the digits may be grouped with spaces or dashes, as NIP's are: "KRS 0000-380-128" is "0000380128"
_KRS = re.compile(r"^(?:KRS\s*(?:nr\.?\s*|:\s*)?)?(\d[\d -]*)$", re.IGNORECASE)


def normalise_krs(value: str) -> str:
    """The KRS number as 10 digits with leading zeros; accepts "KRS 0000380128", "KRS nr 380128", "0000380128",
    "380128". Raise InvalidKrs otherwise."""
    match = _KRS.match(value.strip())
    digits = match.group(1).translate(_SEPARATORS) if match else ""
    if not digits or len(digits) > 10 or not digits.isascii():
        raise InvalidKrs('KRS number must be up to 10 digits, optionally after "KRS"')
    krs = digits.zfill(10)
    if krs == "0" * 10:
        raise InvalidKrs("KRS number cannot be zero", zero=True)
    return krs
