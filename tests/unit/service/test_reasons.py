"""A request's older free-text reason becomes the note and the code 'other'; no code at all is refused."""

from dataclasses import dataclass

import pytest

from owes_contracts import WithdrawalReason
from owes_service.reasons import reason_as_note


@dataclass
class _Request:
    reason_code: WithdrawalReason | None = None
    note: str | None = None
    reason: str | None = None


def test_free_text_becomes_the_note_with_the_code_other() -> None:
    request = reason_as_note(_Request(reason="Przeprowadzka do Gliwic"), WithdrawalReason.OTHER)
    assert (request.reason_code, request.note, request.reason) == (
        WithdrawalReason.OTHER,
        "Przeprowadzka do Gliwic",
        None,
    )


def test_a_given_code_and_note_are_kept() -> None:
    request = reason_as_note(
        _Request(reason_code=WithdrawalReason.MOVED_AWAY, note="własna notatka", reason="tekst"), WithdrawalReason.OTHER
    )
    assert (request.reason_code, request.note, request.reason) == (WithdrawalReason.MOVED_AWAY, "własna notatka", None)


def test_no_code_is_refused_when_one_is_required() -> None:
    with pytest.raises(ValueError, match="reason_code is required"):
        reason_as_note(_Request(), WithdrawalReason.OTHER)
    assert reason_as_note(_Request(), WithdrawalReason.OTHER, required=False).reason_code is None
