"""Broker wiring from settings: the FastStream broker (subscribers, AsyncAPI), the outbox producer, topics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from .settings import KafkaSettings

log = structlog.get_logger("owes.broker")


def client_options(kafka: KafkaSettings) -> dict:
    """aiokafka connection options (bootstrap and SASL) shared by producers, consumers and admin clients."""
    options: dict = {"bootstrap_servers": kafka.bootstrap_servers, "security_protocol": kafka.security_protocol}
    if kafka.security_protocol.startswith("SASL"):
        options |= {
            "sasl_mechanism": kafka.sasl_mechanism,
            "sasl_plain_username": kafka.sasl_username,
            "sasl_plain_password": kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
        }
    if kafka.security_protocol == "SASL_SSL":
        options["ssl_context"] = ssl_context(kafka)
    return options


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext:
    """TLS toward the brokers (aiokafka needs an explicit context): verified against the CA file or the system's."""
    return ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)


def _security(kafka: KafkaSettings) -> BaseSecurity | None:
    if not kafka.security_protocol.startswith("SASL"):
        return None
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
    use_ssl = kafka.security_protocol == "SASL_SSL"
    cls = {"SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512, "PLAIN": SASLPlaintext}[kafka.sasl_mechanism]
    return cls(
        kafka.sasl_username or "", password, use_ssl=use_ssl, ssl_context=ssl_context(kafka) if use_ssl else None
    )


class _TopicsCreatedElsewhere(logging.Filter):
    """Drops FastStream's start-up reminder that it will not create topics: the runtime has already created them.

    Auto-creation stays off on purpose (a typo must not make a new topic); the runtime creates the topics it
    uses (ensure_topics) before any subscriber starts, and docker-compose's init step does the same, so the
    reminder, logged once per subscriber at every start, tells the operator nothing to act on.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Auto create topics is disabled")


_faststream_log = logging.getLogger("faststream.access.kafka")
_faststream_log.addFilter(_TopicsCreatedElsewhere())


def build_broker(kafka: KafkaSettings, *, client_id: str, description: str = "") -> KafkaBroker:
    """The FastStream broker that runs this service's subscribers and documents them (AsyncAPI)."""
    return KafkaBroker(
        # a list: FastStream takes one string as one host, so "k1:9092,k2:9092" (a cluster) would not resolve
        [host.strip() for host in kafka.bootstrap_servers.split(",") if host.strip()],
        security=_security(kafka),
        client_id=client_id,
        enable_idempotence=kafka.enable_idempotence,
        acks="all",
        description=description,
        graceful_timeout=15.0,
        allow_auto_create_topics=False,
        logger=_faststream_log,
    )


def build_producer(kafka: KafkaSettings, *, client_id: str) -> AIOKafkaProducer:
    """The outbox relay's producer: acks from all replicas, idempotent where the broker supports it."""
    return AIOKafkaProducer(
        **client_options(kafka),
        client_id=client_id,
        acks="all",
        enable_idempotence=kafka.enable_idempotence,
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=30_000,
    )


async def ensure_topics(kafka: KafkaSettings, topics: list[str]) -> None:
    """Create the topics that do not exist yet (an init step in docker-compose does the same)."""
    admin = AIOKafkaAdminClient(**client_options(kafka), client_id="owes-topic-init")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return
        with contextlib.suppress(TopicAlreadyExistsError):  # another service created them meanwhile
            await admin.create_topics(
                [
                    NewTopic(t, num_partitions=kafka.topic_partitions, replication_factor=kafka.replication_factor)
                    for t in missing
                ]
            )
        # Apache Kafka answers the create before its brokers' metadata shows the topic; a consumer started in that
        # gap logs "not found in cluster metadata" errors until it does, so wait (briefly) for the metadata.
        # A produce in the gap before every partition has a leader fails with NotLeaderForPartition, so wait for
        # the leaders too.
        deadline = time.monotonic() + 15
        while not await _led(admin, missing) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        log.info("topics_created", topics=missing)
    finally:
        await admin.close()


async def _led(admin: AIOKafkaAdminClient, topics: list[str]) -> bool:
    """Whether the cluster's metadata shows every topic with a leader for each of its partitions."""
    if not set(topics) <= set(await admin.list_topics()):
        return False
    try:
        described = await admin.describe_topics(topics)
    except Exception:  # metadata not settled yet
        return False
    return all(
        t.get("error_code", 0) == 0 and t.get("partitions") and all(p.get("leader", -1) >= 0 for p in t["partitions"])
        for t in described
    )


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    """A topic's partitions as the cluster knows them now, for a consumer that assigns partitions itself.

    `consumer.topics()` returns fresh metadata without updating the consumer's own view, and a group-less consumer
    only knows the topics of its first metadata answer; so ask its client for this topic (aiokafka has no public
    call for it). An unknown topic has no partitions.
    """
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        consumer._client.add_topic(topic)
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
    return set(partitions or ())
