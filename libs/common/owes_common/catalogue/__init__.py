"""The event catalogue integrators can trust: AsyncAPI documents, JSON Schemas, pages, and a guard against
breaking changes to published event versions (see docs/integrators.md)."""

from .compatibility import BreakingChange, breaking_changes
from .schemas import (
    MissingExample,
    event_key,
    event_schema,
    example_event,
    example_headers,
    example_payload,
    field_docs,
    message_id,
    schema_file_name,
)

__all__ = [
    "BreakingChange", "MissingExample", "breaking_changes", "event_key", "event_schema", "example_event",
    "example_headers", "example_payload", "field_docs", "message_id", "schema_file_name",
]
