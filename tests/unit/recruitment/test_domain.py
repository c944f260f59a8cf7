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
        check = (10 - sum(w * int(d) for w, d in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), body, strict=False)) % 10) % 10
        with pytest.raises(domain.InvalidPesel, match="does not exist"):
            domain.pesel_birth_date(body + str(check))

    def test_gender_from_tenth_digit(self):
        assert domain.pesel_gender(make_pesel(female=True)) == "female"
        assert domain.pesel_gender(make_pesel(female=False)) == "male"

    def test_generated_pesels_round_trip(self):
        for birth in (dt.date(1955, 12, 31), dt.date(2004, 2, 29)):
            assert domain.pesel_birth_date(make_pesel(birth)) == birth


class TestAgeBand:
    @pytest.mark.parametrize(
        "age,band", [(18, "18-24"), (24, "18-24"), (25, "25-34"), (49, "35-49"), (64, "50-64"), (65, "65+")]
    )
    def test_bands(self, age, band):
        assert domain.age_band(age) == band

    def test_age_counts_birthday_not_yet_reached(self):
        assert domain.age_on(dt.date(2000, 6, 2), dt.date(2025, 6, 1)) == 24
        assert domain.age_on(dt.date(2000, 6, 2), dt.date(2025, 6, 2)) == 25


def test_participant_ids_are_random_and_pseudonymous():
    ids = {domain.new_participant_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("p_") and len(i) == 18 for i in ids)


class TestNip:
    @pytest.mark.parametrize(
        "value,normalised",
        [("1234563218", "1234563218"), ("526-025-02-74", "5260250274"), (" 526 025 02 74 ", "5260250274")],
    )
    def test_accepts_valid_numbers_with_or_without_separators(self, value, normalised):
        assert domain.normalise_nip(value) == normalised

    def test_rejects_wrong_check_digit(self):
        with pytest.raises(domain.InvalidNip, match="checksum"):
            domain.normalise_nip("1234563217")

    def test_rejects_number_whose_remainder_is_ten_even_when_last_digit_is_zero(self):
        # weighted sum of 100000016 is 54, 54 mod 11 = 10: no NIP is ever issued with it
        with pytest.raises(domain.InvalidNip, match="checksum"):
            domain.normalise_nip("1000000160")

    @pytest.mark.parametrize("value", ["", "123456321", "12345632181", "12345632a8", "١٢٣٤٥٦٣٢١٨"])
    def test_rejects_wrong_shape(self, value):
        with pytest.raises(domain.InvalidNip, match="10 digits"):
            domain.normalise_nip(value)


class TestRegon:
    @pytest.mark.parametrize("value", ["123456785", "000331501", "12345678512347"])
    def test_accepts_valid_9_and_14_digit_numbers(self, value):
        assert domain.normalise_regon(value) == value

    def test_remainder_ten_gives_check_digit_zero(self):
        assert domain.normalise_regon("123456740") == "123456740"
        assert domain.normalise_regon("12345678500010") == "12345678500010"

    @pytest.mark.parametrize("value", ["123456786", "12345678512348"])
    def test_rejects_wrong_check_digit(self, value):
        with pytest.raises(domain.InvalidRegon, match="checksum"):
            domain.normalise_regon(value)

    def test_rejects_14_digits_whose_entity_regon_is_invalid(self):
        # the 13-digit checksum alone would pass (remainder 0 -> 0), but 123456789 is not a valid REGON
        digits = [int(c) for c in "1234567890000"]
        check = sum(w * d for w, d in zip((2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8), digits, strict=False)) % 11 % 10
        with pytest.raises(domain.InvalidRegon, match="first 9 digits"):
            domain.normalise_regon("1234567890000" + str(check))

    @pytest.mark.parametrize("value", ["", "12345678", "1234567850", "1234567851234", "12345678a"])
    def test_rejects_wrong_shape(self, value):
        with pytest.raises(domain.InvalidRegon, match="9 or 14 digits"):
            domain.normalise_regon(value)


class TestKrs:
    @pytest.mark.parametrize(
        "value", ["KRS 0000380128", "krs0000380128", "KRS: 380128", "0000380128", "380128", " 380128 "]
    )
    def test_normalises_to_ten_digits_with_leading_zeros(self, value):
        assert domain.normalise_krs(value) == "0000380128"

    @pytest.mark.parametrize("value", ["", "KRS", "12345678901", "KRS 38O128", "0000000000", "-380128"])
    def test_rejects_what_is_not_a_krs_number(self, value):
        with pytest.raises(domain.InvalidKrs):
            domain.normalise_krs(value)


class TestParticipantLifeCycle:
    def test_eligibility_is_decided_for_a_recruited_participant(self):
        domain.check_eligibility_can_be_decided("recruited", erased=False)

    @pytest.mark.parametrize(
        "status,why", [("eligible", "already decided"), ("rejected", "already decided"), ("withdrawn", "withdrawn")]
    )
    def test_eligibility_is_decided_once_and_never_after_withdrawal(self, status, why):
        with pytest.raises(domain.StateConflict, match=why):
            domain.check_eligibility_can_be_decided(status, erased=False)

    def test_eligibility_of_an_erased_participant_cannot_be_assessed(self):
        with pytest.raises(domain.StateConflict, match="erased"):
            domain.check_eligibility_can_be_decided("recruited", erased=True)

    @pytest.mark.parametrize("status", ["recruited", "eligible"])
    def test_a_participant_taking_part_can_withdraw(self, status):
        domain.check_can_withdraw(status)

    @pytest.mark.parametrize("status,why", [("withdrawn", "already withdrawn"), ("rejected", "not eligible")])
    def test_withdrawn_or_rejected_participants_cannot_withdraw(self, status, why):
        with pytest.raises(domain.StateConflict, match=why):
            domain.check_can_withdraw(status)


