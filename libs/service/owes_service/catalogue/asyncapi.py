"""Each service's AsyncAPI 3.0 document.

FastStream builds it from the service's broker: its subscriber, and one publisher per event type the service
publishes, declared here for the document only (the outbox relay does the publishing). The catalogue then
completes what FastStream cannot know: the CloudEvents headers, the Kafka key, the wire schema of each payload
(money as decimal strings), examples, and the messages of the subscriber, whose handler takes raw records
because the consumer parses and dispatches every event type itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from owes_contracts import Event, events_of, topic_for
from owes_contracts.envelope import (
    CONTENT_TYPE,
    EXT_CAUSATION_ID,
    EXT_CORRELATION_ID,
    EXT_PARTNER,
    EXT_SCHEMA_VERSION,
    EXT_TRACEPARENT,
    REQUIRED,
    SPEC_VERSION,
)
from owes_contracts.schemas import event_schema, example_event, example_payload, message_id, summary

from ..spec import ServiceSpec

KAFKA_BINDING_VERSION = "0.4.0"  # as FastStream writes on the channels


def declare_event_publishers(broker: KafkaBroker, *, producer: str, namespace: str) -> None:
    """One documentation publisher per event type `producer` publishes, titled by its message id."""
    topic = topic_for(producer, namespace)
    for model in events_of(producer):
        broker.publisher(topic, schema=model, title=message_id(model), description=summary(model))


def asyncapi_document(spec: ServiceSpec, broker: KafkaBroker) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of one running service: what it publishes and what it consumes."""
    settings = spec.settings
    description = (
        f"{spec.description}\n\nEvents are CloudEvents 1.0 in Kafka binary mode: attributes in `ce_*` "
        "headers, JSON payload as the record value, the aggregate id as the record key. Delivery is at "
        "least once: deduplicate by `ce_id`. Guide: docs/integrators.md; every event: GET /catalogue."
    )
    raw = AsyncAPI(
        broker,
        title=spec.title,
        version=spec.version,
        description=description,
        identifier=f"urn:owes:service:{spec.name}",
        schema_version="3.0.0",
    ).to_specification()
    return complete_document(
        raw.to_jsonable(),
        published=events_of(spec.name),
        consumed=list(spec.handlers),
        namespace=settings.topic_namespace,
    )


def complete_document(
    doc: dict[str, Any], *, published: Iterable[type[Event]], consumed: Iterable[type[Event]], namespace: str
) -> dict[str, Any]:
    """Put full CloudEvents messages on FastStream's channels and operations."""
    components = doc.setdefault("components", {})
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}

    def message_ref(model: type[Event]) -> dict:
        mid = message_id(model)
        if mid not in messages:
            messages[mid] = _message(model, namespace, schemas)
        return {"$ref": _pointer("components", "messages", mid)}

    channels, operations = doc.setdefault("channels", {}), doc.setdefault("operations", {})
    for model in published:
        key = message_id(model)  # the publisher's title names its channel and its operation
        channels[key]["messages"] = {key: message_ref(model)}
        operations[key] |= {
            "title": f"Publish {model.name}",
            "summary": summary(model),
            "messages": [{"$ref": _pointer("channels", key, "messages", key)}],
        }
    consumed = list(consumed)
    for op in operations.values():
        if op.get("action") != "receive":
            continue
        channel_key = op["channel"]["$ref"].split("/", 2)[-1].replace("~1", "/").replace("~0", "~")
        address = channels[channel_key]["address"]
        models = [m for m in consumed if topic_for(m.producer, namespace) == address]
        channels[channel_key]["messages"] = {message_id(m): message_ref(m) for m in models}
        op["messages"] = [{"$ref": _pointer("channels", channel_key, "messages", message_id(m))} for m in models]
        op["summary"] = "Events this service applies, each once (inbox); the others on the topic are skipped."
    components["schemas"] = schemas
    components["messages"] = messages
    return doc


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _payload_schema(model: type[Event], namespace: str, schemas: dict[str, Any]) -> dict:
    """The event's wire schema with its `$defs` moved to components/schemas (AsyncAPI resolves refs there)."""
    schema = {k: v for k, v in event_schema(model, namespace).items() if k not in ("$schema", "$id")}
    defs = schema.pop("$defs", {})

    def relink(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else relink(v))
                for k, v in node.items()
            }
        return [relink(v) for v in node] if isinstance(node, list) else node

    for name, definition in defs.items():
        schemas.setdefault(name, relink(definition))
    schemas[message_id(model)] = relink(schema)
    return {"$ref": _pointer("components", "schemas", message_id(model))}


def headers_schema(model: type[Event]) -> dict[str, Any]:
    """The Kafka headers of every record of this event type (CloudEvents Kafka binding, binary mode)."""
    text = {"type": "string"}
    properties = {
        "ce_id": text | {"description": "Unique id of the event. Delivery is at least once: deduplicate on it."},
        "ce_source": text | {"format": "uri-reference", "description": "Who published it: /owes/<partner>/<service>."},
        "ce_type": text | {"const": model.ce_type(), "description": "The CloudEvents type."},
        "ce_specversion": text | {"const": SPEC_VERSION},
        "ce_time": text | {"format": "date-time", "description": "When the fact happened (RFC 3339, UTC)."},
        "ce_subject": text | {"description": f"The payload's {model.aggregate_field}; also the Kafka record key."},
        f"ce_{EXT_SCHEMA_VERSION}": text
        | {"const": str(model.version), "description": "Version of the payload schema (extension)."},
        f"ce_{EXT_CORRELATION_ID}": text | {"description": "Id shared by everything one request caused (extension)."},
        f"ce_{EXT_CAUSATION_ID}": text | {"description": "ce_id of the event that caused this one (extension)."},
        f"ce_{EXT_PARTNER}": text | {"description": "The partner operating the publishing service (extension)."},
        f"ce_{EXT_TRACEPARENT}": text | {"description": "W3C Trace Context of the publishing span (extension)."},
        "content-type": text | {"const": CONTENT_TYPE, "description": "The CloudEvents datacontenttype."},
    }
    return {"type": "object", "required": [f"ce_{a}" for a in REQUIRED] + ["content-type"], "properties": properties}


def _message(model: type[Event], namespace: str, schemas: dict[str, Any]) -> dict[str, Any]:
    example = example_event(model, namespace)
    key_example = example_payload(model)[model.aggregate_field]
    return {
        "name": model.name,
        "title": f"{model.name} v{model.version}",
        "summary": summary(model),
        "description": (
            f"CloudEvents type `{model.ce_type()}`, schemaversion {model.version}, on topic "
            f"`{topic_for(model.producer, namespace)}`, keyed by `{model.aggregate_field}`."
        ),
        "contentType": CONTENT_TYPE,
        "headers": headers_schema(model),
        "payload": _payload_schema(model, namespace, schemas),
        "correlationId": {
            "description": "Correlation id of the request that caused the event.",
            "location": f"$message.header#/ce_{EXT_CORRELATION_ID}",
        },
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": f"The payload's {model.aggregate_field}.",
                    "examples": [key_example],
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "examples": [
            {
                "name": "example",
                "summary": f"A {model.name} event",
                "headers": {k: v.decode() for k, v in example.kafka_headers()},
                "payload": example.data,
            }
        ],
        "x-cloudevents-type": model.ce_type(),
        "x-schema-version": model.version,
    }
