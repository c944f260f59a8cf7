"""One event version as integrators see it: its JSON Schema, its fields, and a valid example built from the
contracts' own field examples."""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from . import Event, topic_for
from .envelope import CloudEvent

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_NAMESPACE = "owes"
# The metadata an exported schema carries besides the payload's shape; changing any of it breaks subscribers.
META_KEYS = ("x-cloudevents-type", "x-schema-version", "x-producer", "x-topic", "x-key")
# Who operates each producing service in the examples (each deployment sets its own `partner`).
EXAMPLE_PARTNERS = {"recruitment": "jastrzebie-zdroj", "advisory": "zory", "grants": "rybnik"}
EXAMPLE_TIME = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
EXAMPLE_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class MissingExample(ValueError):
    """A payload field has no example, so the catalogue cannot show (or test) a valid event."""


def event_key(model: type[Event]) -> str:
    """`<CloudEvents type>.v<schema version>`: names the version in file names and documents."""
    return f"{model.ce_type()}.v{model.version}"


def message_id(model: type[Event]) -> str:
    """A short id for one event version in AsyncAPI documents, e.g. `ParticipantRecruited.v1`."""
    return f"{model.name}.v{model.version}"


def schema_file_name(model: type[Event]) -> str:
    return f"{event_key(model)}.schema.json"


def summary(model: type[Event]) -> str:
    """The first line of the contract's docstring."""
    return (model.__doc__ or model.name).strip().splitlines()[0]


def event_schema(model: type[Event], namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the payload as it is on the wire, with the event's routing metadata."""
    body = model.model_json_schema(mode="serialization")
    properties = body.get("properties", {})
    for name, field in model.model_fields.items():
        if name in properties:
            _describe_decimal(properties[name], field)
    schema: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:owes:event:{model.ce_type()}:v{model.version}",
        "title": body.pop("title"),
        "description": body.pop("description", summary(model)),
        "x-cloudevents-type": model.ce_type(),
        "x-schema-version": model.version,
        "x-producer": model.producer,
        "x-topic": topic_for(model.producer, namespace),
        "x-key": model.aggregate_field,
    }
    for key in ("type", "additionalProperties", "required", "properties", "$defs"):
        if key in body:
            schema[key] = body.pop(key)
    return schema | body


