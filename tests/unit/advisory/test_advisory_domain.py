from decimal import Decimal

import pytest

from advisory import domain


class TestHours:
    @pytest.mark.parametrize("value,recorded", [("1.5", "1.50"), ("0.25", "0.25"), ("8", "8.00"), ("2.750", "2.75")])
    def test_quarter_hours_are_recorded_with_two_places(self, value, recorded):
        assert str(domain.valid_hours(Decimal(value), at_most=Decimal("8"))) == recorded

    @pytest.mark.parametrize("value", ["0", "-1", "-0.25"])
    def test_rejects_hours_that_are_not_positive(self, value):
        with pytest.raises(domain.InvalidHours, match="positive"):
            domain.valid_hours(Decimal(value), at_most=Decimal("8"))

    @pytest.mark.parametrize("value", ["NaN", "Infinity", "sNaN"])
    def test_rejects_what_is_not_a_finite_number(self, value):
        with pytest.raises(domain.InvalidHours):
            domain.valid_hours(Decimal(value), at_most=Decimal("8"))

    @pytest.mark.parametrize("value", ["0.1", "1.33", "0.3"])
    def test_rejects_fractions_finer_than_a_quarter_hour(self, value):
        with pytest.raises(domain.InvalidHours, match="quarter hours"):
            domain.valid_hours(Decimal(value), at_most=Decimal("8"))

    def test_rejects_more_than_the_limit(self):
        with pytest.raises(domain.InvalidHours, match="at most 8"):
            domain.valid_hours(Decimal("8.25"), at_most=Decimal("8"))


class TestWhoMayBeSupported:
    def test_an_eligible_participant_who_has_not_withdrawn(self):
        standing = domain.ParticipantStanding(eligibility="eligible", withdrawn=False)
        assert domain.why_participant_cannot_be_supported("p_12345678", standing) is None

    @pytest.mark.parametrize(
        "standing,why",
        [
            (None, "not known to advisory as eligible"),
            (domain.ParticipantStanding(eligibility="eligible", withdrawn=True), "withdrawn"),
            (domain.ParticipantStanding(eligibility=None, withdrawn=True), "withdrawn"),
            (domain.ParticipantStanding(eligibility="rejected", withdrawn=False), "found not eligible"),
            (domain.ParticipantStanding(eligibility=None, withdrawn=False), "not been confirmed"),
        ],
    )
    def test_nobody_else(self, standing, why):
        reason = domain.why_participant_cannot_be_supported("p_12345678", standing)
        assert why in reason and "p_12345678" in reason


class TestTrainingAttendance:
    @pytest.mark.parametrize(
        "hours,percent,needed", [("24", 80, "19.20"), ("10", 85, "8.50"), ("7.5", 33, "2.48"), ("16", 100, "16.00")]
    )
    def test_required_attendance_is_a_share_of_the_hours_rounded_up(self, hours, percent, needed):
        assert str(domain.required_attendance(Decimal(hours), percent)) == needed

    def test_attendance_adds_up_to_the_length_of_the_training(self):
        assert domain.check_attendance_fits(
            attended=Decimal("6"), adding=Decimal("4"), training_hours=Decimal("10")
        ) == Decimal("10")

    def test_attendance_never_exceeds_the_length_of_the_training(self):
        with pytest.raises(domain.AttendanceExceeded, match="exceed the training's 10 hours"):
            domain.check_attendance_fits(attended=Decimal("6"), adding=Decimal("4.25"), training_hours=Decimal("10"))

    def test_completion_needs_the_required_share(self):
        domain.check_attendance_met(attended=Decimal("8"), training_hours=Decimal("10"), percent=80)
        with pytest.raises(domain.AttendanceNotMet, match=r"attended 7.75 of 10 hours; 8.00 .80%. are required"):
            domain.check_attendance_met(attended=Decimal("7.75"), training_hours=Decimal("10"), percent=80)


def test_ids_carry_their_kind_and_are_random():
    ids = {domain.new_id("ses") for _ in range(500)}
    assert len(ids) == 500 and all(i.startswith("ses_") for i in ids)
