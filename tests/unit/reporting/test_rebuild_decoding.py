"""The rebuild's fast decoding accepts exactly what the live consumer's parser accepts, with the same meaning."""

from __future__ import annotations

import datetime as dt

from aiokafka.structs import ConsumerRecord

from integration.reporting.reporting_scenario import scenario
from reporting.rebuild import _later, _reference_decode, decode


def record(headers, value: bytes) -> ConsumerRecord:
    return ConsumerRecord("t.recruitment.events", 0, 0, 0, 0, b"k", value, None, len(value), 0, headers)


class TestDecode:
    def test_every_scenario_event_decodes_as_the_reference_parser_reads_it(self):
        for event in scenario():
            rec = record(event.kafka_headers(), event.kafka_value())
            partner, time_, payload = decode(rec)
            assert (partner, payload) == (event.partner, event.payload())
            assert dt.datetime.fromisoformat(time_.decode()) == event.time
            assert decode(rec) == _reference_decode(rec)

    def test_poison_records_decode_to_nothing(self):
        event = scenario()[0]
        headers = event.kafka_headers()
        assert decode(record(headers, b"not json")) is None
        assert decode(record(headers, b'{"participant_id": 1}')) is None
        assert decode(record([h for h in headers if h[0] != "ce_type"], event.kafka_value())) is None
        wrong_subject = [(k, b"p_someone_else" if k == "ce_subject" else v) for k, v in headers]
        assert decode(record(wrong_subject, event.kafka_value())) is None
        unknown_version = [(k, b"9" if k == "ce_schemaversion" else v) for k, v in headers]
        assert decode(record(unknown_version, event.kafka_value())) is None

    def test_times_with_an_offset_are_normalised_to_utc(self):
        event = scenario()[0]
        headers = [(k, b"2026-03-02T12:00:00+02:00" if k == "ce_time" else v) for k, v in event.kafka_headers()]
        _, time_, _ = decode(record(headers, event.kafka_value()))
        assert time_ == b"2026-03-02T10:00:00Z"

    def test_the_later_time_wins_whatever_its_precision(self):
        assert _later(b"2026-03-02T10:00:00Z", b"2026-03-02T10:00:00.500000Z") == b"2026-03-02T10:00:00.500000Z"
        assert _later(b"2026-03-02T10:00:01Z", b"2026-03-02T10:00:00.500000Z") == b"2026-03-02T10:00:01Z"
        assert _later(b"2026-03-02T10:00:02.000001Z", b"2026-03-02T10:00:02.000002Z") == b"2026-03-02T10:00:02.000002Z"
