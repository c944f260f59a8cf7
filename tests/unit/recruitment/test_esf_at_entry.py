"""What the participant form's answers become on the day participation starts (ESF+ common indicators)."""

from __future__ import annotations

import pytest

from owes_contracts import LabourMarketStatus
from recruitment import domain

U, LTU = LabourMarketStatus.UNEMPLOYED, LabourMarketStatus.LONG_TERM_UNEMPLOYED


class TestLongTermUnemployment:
    @pytest.mark.parametrize(
        ("months", "age", "expected"),
        [(6, 24, U), (7, 24, LTU), (12, 25, U), (13, 25, LTU), (7, 25, U), (None, 40, U)],
    )
    def test_over_six_months_under_25_and_over_twelve_from_25(self, months, age, expected):
        assert domain.labour_status_at_start(U, months, age) is expected

    def test_other_statuses_stay_as_given(self):
        assert domain.labour_status_at_start(LabourMarketStatus.INACTIVE, 30, 40) is LabourMarketStatus.INACTIVE


@pytest.mark.parametrize(
    ("age", "group"), [(17, "under_18"), (18, "18_29"), (29, "18_29"), (30, "30_54"), (54, "30_54"), (55, "55_plus")]
)
def test_age_group_at_entry(age, group):
    assert domain.esf_age_group(age) == group
