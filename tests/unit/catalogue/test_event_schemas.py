"""Every event version is documented field by field, has a valid example, and its CloudEvents headers parse
with the official CloudEvents SDK."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.v1 import kafka as ce_kafka_v1
from jsonschema import Draft202012Validator
from pydantic import Field

from owes_contracts import ALL_EVENTS, AdvisorySessionHeld, Event, GrantAwarded
from owes_contracts.schemas import MissingExample, event_key, event_schema, example_event, example_payload, field_docs

EVENTS = pytest.mark.parametrize("model", ALL_EVENTS, ids=event_key)


def validator(model) -> Draft202012Validator:
    return Draft202012Validator(event_schema(model), format_checker=Draft202012Validator.FORMAT_CHECKER)


class TestEveryEventVersion:
    def test_there_are_twenty_two_event_types(self):
        # 20, then JobMaintenanceFunded and JobNotSustained (the 2021–2027 rules, issue 14)
        assert len({m.ce_type() for m in ALL_EVENTS}) == 22

    @EVENTS
    def test_every_field_has_a_description_and_an_example(self, model):
        undocumented = [f.name for f in field_docs(model) if not f.description or f.example is None]
        assert undocumented == [], f"{model.__name__}: add description= and examples= to {undocumented}"

    @EVENTS
    def test_its_json_schema_is_valid_draft_2020_12(self, model):
        Draft202012Validator.check_schema(event_schema(model))

    @EVENTS
    def test_the_example_is_a_valid_event_and_matches_the_json_schema(self, model):
        payload = example_payload(model)
        event = model.model_validate(payload)
        assert event.model_dump(mode="json") == payload
        assert list(validator(model).iter_errors(payload)) == []

    @EVENTS
    def test_the_schema_names_topic_key_type_and_version(self, model):
        schema = event_schema(model)
        assert schema["x-cloudevents-type"] == model.ce_type()
        assert schema["x-schema-version"] == model.version
        assert schema["x-topic"] == f"owes.{model.producer}.events"
        assert schema["x-key"] == model.aggregate_field
        assert schema["$id"] == f"urn:owes:event:{model.ce_type()}:v{model.version}"


class TestMoney:
    def test_money_is_described_as_a_decimal_string(self):
        amount = event_schema(GrantAwarded)["properties"]["total_amount"]
        assert (amount["type"], amount["format"]) == ("string", "decimal")

    def test_the_schema_accepts_what_the_contract_writes_and_rejects_floats(self):
        payload = GrantAwarded.model_validate(example_payload(GrantAwarded) | {"total_amount": Decimal("1234.50")})
        wire = payload.model_dump(mode="json")
        assert wire["total_amount"] == "1234.50"
        assert list(validator(GrantAwarded).iter_errors(wire)) == []
        assert list(validator(GrantAwarded).iter_errors(wire | {"total_amount": 1234.5}))
        assert list(validator(GrantAwarded).iter_errors(wire | {"total_amount": "1234.505"}))


class TestExamplePayload:
    def test_keeps_one_of_two_mutually_exclusive_fields(self):
        payload = example_payload(AdvisorySessionHeld)
        assert payload["participant_id"] == "p_3f9c2a7d1b8e4c6f"
        assert payload["organisation_id"] is None

    def test_a_field_without_an_example_is_refused(self):
        class Undocumented(Event):
            name: ClassVar[str] = "Undocumented"
            producer: ClassVar[str] = "things"
            aggregate_field: ClassVar[str] = "thing_id"

            thing_id: str = Field(description="Id.")

        with pytest.raises(MissingExample, match=r"Undocumented.thing_id"):
            example_payload(Undocumented)


class TestCloudEventsHeaders:
    @EVENTS
    def test_parse_with_the_cloudevents_sdk(self, model):
        event = example_event(model)
        message = ce_kafka.KafkaMessage(
            headers=dict(event.kafka_headers()), key=event.kafka_key(), value=event.kafka_value()
        )
        parsed = ce_kafka.from_binary_event(message)
        assert parsed.get_type() == model.ce_type()
        assert parsed.get_id() == event.id
        assert parsed.get_source() == event.source
        assert parsed.get_subject() == example_payload(model)[model.aggregate_field]
        assert parsed.get_time() == event.time
        assert parsed.get_datacontenttype() == "application/json"
        assert parsed.get_extension("schemaversion") == str(model.version)
        assert parsed.get_extension("correlationid") == event.correlationid
        assert parsed.get_extension("partner") == event.partner
        assert parsed.get_extension("traceparent") == event.traceparent
        assert parsed.get_extension("partitionkey") == parsed.get_subject()  # the record key
        assert parsed.get_data() == example_payload(model)

    @EVENTS
    def test_parse_with_the_cloudevents_sdk_v1_api(self, model):
        event = example_event(model)
        message = ce_kafka_v1.KafkaMessage(
            headers=dict(event.kafka_headers()), key=event.kafka_key(), value=event.kafka_value()
        )
        parsed = ce_kafka_v1.from_binary(message)
        assert parsed["type"] == model.ce_type()
        assert parsed["specversion"] == "1.0"
        assert parsed["schemaversion"] == str(model.version)
        assert parsed.data == example_payload(model)
