"""The composition root every service's main.py declares: its settings, its spec and its pages, built on demand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI

from owes_contracts import Event
from owes_messaging.consumer import BatchHandler, Handler

from .project_calendar import Clock
from .runtime import ServiceRuntime
from .settings import ServiceSettings
from .spec import ServiceSpec

S = TypeVar("S", bound=ServiceSettings)


class CompositionRoot(Generic[S]):
    """One service's build_runtime and create_app: the package's name, its migrations and its settings class say
    the rest. Settings are read when a runtime is built, never at import time."""

    def __init__(
        self,
        package_file: str,
        settings: type[S],
        description: str,
        metadata: sa.MetaData,
        routers: list[APIRouter],
        mount: Callable[[FastAPI], FastAPI],
        *,
        handlers: dict[type[Event], Handler] | None = None,
        batch_handler: BatchHandler | None = None,
        runtime: type[ServiceRuntime] = ServiceRuntime,
    ) -> None:
        package = Path(package_file).parent
        self.name = package.name
        self.migrations = package / "migrations"
        self.settings = settings
        self.description = description
        self.metadata = metadata
        self.routers = routers
        self.mount = mount
        self.handlers = handlers or {}
        self.batch_handler = batch_handler
        # a service whose pages need more than the shared runtime (reporting's live dashboard) names its subclass
        self.runtime = runtime

    def spec(self, settings: S) -> ServiceSpec:
        return ServiceSpec(
            name=self.name,
            title=f"OWES Mesh: {self.name}",
            description=self.description,
            settings=settings,
            metadata=self.metadata,
            migrations_dir=self.migrations,
            routers=self.routers,
            handlers=self.handlers,
            batch_handler=self.batch_handler,
            partner=settings.partner,
        )

    def build_runtime(self, settings: S | None = None, *, clock: Clock | None = None) -> ServiceRuntime:
        return self.runtime(self.spec(settings or self.settings()), clock=clock)

    def create_app(self, settings: S | None = None, *, clock: Clock | None = None) -> FastAPI:
        return self.mount(self.build_runtime(settings, clock=clock).create_app())