class TestInitiativeGroupMembers:
    def test_only_eligible_participants_join_and_every_other_is_named_with_the_reason(self):
        statuses = {"p_a": "eligible", "p_b": "recruited", "p_c": "rejected", "p_d": "withdrawn"}
        refused = domain.members_who_cannot_join(["p_a", "p_b", "p_c", "p_d", "p_e"], statuses)
        assert refused == {
            "p_b": "eligibility not confirmed yet",
            "p_c": "found not eligible",
            "p_d": "withdrawn",
            "p_e": "unknown participant",
        }

    def test_a_group_of_eligible_participants_is_accepted(self):
        assert domain.members_who_cannot_join(["p_a", "p_b"], {"p_a": "eligible", "p_b": "eligible"}) == {}


class TestEconomicActivity:
    @pytest.mark.parametrize("kind", ["association", "foundation", "church_legal_person"])
    def test_an_ngo_without_activity_can_start_it(self, kind):
        domain.check_can_start_economic_activity(domain.OrganisationType(kind), already_runs=False)

    def test_an_ngo_already_running_activity_cannot_start_it_again(self):
        with pytest.raises(domain.StateConflict, match="already runs"):
            domain.check_can_start_economic_activity(domain.OrganisationType.FOUNDATION, already_runs=True)

    @pytest.mark.parametrize("kind", ["social_cooperative", "local_business", "cis"])
    def test_other_entities_are_not_ngos(self, kind):
        with pytest.raises(domain.NotAnNgo, match="not an NGO"):
            domain.check_can_start_economic_activity(domain.OrganisationType(kind), already_runs=False)


def test_organisation_and_group_ids_are_random():
    assert len({domain.new_organisation_id() for _ in range(100)} | {domain.new_group_id() for _ in range(100)}) == 200


class TestParticipantDecisions:
    """The aggregate returns the event each decision causes and refuses what its state does not allow."""

    DAY = dt.date(2026, 3, 5)

    def participant(self, status=domain.ParticipantStatus.RECRUITED, *, erased=False):
        return domain.Participant("p_0123456789abcdef", status, dt.date(2026, 3, 1), erased=erased)

    def test_a_confirmation_is_recorded_once(self):
        participant = self.participant()
        event = participant.decide_eligibility(eligible=True, on=self.DAY)
        assert event == domain.ParticipantEligibilityConfirmed(
            participant_id="p_0123456789abcdef", confirmed_on=self.DAY
        )
        assert participant.status is domain.ParticipantStatus.ELIGIBLE
        with pytest.raises(domain.StateConflict, match="already decided"):
            participant.decide_eligibility(
                eligible=False, on=self.DAY, reason_code=domain.EligibilityRejectionReason.OTHER
            )

    def test_a_rejection_carries_the_code_and_its_fixed_label_only(self):
        code = domain.EligibilityRejectionReason.OUTSIDE_SUBREGION
        event = self.participant().decide_eligibility(eligible=False, on=self.DAY, reason_code=code)
        assert isinstance(event, domain.ParticipantEligibilityRejected)
        assert (event.reason_code, event.reason) == (code, code.label)

    def test_no_decision_about_a_person_whose_data_was_erased(self):
        with pytest.raises(domain.StateConflict, match="erased"):
            self.participant(erased=True).decide_eligibility(eligible=True, on=self.DAY)

    def test_a_rejected_participant_cannot_withdraw(self):
        with pytest.raises(domain.StateConflict, match="not eligible"):
            self.participant(domain.ParticipantStatus.REJECTED).withdraw(
                on=self.DAY, reason_code=domain.WithdrawalReason.EMPLOYMENT
            )

    def test_withdrawal_changes_the_status_and_says_why_by_code(self):
        participant = self.participant(domain.ParticipantStatus.ELIGIBLE)
        event = participant.withdraw(on=self.DAY, reason_code=domain.WithdrawalReason.HEALTH)
        assert participant.status is domain.ParticipantStatus.WITHDRAWN
        assert (event.withdrawn_on, event.reason_code) == (self.DAY, domain.WithdrawalReason.HEALTH)

    def test_erasing_twice_causes_one_event(self):
        participant = self.participant()
        assert participant.erase(on=self.DAY) == domain.ParticipantDataErased(
            participant_id="p_0123456789abcdef", erased_on=self.DAY
        )
        assert participant.erase(on=self.DAY) is None


class TestOrganisationDecisions:
    def test_an_ngo_starts_economic_activity_once(self):
        ngo = domain.Organisation("org_0123456789abcdef", domain.OrganisationType.FOUNDATION, False)
        event = ngo.start_economic_activity(activity="economic", on=dt.date(2026, 9, 1))
        assert (event.organisation_id, event.activity) == ("org_0123456789abcdef", "economic")
        with pytest.raises(domain.StateConflict, match="already runs"):
            ngo.start_economic_activity(activity="economic", on=dt.date(2026, 9, 2))

    def test_only_an_ngo_starts_it(self):
        cooperative = domain.Organisation("org_0123456789abcdef", domain.OrganisationType.SOCIAL_COOPERATIVE, False)
        with pytest.raises(domain.NotAnNgo):
            cooperative.start_economic_activity(activity="economic", on=dt.date(2026, 9, 1))