def schema_text(schema: dict) -> str:
    """The canonical text of an exported schema (what is committed, and compared when checking staleness)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _describe_decimal(prop: dict[str, Any], field: FieldInfo) -> None:
    # Money and hours travel as decimal strings; serialization mode says only "string", so say what kind.
    annotation = field.annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next((a for a in typing.get_args(annotation) if a is not type(None)), annotation)
    if annotation is not Decimal:
        return
    meta = {
        k: getattr(m, k)
        for m in field.metadata
        for k in ("max_digits", "decimal_places", "ge", "gt")
        if getattr(m, k, None) is not None
    }
    places, digits = meta.get("decimal_places"), meta.get("max_digits")
    sign = "" if meta.get("ge", -1) >= 0 or meta.get("gt", -1) >= 0 else "-?"
    whole = rf"\d{{1,{digits - places}}}" if digits and places is not None else r"\d+"
    fraction = rf"(\.\d{{1,{places}}})?" if places else ("" if places == 0 else r"(\.\d+)?")
    target = next((b for b in prop.get("anyOf", []) if b.get("type") == "string"), prop)
    target["format"] = "decimal"
    target["pattern"] = f"^{sign}{whole}{fraction}$"


# --- fields and examples ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDoc:
    """One payload field as the catalogue lists it."""

    name: str
    type: str
    required: bool
    description: str
    example: Any
    constraints: str


def resolve(node: dict, root: dict) -> dict:
    """A schema node with its local `$ref` (to `#/$defs/...`) replaced by the target, keeping sibling keys."""
    while "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target | {k: v for k, v in node.items() if k != "$ref"}
    return node


def _branches(node: dict, root: dict) -> list[dict]:
    node = resolve(node, root)
    return [resolve(b, root) for b in node.get("anyOf") or node.get("oneOf") or [node]]


def type_label(node: dict, root: dict) -> str:
    labels = []
    for b in _branches(node, root):
        kind = b.get("type", "any")
        if "enum" in b or "const" in b:
            kind = f"{b['type']} enum" if "type" in b else "enum"
        elif kind == "array":
            kind = f"array of {type_label(b.get('items', {}), root)}"
        elif b.get("format"):
            kind = f"{kind} ({b['format']})"
        labels.append(kind)
    return " or ".join(labels)


def constraints_label(node: dict, root: dict) -> str:
    parts: list[str] = []
    for b in _branches(node, root):
        if "enum" in b or "const" in b:
            values = b.get("enum", [b.get("const")])
            parts.append("one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in values))
        if "minLength" in b or "maxLength" in b:
            parts.append(f"length {b.get('minLength', 0)}..{b.get('maxLength', '')}")
        if "pattern" in b:
            parts.append(f"pattern {b['pattern']}")
        low = [f"{'>' if k == 'exclusiveMinimum' else '>='} {b[k]}" for k in ("minimum", "exclusiveMinimum") if k in b]
        high = [f"{'<' if k == 'exclusiveMaximum' else '<='} {b[k]}" for k in ("maximum", "exclusiveMaximum") if k in b]
        parts += low + high
        if "minItems" in b or "maxItems" in b:
            parts.append(f"{b.get('minItems', 0)}..{b.get('maxItems', '')} items")
        if b.get("type") == "array":
            inner = constraints_label(b.get("items", {}), root)
            parts += [f"each: {inner}"] if inner else []
    return "; ".join(parts)


def field_example(node: dict, root: dict) -> Any:
    node = resolve(node, root)
    if node.get("examples"):
        return node["examples"][0]
    for b in _branches(node, root):
        if b.get("type") != "null" and b.get("examples"):
            return b["examples"][0]
    raise MissingExample("no example")


def field_docs(model: type[Event]) -> list[FieldDoc]:
    schema = event_schema(model)
    required = set(schema.get("required", []))
    docs = []
    for name, prop in schema["properties"].items():
        try:
            example = field_example(prop, schema)
        except MissingExample:
            example = None
        docs.append(
            FieldDoc(
                name=name,
                type=type_label(prop, schema),
                required=name in required,
                description=resolve(prop, schema).get("description", ""),
                example=example,
                constraints=constraints_label(prop, schema),
            )
        )
    return docs


def _error_count(model: type[BaseModel], data: dict) -> int:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return len(exc.errors())
    return 0


def example_payload(model: type[Event]) -> dict[str, Any]:
    """A valid payload (as JSON) made of the fields' examples; optional ones join when they keep it valid."""
    schema = event_schema(model)
    props, required = schema["properties"], set(schema.get("required", []))
    examples = {}
    for name, prop in props.items():
        try:
            examples[name] = field_example(prop, schema)
        except MissingExample:
            raise MissingExample(f"{model.__name__}.{name} has no example") from None
    data = {n: examples[n] for n in props if n in required}
    for name in (n for n in props if n not in required):
        # e.g. exactly one of participant_id and organisation_id: the second one would make it invalid
        if _error_count(model, data | {name: examples[name]}) <= _error_count(model, data):
            data[name] = examples[name]
    # as it is on the wire: an optional field left out travels as null; raises when no valid event can be made
    return model.model_validate(data).model_dump(mode="json")


def example_event(model: type[Event], namespace: str = DEFAULT_NAMESPACE) -> CloudEvent:
    """The example payload in its CloudEvents envelope, with fixed ids so documents do not change."""
    payload = model.model_validate(example_payload(model))
    partner = EXAMPLE_PARTNERS.get(model.producer, model.producer)
    seed = f"urn:owes:example:{namespace}:{event_key(model)}"
    return CloudEvent(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, seed)),
        source=f"/owes/{partner}/{model.producer}",
        type=model.ce_type(),
        time=EXAMPLE_TIME,
        subject=payload.aggregate_id(),
        schemaversion=model.version,
        correlationid=str(uuid.uuid5(uuid.NAMESPACE_URL, seed + ":correlation")),
        partner=partner,
        traceparent=EXAMPLE_TRACEPARENT,
        data=payload.model_dump(mode="json"),
    )


def example_headers(model: type[Event], namespace: str = DEFAULT_NAMESPACE) -> dict[str, str]:
    """The Kafka headers of the example event, as text."""
    return {k: v.decode() for k, v in example_event(model, namespace).kafka_headers()}
