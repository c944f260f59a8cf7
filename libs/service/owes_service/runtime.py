"""The composition every service shares: engine, outbox relay, consumer, broker, HTTP app and lifespan.

A service's main.py declares what is its own (settings, tables, routers, event handlers) and hands it here.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from types import FrameType
from typing import Any

import structlog
from fastapi import Depends, FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from owes_contracts import dead_letter_topic_for, topic_for
from owes_contracts.envelope import CloudEvent
from owes_messaging.broker import build_broker, build_producer, client_options, ensure_topics
from owes_messaging.consumer import EventConsumer, Outcome, OutcomeObserver, Record
from owes_messaging.db import create_engine, create_sessionmaker, ping_database
from owes_messaging.inbox import Inbox
from owes_messaging.messaging_tables import INBOX_TABLE, OUTBOX_TABLE
from owes_messaging.migrations import upgrade_to_head_async
from owes_messaging.origin import origins_by_topic
from owes_messaging.outbox import OutboxRelay, OutboxWriter
from owes_messaging.tracing import records_spans

from .audit import AuditMiddleware, AuditTrail, audit_router
from .auth import Authenticator, require_api_access
from .catalogue.api import catalogue_router
from .catalogue.asyncapi import declare_event_publishers
from .health import health_router
from .http import BodySizeLimitMiddleware, ObservedRequestMiddleware
from .idempotency import IdempotencyMiddleware
from .metrics import ServiceMetrics, kafka_consumers, metrics_router
from .problems import install_problem_handlers
from .project import EXT_PROJECT_FINGERPRINT, ProjectCopies, load_project
from .project_calendar import Clock, ProjectCalendar
from .spec import ServiceSpec
from .structured_logging import configure_logging_once
from .text_guard import TextGuardMiddleware
from .tracing import build_tracer_provider, consume_span

log = structlog.get_logger("owes.runtime")


def settle_under_uvicorn() -> None:
    """Once the service has started under uvicorn: exit cleanly after draining on SIGTERM, and settle the garbage
    collector. Elsewhere (tests, which start many services in one process; other servers; not the main thread) it
    changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        return
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)  # uvicorn.Server.handle_exit
    if server is None or not hasattr(server, "should_exit") or not hasattr(server, "capture_signals"):
        return
    _settle_garbage_collector()
    _exit_cleanly_after_draining_on_sigterm(server)


def _exit_cleanly_after_draining_on_sigterm(server: Any) -> None:
    """Make SIGTERM a drain followed by exit status 0.

    uvicorn drains on SIGTERM (in-flight requests, then the lifespan shutdown: consumer offsets committed,
    outbox flushed), then raises the signal again with the default handler, so a clean stop ends "killed by
    SIGTERM" (143), which supervisors read as a failure. This asks the same server to stop without recording
    the signal.
    """

    # what uvicorn's own handler does, minus recording the signal
    def drain(_sig: int, _frame: FrameType | None) -> None:
        server.should_exit = True

    signal.signal(signal.SIGTERM, drain)


# Allocations between two young-generation collections of the cyclic garbage collector (CPython's default: 700).
GC_YOUNG_THRESHOLD = 10_000


def _settle_garbage_collector() -> None:
    """Keep the cyclic garbage collector off what lives as long as the process, and let it run less often.

    A started service holds ~200,000 objects (FastAPI, pydantic and SQLAlchemy's structures, the contracts) that
    are never garbage, and every older-generation collection walked them all: a fifth of a catch-up's CPU
    (docs/performance.md). `gc.freeze()` moves them out of the collector's sight (reference counting still frees
    what it can); the higher threshold makes the young collections ~14 times rarer. Not in tests: a frozen
    service's cycles would never be collected in a process that starts many.
    """
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
    log.info("garbage_collector_settled", frozen=gc.get_freeze_count(), young_threshold=GC_YOUNG_THRESHOLD)


class AuthenticationOffRefused(RuntimeError):
    """Authentication switched off without the explicit development flag: the service does not start."""


