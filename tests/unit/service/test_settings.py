"""owes_service.settings: the relay's linger is a short wait in seconds, read from the environment as the other
settings are, and a value that is not one is refused when the service starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from recruitment.settings import RecruitmentSettings


def test_the_relay_lingers_five_milliseconds_unless_told_otherwise(monkeypatch):
    assert RecruitmentSettings().outbox_linger == 0.005
    monkeypatch.setenv("RECRUITMENT_OUTBOX_LINGER", "0")
    assert RecruitmentSettings().outbox_linger == 0


@pytest.mark.parametrize("linger", [-0.001, 1.5, "soon"])
def test_a_linger_that_is_not_a_short_wait_is_refused(linger):
    with pytest.raises(ValidationError, match="outbox_linger"):
        RecruitmentSettings(outbox_linger=linger)
