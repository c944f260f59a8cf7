"""Where an event may come from: the second wall behind Kafka ACLs (docs/security.md, "Where an event comes from").

Each event type has exactly one producing service (its contract's `producer`), and each producing service writes
one topic. A consumer knows, from its configuration, which partner operates each producing service, and so the
CloudEvents `source` and `partner` that producer's events must carry. A record on a topic that breaks any of this
was written by someone else (a misconfigured or hostile client with write access to the topic) and is refused.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from owes_contracts import ALL_EVENTS
from owes_contracts.envelope import CloudEvent

# Which producing service owns each CloudEvents type (any version).
_OWNER: dict[str, str] = {model.ce_type(): model.producer for model in ALL_EVENTS}


def expected_source(producer: str, partner: str) -> str:
    """The CloudEvents source a producing service run by a partner writes (owes_service.runtime)."""
    return f"/owes/{partner}/{producer}"


@dataclass(frozen=True)
class Origin:
    """The one producing service that writes a topic, and the partner configured to operate it."""

    producer: str
    partner: str

    @functools.cached_property
    def source(self) -> str:
        return expected_source(self.producer, self.partner)

    @functools.cached_property
    def _prefix(self) -> str:
        return f"pl.owes.{self.producer}."

    def refusal(self, topic: str, event: CloudEvent) -> str | None:
        """Why this event cannot have come from this topic's producer, or None when it can (checked on every
        consumed record: the usual case is four comparisons)."""
        owner = _OWNER.get(event.type)
        if owner is not None and owner != self.producer:
            return f"origin: {event.type} belongs to {owner}, not to {self.producer} who writes {topic}"
        if owner is None and not event.type.startswith(self._prefix):
            return f"origin: type {event.type!r} is not one of {self.producer}'s events ({topic})"
        if event.source != self.source:
            return f"origin: source {event.source!r} is not {self.producer}'s configured source {self.source!r}"
        if event.partner != self.partner:
            return f"origin: partner {event.partner!r} is not {self.partner!r}, who operates {self.producer}"
        return None


def origins_by_topic(topics: dict[str, str], partners: dict[str, str]) -> dict[str, Origin]:
    """Origins of consumed topics, from {topic: producer} and the configured {producer: partner}."""
    missing = sorted({p for p in topics.values() if p not in partners})
    if missing:
        raise ValueError(f"no partner configured for producing service(s) {', '.join(missing)}")
    return {topic: Origin(producer, partners[producer]) for topic, producer in topics.items()}
