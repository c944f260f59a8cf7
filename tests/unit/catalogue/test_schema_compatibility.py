"""The compatibility checker: what a published event version may and may not become.

Old and new schemas come from real pydantic contracts (as the committed ones do), plus a few hand-written
schemas for shapes the contracts do not use yet (nested objects, exclusive bounds)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from owes_contracts import Event
from owes_contracts.base import Money
from owes_contracts.compatibility import breaking_changes, transitive_breaking_changes
from owes_contracts.schemas import event_schema


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


class WiderColour(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class NarrowerColour(StrEnum):
    RED = "red"


class ThingEvent(Event):
    name: ClassVar[str] = "ThingHappened"
    producer: ClassVar[str] = "things"
    aggregate_field: ClassVar[str] = "thing_id"


class Published(ThingEvent):
    """The version as published: what readers were promised."""

    thing_id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z_0-9]+$", description="Id.", examples=["t_1"])
    happened_on: dt.date = Field(description="Day.", examples=["2026-01-01"])
    colour: Colour = Field(description="Colour.", examples=["red"])
    status: Literal["open", "closed"] = Field(description="Status.", examples=["open"])
    amount: Money
    count: int = Field(ge=1, le=100, description="Count.", examples=[3])
    tags: list[str] = Field(min_length=1, max_length=10, description="Tags.", examples=[["a"]])
    note: str | None = Field(default=None, description="Note.", examples=["n"])


def changed(**fields):
    """A new version of the contract: the published one with some fields replaced (None removes one)."""
    annotations = {
        k: v for k, v in Published.__annotations__.items() if k in Published.model_fields and k not in fields
    }
    namespace = {k: Published.model_fields[k] for k in annotations}
    for name, spec in fields.items():
        if spec is not None:
            annotations[name], namespace[name] = spec
    namespace |= {"__annotations__": annotations, "__module__": __name__}
    return type("Changed", (ThingEvent,), namespace)


def breaks(new) -> list[str]:
    return [str(c) for c in breaking_changes(event_schema(Published), event_schema(new))]


class TestCompatibleChanges:
    def test_an_unchanged_contract_is_compatible(self):
        assert breaks(Published) == []

    def test_adding_an_optional_field_is_compatible(self):
        assert breaks(changed(extra=(str | None, Field(default=None)))) == []

    def test_new_descriptions_and_examples_are_compatible(self):
        assert breaks(changed(count=(int, Field(ge=1, le=100, description="Another text.", examples=[7])))) == []

    def test_widening_an_enum_is_compatible(self):
        assert (
            breaks(changed(colour=(WiderColour, Field()), status=(Literal["open", "closed", "archived"], Field())))
            == []
        )

    def test_a_grown_contract_reads_both_ways(self):
        """An optional field and an enum value added: old events read by the new contract, new events by the
        previous release's tolerant readers."""
        grown = changed(extra=(str | None, Field(default=None)), colour=(WiderColour, Field()))
        assert breaks(grown) == []
        # the way back is a break: old events may carry the value and the field
        assert [str(c) for c in breaking_changes(event_schema(grown), event_schema(Published))] == [
            "extra: field removed",
            "colour: enum narrowed: ['blue'] no longer allowed",
        ]

    def test_dropping_an_enum_restriction_is_compatible(self):
        assert breaks(changed(status=(str, Field()))) == []


