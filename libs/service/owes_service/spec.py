"""What makes one service itself, handed by its main.py to the runtime (owes_service.runtime)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from fastapi import APIRouter

from owes_contracts import Event
from owes_contracts.releases import RELEASE
from owes_messaging.consumer import BatchHandler, Handler

from .settings import ServiceSettings


@dataclass
class ServiceSpec:
    """What makes one service itself."""

    name: str
    title: str
    description: str
    settings: ServiceSettings
    metadata: sa.MetaData
    migrations_dir: Path
    routers: list[APIRouter] = field(default_factory=list)
    handlers: dict[type[Event], Handler] = field(default_factory=dict)
    # applies a fetched batch's new events at once (owes_messaging.consumer.BatchHandler); None: each its handler
    batch_handler: BatchHandler | None = None
    partner: str | None = None
    version: str = RELEASE  # the project release this code is (owes_contracts.releases)


def handlers(by_event: Mapping[type[Event], Callable[..., Awaitable[None]]]) -> dict[type[Event], Handler]:
    """A service's event handlers by the payload type they take (the consumer parses each event into its key's
    type, which a Callable type cannot say)."""
    return cast("dict[type[Event], Handler]", dict(by_event))
