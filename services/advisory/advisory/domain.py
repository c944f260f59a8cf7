"""Advisory domain rules: pure values and decisions, no framework imports.

As in grants, what a decision causes is returned as its event; the service layer stores the new state and
writes that event to the outbox in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any, TypeVar

from owes_contracts import AdvisorySessionHeld, MentoringProvided, TrainingCompleted
from owes_service.wording import refusal

HOURS_STEP = Decimal("0.25")  # time is recorded in quarter hours
MAX_SESSION_HOURS = Decimal("8")  # one advisory session is one sitting
MAX_MENTORING_HOURS = Decimal("8")  # one mentoring record is one day's mentoring
MAX_TRAINING_HOURS = Decimal("200")  # the whole programme of one training
MAX_ATTENDANCE_HOURS = Decimal("10")  # one attendance record is one day of a training
DEFAULT_REQUIRED_ATTENDANCE_PERCENT = 80
_CENT = Decimal("0.01")


class InvalidHours(ValueError):
    pass


class NotSupported(ValueError):
    """The beneficiary cannot receive support: unknown, not eligible, or withdrawn."""


class AttendanceExceeded(ValueError):
    pass


class AttendanceNotMet(ValueError):
    pass


def valid_hours(hours: Decimal, *, at_most: Decimal) -> Decimal:
    """Hours as a positive number of quarter hours up to a limit, with two decimal places."""
    try:
        if not hours.is_finite() or hours <= 0:
            raise InvalidHours("hours must be a positive number")
        if hours % HOURS_STEP != 0:
            raise InvalidHours("hours are recorded in quarter hours (0.25, 0.5, 0.75, ...)")
    except InvalidOperation:
        raise InvalidHours("hours must be a number") from None
    if hours > at_most:
        raise InvalidHours(refusal("at most %(at_most)s hours can be recorded at once", at_most=at_most))
    return hours.quantize(_CENT)


@dataclass(frozen=True)
class ParticipantStanding:
    """What advisory has learnt about a participant from recruitment's events."""

    eligibility: str | None  # "eligible", "rejected", or None before any decision was seen
    withdrawn: bool


def why_participant_cannot_be_supported(participant_id: str, standing: ParticipantStanding | None) -> str | None:
    """None when the participant may receive support; otherwise the reason, for the caller."""
    if standing is None:
        return refusal(
            "participant %(participant_id)s is not known to advisory as eligible: recruitment has not "
            "confirmed their eligibility (or the event has not arrived yet)",
            participant_id=participant_id,
        )
    if standing.withdrawn:
        return refusal("participant %(participant_id)s has withdrawn from the project", participant_id=participant_id)
    if standing.eligibility == "rejected":
        return refusal("participant %(participant_id)s was found not eligible", participant_id=participant_id)
    if standing.eligibility != "eligible":
        return refusal(
            "participant %(participant_id)s's eligibility has not been confirmed", participant_id=participant_id
        )
    return None


def required_attendance(training_hours: Decimal, percent: int) -> Decimal:
    """Hours a participant must attend to complete a training."""
    return (training_hours * percent / 100).quantize(_CENT, rounding=ROUND_UP)


def check_attendance_fits(*, attended: Decimal, adding: Decimal, training_hours: Decimal) -> Decimal:
    """The participant's attended hours after adding a record; never more than the training lasts."""
    total = attended + adding
    if total > training_hours:
        raise AttendanceExceeded(
            refusal(
                "%(total)s hours attended would exceed the training's %(training_hours)s hours "
                "(%(attended)s recorded so far)",
                total=total,
                training_hours=training_hours,
                attended=attended,
            )
        )
    return total


def check_attendance_met(*, attended: Decimal, training_hours: Decimal, percent: int) -> None:
    needed = required_attendance(training_hours, percent)
    if attended < needed:
        raise AttendanceNotMet(
            refusal(
                "attended %(attended)s of %(training_hours)s hours; %(needed)s (%(percent)s%%) are required",
                attended=attended,
                training_hours=training_hours,
                needed=needed,
                percent=percent,
            )
        )


# Support is given in hours to one beneficiary (the event checks there is exactly one), each kind within its limit.
Support = TypeVar("Support", AdvisorySessionHeld, MentoringProvided)


def give_support(event: type[Support], *, hours: Decimal, at_most: Decimal, **facts: Any) -> Support:
    """Hours of support, at most `at_most`, to one beneficiary the caller checked, as the event that says so."""
    return event(hours=valid_hours(hours, at_most=at_most), **facts)


hold_session = partial(give_support, AdvisorySessionHeld, at_most=MAX_SESSION_HOURS)
provide_mentoring = partial(give_support, MentoringProvided, at_most=MAX_MENTORING_HOURS)


@dataclass(frozen=True)
class Training:
    """A training on offer: its length and the share of it a participant must attend to complete it."""

    training_id: str
    title: str
    hours: Decimal
    required_attendance_percent: int
    starts_on: dt.date | None = None

    @property
    def required_hours(self) -> Decimal:
        return required_attendance(self.hours, self.required_attendance_percent)

    def attend(self, *, attended: Decimal, adding: Decimal) -> Decimal:
        """A participant's attended hours after one more day's record; never more than the training lasts."""
        return check_attendance_fits(attended=attended, adding=adding, training_hours=self.hours)

    def complete(self, *, participant_id: str, attended: Decimal, on: dt.date) -> TrainingCompleted:
        """A participant completes the training once their attendance meets its requirement."""
        check_attendance_met(attended=attended, training_hours=self.hours, percent=self.required_attendance_percent)
        return TrainingCompleted(
            training_id=self.training_id,
            participant_id=participant_id,
            completed_on=on,
            title=self.title,
            hours=self.hours,
        )


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"