class ServiceRuntime:
    """Owns the long-lived resources of one service process."""

    def __init__(
        self, spec: ServiceSpec, *, clock: Clock | None = None, outcome_observers: Sequence[OutcomeObserver] = ()
    ) -> None:
        """Build every part with what it depends on; ``outcome_observers`` also see each consumed event's outcome."""
        s = spec.settings
        self.spec = spec
        self.settings = s
        # The project every partner's service applies alike, and the one clock of this process, read in the
        # project's zone (tests pass a FixedClock).
        self.project = load_project(s.project_file)
        self.calendar = ProjectCalendar.for_project(self.project, clock)
        # Observability (docs/operations.md): a metrics registry and a tracer provider of this runtime's own.
        self.metrics = ServiceMetrics(spec.name)
        self.tracer_provider = build_tracer_provider(
            service=spec.name, settings=s.tracing, version=spec.version, partner=spec.partner
        )
        self.tracer = self.tracer_provider.get_tracer("owes_service")
        self.engine = create_engine(s.database_url, echo=s.database_echo)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.topic = topic_for(spec.name, s.topic_namespace)
        self.dead_letter_topic = dead_letter_topic_for(spec.name, s.topic_namespace)
        self.outbox = OutboxWriter(
            table=spec.metadata.tables[OUTBOX_TABLE],
            topic=self.topic,
            source=f"/owes/{spec.partner or spec.name}/{spec.name}",
            partner=spec.partner,
            service_version=spec.version,
            transitions=s.event_transitions,
            # Every event carries this service's project fingerprint; those on the events it reads are noted, so
            # a partner running another definition shows on /readyz (and reporting's dashboard).
            extensions={EXT_PROJECT_FINGERPRINT: self.project.fingerprint},
            today=self.calendar.today,
            tracer=self.tracer,
        )
        self.producer = build_producer(s.kafka, client_id=f"{spec.name}-relay")
        self.relay = OutboxRelay(
            engine=self.engine,
            table=spec.metadata.tables[OUTBOX_TABLE],
            producer=self.producer,
            wakeup=self.outbox.committed,
            batch_size=s.outbox_batch_size,
            poll_interval=s.outbox_poll_interval,
            linger=s.outbox_linger,
            lock_name=f"{spec.name}.outbox",
            retention=s.outbox_retention,
            prune_interval=s.outbox_prune_interval,
            topic=self.topic,
            client_options=client_options(s.kafka),
            prepare_broker=self._ensure_topics,
            on_published=self.metrics.observe_published,
        )
        self.broker: KafkaBroker = build_broker(s.kafka, client_id=spec.name, description=spec.description)
        # documentation only (AsyncAPI at /asyncapi.json): the outbox relay is what publishes
        declare_event_publishers(self.broker, producer=spec.name, namespace=s.topic_namespace)
        self.consumed_topics = sorted({topic_for(m.producer, s.topic_namespace) for m in spec.handlers})
        self.project_copies = ProjectCopies(self.project)
        observers: list[OutcomeObserver] = [self.metrics.observe_outcomes, self.project_copies.observe]
        observers += outcome_observers

        def on_outcomes(observed: Sequence[tuple[CloudEvent | None, Outcome]]) -> None:
            for observe in observers:
                observe(observed)

        self.consumer = EventConsumer(
            name=spec.name,
            sessionmaker=self.sessionmaker,
            inbox=Inbox(table=spec.metadata.tables[INBOX_TABLE], consumer=spec.name),
            handlers=spec.handlers,
            dead_letter=self._publish_dead_letter,
            dead_letter_topic=self.dead_letter_topic,
            origins=origins_by_topic(
                {topic_for(m.producer, s.topic_namespace): m.producer for m in spec.handlers}, s.producer_partners
            ),
            on_outcomes=on_outcomes,
            apply_batch=spec.batch_handler,
            on_tolerated=self.metrics.observe_tolerated,
        )
        if self.consumed_topics:
            self._subscribe()
        self._relay_task: asyncio.Task | None = None
        # Who may call the HTTP API (owes_service.auth) and the record of who changed what (owes_service.audit).
        self.auth = Authenticator.from_settings(service=spec.name, settings=s)
        self.audit = AuditTrail(self.engine, service=spec.name)

    def _subscribe(self) -> None:
        consumer = self.consumer

        async def raw_body(message: Any) -> Any:  # the consumer parses the CloudEvent itself, poison included
            return message.body

        async def batch_of_records(records: tuple[Record, ...], parse: Callable[..., Awaitable[Any]]) -> Any:
            # FastStream's batch parser decodes every header of every record into dicts nobody reads (3-4 % of a
            # catch-up's CPU): the consumer reads the records themselves (CloudEvent.from_kafka), so FastStream's
            # message is made from the first record alone and then carries the whole batch.
            message = await parse(records[:1])
            message.raw_message = records
            return message

        async def handle(record: Record) -> None:
            with consume_span(self.tracer, record) as span:  # parented by the event's traceparent
                span.set_attribute("owes.outcome", str(await consumer.handle_record(record)))

        def batch_scope(record: Record) -> AbstractContextManager:
            return consume_span(self.tracer, record)

        # A batch subscriber: a fetched batch is applied in one transaction with its inbox claims, and one record
        # at a time only to isolate one that fails; EventConsumer.handle_batch commits the batch's offsets once
        # (MANUAL: it commits, not FastStream).
        # batch_timeout_ms is short because FastStream sleeps that long again after an empty poll (added latency).
        @self.broker.subscriber(
            *self.consumed_topics,
            group_id=self.settings.group_id,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.kafka.fetch_max_wait_ms,
            batch=True,
            max_records=self.settings.kafka.consume_batch_max,
            batch_timeout_ms=10,
            ack_policy=AckPolicy.MANUAL,
            parser=batch_of_records,
            decoder=raw_body,
            title=f"{self.spec.name}:events",
            description=f"Events {self.spec.name} applies to its own read models.",
        )
        async def on_events(message: KafkaMessage) -> None:
            if message.raw_message:
                await consumer.handle_batch(
                    message.raw_message,
                    message.consumer,
                    handle=handle,
                    together=True,
                    # A span per record of a batch cost a fifth of a catch-up's CPU (docs/performance.md): made
                    # only while something records spans (an exporter, or a test's processor added at run time).
                    scope=batch_scope if records_spans(self.tracer) else None,
                )

    async def _ensure_topics(self) -> None:
        """Create the topics this service writes and reads (again, on a broker that replaced the last one)."""
        await ensure_topics(self.settings.kafka, [self.topic, self.dead_letter_topic, *self.consumed_topics])

    async def _publish_dead_letter(
        self, topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        await (await self.producer.send(topic, value=value, key=key, headers=headers))

    async def _check_broker(self) -> None:
        if not await self.broker.ping(timeout=2.0):
            raise ConnectionError("broker unreachable")

    def _readiness_facts(self) -> dict:
        return {"project": self.project_copies.summary()}

    async def _check_database(self) -> None:
        await ping_database(self.engine)

    async def start(self) -> None:
        s = self.settings
        if s.run_migrations_on_start:
            await upgrade_to_head_async(self.spec.migrations_dir, s.database_url)
        await self._ensure_topics()
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
        self.tracer_provider.shutdown()  # flushes spans still queued for the exporter
        log.info("service_stopped")

    async def _refresh_metrics(self) -> None:
        await self.metrics.refresh(relay=self.relay, consumers=kafka_consumers(self.broker))

    def create_app(self) -> FastAPI:
        spec = self.spec
        configure_logging_once(service=spec.name, level=self.settings.log_level, json=self.settings.log_json)

        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            settle_under_uvicorn()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(title=spec.title, description=spec.description, version=spec.version, lifespan=lifespan)
        app.state.runtime = self
        install_problem_handlers(app)
        app.add_middleware(AuditMiddleware, trail=self.audit)  # innermost: sees the principal and the status
        app.add_middleware(TextGuardMiddleware)  # no control characters or bidi overrides in any text
        # a repeated POST (same Idempotency-Key) answers from here, before audit and the routes
        app.add_middleware(
            IdempotencyMiddleware, engine=self.engine, retention_hours=self.settings.idempotency_retention_hours
        )
        app.add_middleware(BodySizeLimitMiddleware, max_bytes=self.settings.max_body_bytes)
        # outermost: the span, the correlation id and the timing cover everything
        app.add_middleware(ObservedRequestMiddleware, tracer=self.tracer, metrics=self.metrics)
        app.include_router(metrics_router(self.metrics, refresh=self._refresh_metrics))
        app.include_router(
            health_router(
                {"database": self._check_database, "broker": self._check_broker},
                service=spec.name,
                version=spec.version,
                about=self._readiness_facts,
            )
        )
        app.include_router(audit_router())
        # the event catalogue (/asyncapi.json, /asyncapi, /catalogue): every role may read it, integrators too
        app.include_router(catalogue_router(self.spec, self.broker), dependencies=[Depends(require_api_access)])
        for router in spec.routers:  # every service endpoint needs credentials and a role that may use it
            app.include_router(router, dependencies=[Depends(require_api_access)])
        if not self.auth.enabled and not self.settings.development_without_authentication:
            # a deployment that lost its keys' setting must not open its data to anyone: only an explicit
            # second switch, named for what it is, allows it
            detail = (
                f"{spec.name.upper()}_AUTH_ENABLED=false is refused: every HTTP caller would act as the "
                f"operating partner. For a throw-away local experiment, also set "
                f"{spec.name.upper()}_DEVELOPMENT_WITHOUT_AUTHENTICATION=true."
            )
            log.error("auth_disabled_refused", detail=detail)
            raise AuthenticationOffRefused(detail)
        if not self.auth.enabled:
            log.warning("auth_disabled", detail="development mode: every HTTP caller acts as the operating partner")
        elif not self.auth.credentials:
            log.warning("no_api_keys", detail="no API keys configured: every API call will get 401")
        return app
