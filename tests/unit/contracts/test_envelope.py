import datetime as dt
import json

import pytest

from owes_contracts import ParticipantRecruited
from owes_contracts.correlation import correlation_scope
from owes_contracts.envelope import CloudEvent, PoisonMessage


def recruited(**overrides) -> ParticipantRecruited:
    values = dict(
        participant_id="p_0123456789abcdef",
        recruited_on=dt.date(2026, 3, 2),
        gender="female",
        age_band="25-34",
        county="rybnicki",
        labour_market_status="unemployed",
        disability=False,
        at_risk_of_exclusion=True,
    )
    return ParticipantRecruited(**(values | overrides))


def test_binary_binding_round_trip_keeps_every_attribute():
    with correlation_scope("corr-1", event_id="cause-1"):
        event = CloudEvent.record(recruited(), source="/owes/jastrzebie-zdroj/recruitment", partner="jastrzebie-zdroj")
    headers = dict((k, v.decode()) for k, v in event.kafka_headers())
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == "pl.owes.recruitment.ParticipantRecruited"
    assert headers["ce_subject"] == "p_0123456789abcdef"
    assert headers["ce_correlationid"] == "corr-1"
    assert headers["ce_causationid"] == "cause-1"
    assert headers["ce_schemaversion"] == "1"
    assert headers["content-type"] == "application/json"
    assert event.kafka_key() == b"p_0123456789abcdef"
    parsed = CloudEvent.from_kafka(event.kafka_headers(), event.kafka_value())
    assert parsed == event
    assert parsed.payload() == recruited()


def _headers(**changes):
    event = CloudEvent.record(recruited(), source="/owes/x/recruitment")
    headers = dict(event.kafka_headers())
    for k, v in changes.items():
        if v is None:
            headers.pop(k)
        else:
            headers[k] = v
    return list(headers.items()), event.kafka_value()


@pytest.mark.parametrize(
    "changes,reason",
    [
        ({"ce_id": None}, "missing CloudEvents attributes: id"),
        ({"ce_specversion": b"0.3"}, "unsupported specversion"),
        ({"ce_schemaversion": b"one"}, "not an integer"),
        ({"ce_time": b"yesterday"}, "not RFC 3339"),
        ({"content-type": b"application/avro"}, "unsupported content-type"),
    ],
)
def test_malformed_envelopes_are_poison(changes, reason):
    headers, value = _headers(**changes)
    with pytest.raises(PoisonMessage, match=reason):
        CloudEvent.from_kafka(headers, value)


def test_payload_that_is_not_json_is_poison():
    headers, _ = _headers()
    with pytest.raises(PoisonMessage, match="not JSON"):
        CloudEvent.from_kafka(headers, b"\x00not json")


@pytest.mark.parametrize(
    "value",
    [
        b"\xef\xbb\xbf{}",  # a byte order mark, which RFC 8259 forbids producers to add
        b'{"note": "\\ud800"}',  # a lone surrogate: no UTF-8 text can hold it
        b"{} {}",  # two documents
        b'{"a": 1',  # cut short
        b"\xff\xfe{}",  # not UTF-8
    ],
)
def test_payload_json_variants_that_no_consumer_can_store_are_poison(value):
    headers, _ = _headers()
    with pytest.raises(PoisonMessage, match="not JSON"):
        CloudEvent.from_kafka(headers, value)


def test_unknown_type_and_version_are_poison():
    headers, value = _headers(ce_type=b"pl.owes.recruitment.Nope")
    with pytest.raises(PoisonMessage, match="unknown type"):
        CloudEvent.from_kafka(headers, value).payload()
    headers, value = _headers(ce_schemaversion=b"9")
    with pytest.raises(PoisonMessage, match=r"known versions \[1\]"):
        CloudEvent.from_kafka(headers, value).payload()


def test_invalid_payload_is_poison_with_the_field_named():
    headers, value = _headers()
    data = json.loads(value) | {"gender": "robot"}
    with pytest.raises(PoisonMessage, match="gender"):
        CloudEvent.from_kafka(headers, json.dumps(data).encode()).payload()


def test_subject_must_match_the_aggregate():
    headers, value = _headers(ce_subject=b"p_other0000000000")
    with pytest.raises(PoisonMessage, match="subject"):
        CloudEvent.from_kafka(headers, value).payload()


def test_money_is_written_as_a_decimal_string():
    from decimal import Decimal

    from owes_contracts import GrantDisbursed

    event = GrantDisbursed(
        application_id="app_1", disbursement_id="d_1", disbursed_on=dt.date(2026, 8, 1), amount=Decimal("23500.50")
    )
    assert json.loads(CloudEvent.record(event, source="/x").kafka_value())["amount"] == "23500.50"
    with pytest.raises(ValueError):
        GrantDisbursed(application_id="a", disbursement_id="d", disbursed_on=dt.date(2026, 8, 1), amount=Decimal("-1"))
    with pytest.raises(ValueError):
        GrantDisbursed(
            application_id="a", disbursement_id="d", disbursed_on=dt.date(2026, 8, 1), amount=Decimal("1.005")
        )