class TestBreakingChanges:
    def test_loosening_bounds_breaks_the_previous_readers(self):
        """The previous release's consumers still validate the old bounds: they could not read the new events."""
        assert breaks(
            changed(
                count=(int, Field(ge=0, le=1000)),
                thing_id=(str, Field(min_length=1, max_length=128, pattern=r"^[a-z_0-9]+$")),
                tags=(list[str], Field(max_length=50)),
            )
        ) == [
            "count: previous readers cannot read new events: bound tightened from 0 to 1",
            "count: previous readers cannot read new events: bound tightened from 1000 to 100",
            "thing_id: previous readers cannot read new events: maximum length lowered from 128 to 64",
            "tags: previous readers cannot read new events: minimum number of items raised from 0 to 1",
            "tags: previous readers cannot read new events: maximum number of items lowered from 50 to 10",
        ]

    def test_the_check_is_transitive_over_every_published_schema_of_the_version(self):
        first = event_schema(Published)
        second = event_schema(changed(extra=(str | None, Field(default=None))))
        # dropping the optional field again is compatible with the first release, not with the second
        assert transitive_breaking_changes([first], event_schema(Published)) == []
        assert [str(c) for c in transitive_breaking_changes([first, second], event_schema(Published))] == [
            "extra: field removed"
        ]

    def test_removing_a_field_breaks(self):
        assert breaks(changed(note=None)) == ["note: field removed"]

    def test_retyping_a_field_breaks(self):
        assert breaks(changed(count=(str, Field()))) == ["count: type changed from integer to string"]

    def test_changing_a_string_format_breaks(self):
        assert breaks(changed(happened_on=(dt.datetime, Field()))) == [
            "happened_on: type changed from string (date) to string (date-time)"
        ]

    def test_money_as_a_float_breaks(self):
        assert breaks(changed(amount=(float, Field(ge=0)))) == ["amount: type changed from string (decimal) to number"]

    def test_making_an_optional_field_required_breaks(self):
        assert breaks(changed(note=(str | None, Field()))) == [
            "note: optional field made required: earlier events lack it"
        ]

    def test_adding_a_required_field_breaks(self):
        assert breaks(changed(region=(str, Field()))) == ["region: new required field: earlier events lack it"]

    def test_making_a_required_field_optional_breaks(self):
        assert breaks(changed(count=(int | None, Field(default=None, ge=1, le=100)))) == [
            "count: no longer required: readers count on it being there",
            "count: type changed from integer to integer or null",
        ]

    def test_making_a_field_nullable_breaks(self):
        assert breaks(changed(happened_on=(dt.date | None, Field()))) == [
            "happened_on: type changed from string (date) to null or string (date)"
        ]

    def test_narrowing_an_enum_breaks(self):
        assert breaks(changed(colour=(NarrowerColour, Field()))) == [
            "colour: enum narrowed: ['green'] no longer allowed"
        ]

    def test_narrowing_a_literal_to_one_value_breaks(self):
        assert breaks(changed(status=(Literal["open"], Field()))) == [
            "status: enum narrowed: ['closed'] no longer allowed"
        ]

    def test_restricting_a_free_string_to_an_enum_breaks(self):
        class Before(Published):
            label: str = Field(description="Label.", examples=["x"])

        class After(Published):
            label: Literal["x", "y"] = Field(description="Label.", examples=["x"])

        assert [str(c) for c in breaking_changes(event_schema(Before), event_schema(After))] == [
            "label: now restricted to ['x', 'y']"
        ]

    def test_tightening_bounds_breaks(self):
        assert breaks(changed(count=(int, Field(ge=2, le=50)))) == [
            "count: bound tightened from 1 to 2",
            "count: bound tightened from 100 to 50",
        ]

    def test_tightening_string_length_breaks(self):
        assert breaks(changed(thing_id=(str, Field(min_length=2, max_length=32, pattern=r"^[a-z_0-9]+$")))) == [
            "thing_id: minimum length raised from 1 to 2",
            "thing_id: maximum length lowered from 64 to 32",
        ]

    def test_changing_a_pattern_breaks_even_when_it_looks_looser(self):
        # the checker cannot prove a pattern wider, so any change needs a new version or a reviewer's eye
        assert breaks(changed(thing_id=(str, Field(min_length=1, max_length=64, pattern=r"^.+$")))) == [
            "thing_id: pattern changed from '^[a-z_0-9]+$' to '^.+$'"
        ]

    def test_changing_money_precision_breaks(self):
        old, new = r"^\d{1,12}(\.\d{1,2})?$", r"^\d{1,10}(\.\d{1,4})?$"
        assert breaks(changed(amount=(Annotated[Decimal, Field(max_digits=14, decimal_places=4, ge=0)], Field()))) == [
            f"amount: pattern changed from {old!r} to {new!r}"
        ]

    def test_retyping_array_items_breaks(self):
        assert breaks(changed(tags=(list[int], Field(min_length=1, max_length=10)))) == [
            "tags[]: type changed from string to integer"
        ]

    def test_requiring_more_array_items_breaks(self):
        assert breaks(changed(tags=(list[str], Field(min_length=2, max_length=10)))) == [
            "tags: minimum number of items raised from 1 to 2"
        ]

    def test_changing_the_kafka_key_breaks(self):
        class Rekeyed(Published):
            aggregate_field: ClassVar[str] = "happened_on"

        assert breaks(Rekeyed) == ["(event): x-key changed from 'thing_id' to 'happened_on'"]

    def test_moving_the_event_to_another_producer_breaks(self):
        class Moved(Published):
            producer: ClassVar[str] = "others"

        assert breaks(Moved) == [
            "(event): x-cloudevents-type changed from 'pl.owes.things.ThingHappened' to 'pl.owes.others.ThingHappened'",
            "(event): x-producer changed from 'things' to 'others'",
            "(event): x-topic changed from 'owes.things.events' to 'owes.others.events'",
        ]

    def test_several_breaks_are_all_reported(self):
        assert len(breaks(changed(note=None, count=(str, Field()), region=(str, Field())))) == 3


def obj(properties: dict, required=(), **extra) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), **extra}


class TestSchemasTheContractsDoNotUseYet:
    def test_a_field_removed_from_a_nested_object_breaks(self):
        old = obj(
            {"address": {"$ref": "#/$defs/Address"}},
            ["address"],
            **{"$defs": {"Address": obj({"county": {"type": "string"}, "street": {"type": "string"}})}},
        )
        new = obj(
            {"address": {"$ref": "#/$defs/Address"}},
            ["address"],
            **{"$defs": {"Address": obj({"county": {"type": "string"}})}},
        )
        assert [str(c) for c in breaking_changes(old, new)] == ["address.street: field removed"]

    def test_an_exclusive_bound_at_the_same_value_is_tighter(self):
        old = obj({"hours": {"type": "number", "minimum": 0}})
        new = obj({"hours": {"type": "number", "exclusiveMinimum": 0}})
        assert [str(c) for c in breaking_changes(old, new)] == ["hours: bound tightened from 0 to 0 (exclusive)"]
        # the other way round the published readers refuse hours == 0, which the new contract would allow
        assert [str(c) for c in breaking_changes(new, old)] == [
            "hours: previous readers cannot read new events: bound tightened from 0 to 0 (exclusive)"
        ]

    def test_an_object_closed_to_unknown_properties_breaks(self):
        old = obj({"a": {"type": "string"}})
        assert [str(c) for c in breaking_changes(old, old | {"additionalProperties": False})] == [
            "(event): no longer accepts additional properties"
        ]

    def test_type_lists_compare_like_any_of(self):
        old = obj({"a": {"type": ["string", "null"]}})
        new = obj({"a": {"anyOf": [{"type": "string"}, {"type": "null"}]}})
        assert breaking_changes(old, new) == []
