import json
import uuid
from types import SimpleNamespace

import pytest

from helpers import make_pesel, participant_form, personal_values_used
from owes_service.privacy import find_personal_data, find_pesels, is_pesel_shaped, scan_record


class TestPeselShape:
    def test_recognises_valid_pesels_of_every_century(self):
        import datetime as dt

        for birth in (dt.date(1890, 5, 1), dt.date(1990, 1, 1), dt.date(2004, 12, 31)):
            assert is_pesel_shaped(make_pesel(birth))

    def test_ignores_eleven_digits_with_a_wrong_checksum(self):
        pesel = make_pesel()
        wrong = pesel[:10] + str((int(pesel[10]) + 1) % 10)
        assert not is_pesel_shaped(wrong)

    def test_ignores_a_month_that_encodes_no_century(self):
        body = "9013010001"  # month 13
        check = (10 - sum(w * int(d) for w, d in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), body, strict=False)) % 10) % 10
        assert not is_pesel_shaped(body + str(check))


class TestFindPesels:
    def test_finds_a_pesel_as_a_json_string_or_number(self):
        pesel = make_pesel()
        assert find_pesels(json.dumps({"pesel": pesel})) == [pesel]
        assert find_pesels(f'{{"n": {pesel}}}') == [pesel]

    def test_finds_a_pesel_inside_free_text(self):
        pesel = make_pesel()
        assert find_pesels(f"note: PESEL {pesel}, called twice") == [pesel]

    def test_does_not_see_pesels_inside_longer_numbers_or_hex_ids(self):
        pesel = make_pesel()
        assert find_pesels(f"1{pesel}") == []
        assert find_pesels(f"{pesel}5") == []
        assert find_pesels(f"p_a{pesel}b") == []

    def test_pseudonymous_ids_uuids_and_timestamps_are_not_flagged(self):
        from recruitment.domain import new_participant_id

        text = " ".join(
            [new_participant_id() for _ in range(2000)]
            + [str(uuid.uuid4()) for _ in range(2000)]
            + ["2025-03-01T10:15:30.123456+00:00", "1740823530123", "0000380128", "5213017228"]
        )
        assert find_pesels(text) == []


class TestFindPersonalData:
    def test_finds_known_names_and_contacts_as_words_in_any_case(self):
        text = '{"who": "ANNA nowak", "mail": "anna@example.org"}'
        assert find_personal_data(text, ["Anna", "Nowak", "anna@example.org"]) == ["Anna", "Nowak", "anna@example.org"]

    def test_a_known_name_inside_another_word_is_not_a_finding(self):
        assert find_personal_data("Hannah Nowakowska", ["Anna", "Nowak"]) == []

    def test_scans_key_value_and_headers_of_a_record(self):
        pesel = make_pesel()
        record = SimpleNamespace(
            topic="t.recruitment.events",
            partition=2,
            offset=7,
            key=b"p_1",
            value=b'{"ok": true}',
            headers=[("ce_subject", pesel.encode())],
        )
        [finding] = scan_record(record)
        assert (finding.topic, finding.partition, finding.offset, finding.where, finding.value) == (
            "t.recruitment.events",
            2,
            7,
            "header ce_subject",
            pesel,
        )


class TestFreeTextFieldsOfEvents:
    """The end-of-run scan also reads each reason, note, title, summary and name for a PESEL, e-mail or phone."""

    def record(self, payload: dict) -> SimpleNamespace:
        return SimpleNamespace(
            topic="t.grants.events", partition=0, offset=3, key=b"job_1", value=json.dumps(payload).encode(), headers=[]
        )

    @pytest.mark.parametrize(
        ("payload", "field", "looks_like"),
        [
            ({"job_id": "job_1", "reason": "zadzwonić 600 100 200"}, "reason", "a phone number"),
            ({"participant_id": "p_1", "note": "pisać na z.kowal@example.com"}, "note", "an e-mail address"),
            ({"training_id": "t_1", "title": "Szkolenie +48 32 123 45 67"}, "title", "a phone number"),
            (
                {"cooperative": {"cooperative_name": "Spółdzielnia 12345678903"}},
                "cooperative.cooperative_name",
                "a PESEL",
            ),
        ],
    )
    def test_personal_data_by_shape_in_a_free_text_field_is_a_finding(self, payload, field, looks_like):
        findings = [f for f in scan_record(self.record(payload)) if f.where == f"value.{field}"]
        assert len(findings) == 1 and findings[0].value.startswith(looks_like), findings

    def test_codes_ids_dates_amounts_and_krs_numbers_are_not_findings(self):
        payload = {
            "job_id": "job_9b2f6c",
            "reason": "Cooperative dissolved",
            "reason_code": "cooperative_dissolved",
            "ended_on": "2027-03-31",
            "amount": "23500.00",
            "krs": "0000380128",
            "cooperative_name": "Spółdzielnia Socjalna Razem",
        }
        assert scan_record(self.record(payload)) == []

    def test_a_sole_traders_published_name_with_digits_in_its_id_is_not_a_finding(self):
        # 64 random bits in hex: "663601159" is nine digits in a row, and still nobody's phone number
        payload = {"organisation_id": "org_84878eb663601159", "organisation_name": "Sole trader org_84878eb663601159"}
        assert scan_record(self.record(payload)) == []
        # the same digits standing alone are a phone number's shape
        finding = scan_record(self.record({"organisation_name": "Sklep 663 601 159"}))
        assert [f.value.split(":")[0] for f in finding] == ["a phone number"], finding


class TestParticipantFormRemembersWhatToLookFor:
    def test_every_personal_value_a_test_sends_is_remembered(self):
        form = participant_form(first_name="Zbigniew", phone="+48 600 100 200", address="ul. Długa 7, Żory")
        assert {
            form["pesel"],
            "Zbigniew",
            "Nowak",
            "anna@example.org",
            "+48 600 100 200",
            "ul. Długa 7, Żory",
        } <= personal_values_used

    @pytest.mark.parametrize("field", ["county", "labour_market_status"])
    def test_coarse_attributes_are_not_personal(self, field):
        form = participant_form()
        assert form[field] not in personal_values_used
