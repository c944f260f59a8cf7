"""A new event version without a lockstep: during a transition window the producer publishes each fact twice,
in the new version and in the previous one, and consumers of either release apply the copy they know
(owes_messaging.consumer: the `twinversion` extension). docs/integrators.md, "How a partner ships a breaking change".
"""

from __future__ import annotations

import datetime as dt

from .base import Event


def publications(payload: Event, *, today: dt.date, transitions: dict[str, dt.date]) -> list[tuple[Event, int | None]]:
    """The payloads to publish for one fact, each with the schema version of its twin (None: no twin).

    `transitions` maps a CloudEvents type to the last day its previous version is still published alongside.
    """
    until = transitions.get(payload.ce_type())
    if until is None or today > until or payload.version == 1:
        return [(payload, None)]
    previous = payload.downcast()
    return [(payload, previous.version), (previous, payload.version)]
