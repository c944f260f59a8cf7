"""The composition root every service's main.py declares: its settings, its spec and its pages, built on demand."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
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
        self.mount = mount
        # a service whose pages need more than the shared runtime (reporting's live dashboard) names its subclass
        self.runtime = runtime
        # all of the spec but what the settings say, which are read only when a runtime is built
        self._spec = partial(
            ServiceSpec,
            name=self.name,
            title=f"OWES Mesh: {self.name}",
            description=description,
            metadata=metadata,
            migrations_dir=self.migrations,
            routers=routers,
            handlers=handlers or {},
            batch_handler=batch_handler,
        )

    def spec(self, settings: S) -> ServiceSpec:
        return self._spec(settings=settings, partner=settings.partner)

    def build_runtime(self, settings: S | None = None, *, clock: Clock | None = None) -> ServiceRuntime:
        return self.runtime(self.spec(settings or self.settings()), clock=clock)

    def create_app(self, settings: S | None = None, *, clock: Clock | None = None) -> FastAPI:
        return self.mount(self.build_runtime(settings, clock=clock).create_app())
