"""The composition every service shares: engine, outbox relay, consumer, broker, HTTP app and lifespan.

A service's main.py declares what is its own (settings, tables, routers, event handlers) and hands it here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import structlog
from fastapi import APIRouter, FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from .broker import build_broker, build_producer, ensure_topics
from .consumer import EventConsumer, Handler
from .contracts import Event, dead_letter_topic_for, topic_for
from .db import create_engine, create_sessionmaker, ping_database
from .health import health_router
from .http import BodySizeLimitMiddleware, CorrelationMiddleware
from .inbox import Inbox
from .messaging_tables import INBOX_TABLE, OUTBOX_TABLE
from .migrations import upgrade_to_head_async
from .outbox import OutboxRelay, OutboxWriter
from .problems import install_problem_handlers
from .settings import ServiceSettings
from .structured_logging import configure_logging

log = structlog.get_logger("owes.runtime")


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
    partner: str | None = None
    version: str = "0.1.0"


class ServiceRuntime:
    """Owns the long-lived resources of one service process."""

    def __init__(self, spec: ServiceSpec) -> None:
        s = spec.settings
        self.spec = spec
        self.settings = s
        self.engine = create_engine(s.database_url, echo=s.database_echo)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.topic = topic_for(spec.name, s.topic_namespace)
        self.dead_letter_topic = dead_letter_topic_for(spec.name, s.topic_namespace)
        self.outbox = OutboxWriter(table=spec.metadata.tables[OUTBOX_TABLE], topic=self.topic,
                                   source=f"/owes/{spec.partner or spec.name}/{spec.name}", partner=spec.partner)
        self.producer = build_producer(s.kafka, client_id=f"{spec.name}-relay")
        self.relay = OutboxRelay(engine=self.engine, table=spec.metadata.tables[OUTBOX_TABLE], producer=self.producer,
                                 wakeup=self.outbox.committed, batch_size=s.outbox_batch_size,
                                 poll_interval=s.outbox_poll_interval, lock_name=f"{spec.name}.outbox")
        self.broker: KafkaBroker = build_broker(s.kafka, client_id=spec.name, description=spec.description)
        self.consumed_topics = sorted({topic_for(m.producer, s.topic_namespace) for m in spec.handlers})
        self.consumer = EventConsumer(
            name=spec.name, sessionmaker=self.sessionmaker,
            inbox=Inbox(table=spec.metadata.tables[INBOX_TABLE], consumer=spec.name),
            handlers=spec.handlers, dead_letter=self._publish_dead_letter, dead_letter_topic=self.dead_letter_topic,
        )
        if self.consumed_topics:
            self._subscribe()
        self._relay_task: asyncio.Task | None = None

    def _subscribe(self) -> None:
        consumer = self.consumer

        async def raw_body(message):  # the consumer parses the CloudEvent itself, poison included
            return message.body

        @self.broker.subscriber(
            *self.consumed_topics, group_id=self.settings.group_id, auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR, decoder=raw_body, title=f"{self.spec.name}:events",
            description=f"Events {self.spec.name} applies to its own read models.",
        )
        async def on_event(message: KafkaMessage) -> None:
            await consumer.handle_record(message.raw_message)

    async def _publish_dead_letter(self, topic: str, value, key, headers) -> None:
        await (await self.producer.send(topic, value=value, key=key, headers=headers))

    async def _check_broker(self) -> None:
        if not await self.broker.ping(timeout=2.0):
            raise ConnectionError("broker unreachable")

    async def _check_database(self) -> None:
        await ping_database(self.engine)

    async def start(self) -> None:
        s = self.settings
        if s.run_migrations_on_start:
            await upgrade_to_head_async(self.spec.migrations_dir, s.database_url)
        await ensure_topics(s.kafka, [self.topic, self.dead_letter_topic, *self.consumed_topics])
        await self.producer.start()
        if s.outbox_relay_enabled:
            self._relay_task = asyncio.create_task(self.relay.run(), name=f"{self.spec.name}-outbox-relay")
        if s.consumers_enabled:
            await self.broker.start()
        else:
            await self.broker.connect()
        log.info("service_started", topic=self.topic, consumes=self.consumed_topics)

    async def stop(self) -> None:
        """Drain: stop taking events (in-flight ones finish and commit), flush the outbox, close."""
        self.consumer.stopping.set()
        await self.broker.stop()
        await self.relay.stop()
        if self._relay_task:
            try:
                await asyncio.wait_for(self._relay_task, timeout=10)
            except TimeoutError:
                self._relay_task.cancel()
        await self.producer.stop()
        await self.engine.dispose()
        log.info("service_stopped")

    def create_app(self) -> FastAPI:
        spec = self.spec
        configure_logging(service=spec.name, level=self.settings.log_level, json=self.settings.log_json)

        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(title=spec.title, description=spec.description, version=spec.version, lifespan=lifespan)
        app.state.runtime = self
        install_problem_handlers(app)
        app.add_middleware(BodySizeLimitMiddleware, max_bytes=self.settings.max_body_bytes)
        app.add_middleware(CorrelationMiddleware)
        app.include_router(health_router({"database": self._check_database, "broker": self._check_broker}))
        for router in spec.routers:
            app.include_router(router)
        return app
