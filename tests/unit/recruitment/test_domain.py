import datetime as dt

import pytest

from helpers import make_pesel
from recruitment import domain


class TestPesel:
    def test_reads_birth_date_of_1900s(self):
        assert domain.pesel_birth_date("90010112318") == dt.date(1990, 1, 1)

    def test_reads_birth_date_of_2000s_from_month_offset(self):
        assert domain.pesel_birth_date("02270803624") == dt.date(2002, 7, 8)

    def test_rejects_wrong_checksum(self):
        with pytest.raises(domain.InvalidPesel, match="checksum"):
            domain.pesel_birth_date("90010112319")

    @pytest.mark.parametrize("value", ["", "1234567890", "123456789012", "9001011231a"])
    def test_rejects_wrong_shape(self, value):
        with pytest.raises(domain.InvalidPesel, match="11 digits"):
            domain.pesel_birth_date(value)

    def test_rejects_date_that_does_not_exist(self):
        # 30 February 1990 with a correct checksum
        body = "9002300011"
        check = (10 - sum(w * int(d) for w, d in zip(domain.PESEL_WEIGHTS, body)) % 10) % 10
        with pytest.raises(domain.InvalidPesel, match="does not exist"):
            domain.pesel_birth_date(body + str(check))

    def test_gender_from_tenth_digit(self):
        assert domain.pesel_gender(make_pesel(female=True)) == "female"
        assert domain.pesel_gender(make_pesel(female=False)) == "male"

    def test_generated_pesels_round_trip(self):
        for birth in (dt.date(1955, 12, 31), dt.date(2004, 2, 29)):
            assert domain.pesel_birth_date(make_pesel(birth)) == birth


class TestAgeBand:
    @pytest.mark.parametrize("age,band", [(18, "18-24"), (24, "18-24"), (25, "25-34"), (49, "35-49"),
                                          (64, "50-64"), (65, "65+")])
    def test_bands(self, age, band):
        assert domain.age_band(age) == band

    def test_age_counts_birthday_not_yet_reached(self):
        assert domain.age_on(dt.date(2000, 6, 2), dt.date(2025, 6, 1)) == 24
        assert domain.age_on(dt.date(2000, 6, 2), dt.date(2025, 6, 2)) == 25


def test_participant_ids_are_random_and_pseudonymous():
    ids = {domain.new_participant_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("p_") and len(i) == 18 for i in ids)
