"""Recruitment domain rules: pure functions and values, no framework imports."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from enum import StrEnum

from owes_contracts import AgeBand, Gender, OrganisationType

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


def new_organisation_id() -> str:
    return f"org_{secrets.token_hex(8)}"


def new_group_id() -> str:
    return f"grp_{secrets.token_hex(8)}"


# --- Participant life cycle ---------------------------------------------------------------------------

class ParticipantStatus(StrEnum):
    """Where a participant is: recruited, then eligible or rejected; withdrawn ends participation."""

    RECRUITED = "recruited"
    ELIGIBLE = "eligible"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class StateConflict(ValueError):
    """The current state of a participant or organisation does not allow the requested step."""


def check_eligibility_can_be_decided(status: str, *, erased: bool) -> None:
    """Eligibility is decided once, for a recruited participant whose personal data is still held."""
    if status == ParticipantStatus.WITHDRAWN:
        raise StateConflict("the participant has withdrawn")
    if status in (ParticipantStatus.ELIGIBLE, ParticipantStatus.REJECTED):
        raise StateConflict(f"eligibility was already decided ({status})")
    if erased:
        raise StateConflict("the participant's personal data was erased, so eligibility cannot be assessed")


def check_can_withdraw(status: str) -> None:
    """Only a participant taking part (recruited or eligible) can withdraw."""
    if status == ParticipantStatus.WITHDRAWN:
        raise StateConflict("the participant has already withdrawn")
    if status == ParticipantStatus.REJECTED:
        raise StateConflict("the participant was found not eligible and is not taking part")


def members_who_cannot_join(member_ids: Sequence[str], statuses: Mapping[str, str]) -> dict[str, str]:
    """For each would-be member of an initiative group who cannot join, why: only eligible participants join."""
    refused = {}
    for member_id in member_ids:
        status = statuses.get(member_id)
        if status is None:
            refused[member_id] = "unknown participant"
        elif status != ParticipantStatus.ELIGIBLE:
            refused[member_id] = {ParticipantStatus.RECRUITED: "eligibility not confirmed yet",
                                  ParticipantStatus.REJECTED: "found not eligible",
                                  ParticipantStatus.WITHDRAWN: "withdrawn"}.get(status, status)
    return refused


# --- Organisation identifiers -------------------------------------------------------------------------

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
REGON9_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
REGON14_WEIGHTS = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)
_SEPARATORS = str.maketrans("", "", " -")


class InvalidIdentifier(ValueError):
    pass


class InvalidNip(InvalidIdentifier):
    pass


class InvalidRegon(InvalidIdentifier):
    pass


class InvalidKrs(InvalidIdentifier):
    pass


def _digits(value: str) -> list[int]:
    return [int(c) for c in value]


def normalise_nip(value: str) -> str:
    """The 10-digit NIP (tax id) without separators; raise InvalidNip when malformed."""
    nip = value.strip().translate(_SEPARATORS)
    if len(nip) != 10 or not nip.isascii() or not nip.isdigit():
        raise InvalidNip("NIP must be 10 digits (dashes and spaces allowed)")
    digits = _digits(nip)
    checksum = sum(w * d for w, d in zip(NIP_WEIGHTS, digits)) % 11
    # A remainder of 10 is never issued: such a number has no valid check digit.
    if checksum == 10 or checksum != digits[9]:
        raise InvalidNip("NIP checksum does not match")
    return nip


def _regon_check_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(w * d for w, d in zip(weights, digits)) % 11 % 10  # a remainder of 10 gives check digit 0


def normalise_regon(value: str) -> str:
    """The 9- or 14-digit REGON without separators; raise InvalidRegon when malformed."""
    regon = value.strip().translate(_SEPARATORS)
    if len(regon) not in (9, 14) or not regon.isascii() or not regon.isdigit():
        raise InvalidRegon("REGON must be 9 or 14 digits")
    digits = _digits(regon)
    if _regon_check_digit(digits, REGON9_WEIGHTS) != digits[8]:
        # A 14-digit REGON (a local unit) starts with the 9-digit REGON of its entity, valid on its own.
        raise InvalidRegon("REGON checksum does not match" if len(regon) == 9
                           else "REGON: the first 9 digits (the entity's REGON) have a wrong checksum")
    if len(regon) == 14 and _regon_check_digit(digits, REGON14_WEIGHTS) != digits[13]:
        raise InvalidRegon("REGON checksum does not match")
    return regon


def normalise_krs(value: str) -> str:
    """The KRS number as 10 digits with leading zeros; accepts "KRS 0000380128", "0000380128" or "380128"."""
    krs = value.strip()
    if krs[:3].upper() == "KRS":
        krs = krs[3:].lstrip(" :")
    if not 1 <= len(krs) <= 10 or not krs.isascii() or not krs.isdigit():
        raise InvalidKrs("KRS number must be up to 10 digits, optionally after \"KRS\"")
    if int(krs) == 0:
        raise InvalidKrs("KRS number cannot be zero")
    return krs.zfill(10)


NGO_TYPES = frozenset({OrganisationType.ASSOCIATION, OrganisationType.FOUNDATION,
                       OrganisationType.CHURCH_LEGAL_PERSON})


class NotAnNgo(ValueError):
    """The step applies to NGOs (associations, foundations, church legal persons) only."""


def check_can_start_economic_activity(organisation_type: OrganisationType, *, already_runs: bool) -> None:
    """Only an NGO that does not run paid or economic activity yet can start it (the indicator counts NGOs)."""
    if organisation_type not in NGO_TYPES:
        raise NotAnNgo(f"a {organisation_type.value} is not an NGO; only associations, foundations and church "
                       "legal persons start paid public-benefit or economic activity")
    if already_runs:
        raise StateConflict("the organisation already runs paid public-benefit or economic activity")
