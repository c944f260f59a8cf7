"""One rule per Polish identifier for every service: PESEL, NIP, REGON by python-stdnum, KRS by one function."""

from __future__ import annotations

import datetime as dt

import pytest

from grants import domain as grants_domain
from owes_service import identifiers
from owes_service.privacy import is_pesel_shaped
from recruitment import domain as recruitment_domain

KRS_WRITTEN = [
    "KRS 0000380128",
    "krs0000380128",
    "KRS: 380128",
    "KRS nr 380128",
    "0000380128",
    "380128",
    " 380128 ",
    "380 128",
    "0000-380-128",
]
NOT_KRS = ["", "KRS", "12345678901", "KRS 38O128", "0000000000", "-380128", "NIP 380128", "３８０１２８"]


class TestKrs:
    @pytest.mark.parametrize("written", KRS_WRITTEN)
    def test_recruitment_and_grants_read_a_number_the_same_way(self, written):
        assert (
            identifiers.normalise_krs(written)
            == recruitment_domain.normalise_krs(written)
            == grants_domain.normalise_krs(written)
            == "0000380128"
        )

    @pytest.mark.parametrize("written", NOT_KRS)
    def test_recruitment_and_grants_refuse_the_same_numbers(self, written):
        with pytest.raises(identifiers.InvalidKrs):
            recruitment_domain.normalise_krs(written)
        with pytest.raises(grants_domain.RuleBroken):
            grants_domain.normalise_krs(written)

    def test_the_copies_are_gone(self):
        assert recruitment_domain.normalise_krs is identifiers.normalise_krs
        assert recruitment_domain.pesel_birth_date is identifiers.pesel_birth_date
        assert not hasattr(recruitment_domain, "PESEL_WEIGHTS") and not hasattr(recruitment_domain, "NIP_WEIGHTS")


class TestPesel:
    def test_birth_dates_of_every_century_and_the_sex(self):
        assert identifiers.pesel_birth_date("44051401359") == dt.date(1944, 5, 14)
        assert identifiers.pesel_birth_date("02270803624") == dt.date(2002, 7, 8)
        assert identifiers.pesel_gender("44051401359") == "male"
        assert identifiers.pesel_gender("02270803624") == "female"

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("44051401358", "checksum"),
            ("4405140135", "11 digits"),
            ("４４051401359", "11 digits"),
            ("44051401359 ", "11 digits"),
        ],
    )
    def test_refusals_say_why(self, value, message):
        with pytest.raises(identifiers.InvalidPesel, match=message):
            identifiers.pesel_birth_date(value)

    def test_the_privacy_scan_uses_the_same_rule(self):
        assert is_pesel_shaped("44051401359") and not is_pesel_shaped("44051401358")
        assert not is_pesel_shaped("４４051401359")


class TestNipAndRegon:
    def test_separators_are_dropped_and_checksums_checked(self):
        assert identifiers.normalise_nip("123-456-32-18") == "1234563218"
        assert identifiers.normalise_regon("12345678512347") == "12345678512347"
        with pytest.raises(identifiers.InvalidNip, match="checksum"):
            identifiers.normalise_nip("1234563219")
        with pytest.raises(identifiers.InvalidNip, match="10 digits"):
            identifiers.normalise_nip("１２３4563218")
        with pytest.raises(identifiers.InvalidRegon, match="checksum"):
            identifiers.normalise_regon("12345678512348")
