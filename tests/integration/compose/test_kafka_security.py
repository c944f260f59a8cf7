"""docker-compose's Kafka security model, for real: the broker started by deploy/kafka/start-kafka.sh and the
principals and ACLs of deploy/kafka/init-security.sh (run unchanged against the fetched Apache Kafka by the
rehearsal), probed with real SCRAM-SHA-512 logins. Each service's principal writes only its own events topic and
its own dead-letter topic, reads only the topics it consumes, commits only in its own group; only a consumer's own
principal writes its dead-letter topic; a wrong password is refused; the integrator reads and never writes.
That the services run end to end with these principals is test_rehearsal's journey."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from integration.compose.stack import admin_options, principal_options
from unit.ops.ops_checks import principals, readers

SERVICES = tuple(principals())
CONSUMERS = tuple(s for s, reads in principals().items() if reads)
PRODUCERS = tuple(s for s in SERVICES if any(s in reads for reads in principals().values()))
pytestmark = pytest.mark.e2e


def login(stack, name: str, password: str | None = None) -> dict:
    return principal_options(stack, name, password or stack.dotenv[f"{name.upper()}_KAFKA_PASSWORD"])


def topic(stack, service: str, kind: str) -> str:
    return f"{stack.dotenv['OWES_TOPIC_NAMESPACE']}.{service}.{kind}"


def group(stack, name: str) -> str:
    return f"{stack.dotenv['OWES_TOPIC_NAMESPACE']}.{name}"


async def write(options: dict, topic_name: str, *, idempotent: bool = True) -> None:
    """One record, acknowledged by the broker (a probe no consumer can parse: consumers dead-letter it)."""
    producer = AIOKafkaProducer(**options, enable_idempotence=idempotent, acks="all", request_timeout_ms=15_000)
    await producer.start()
    try:
        await producer.send_and_wait(topic_name, b"acl-probe", key=b"acl-probe")
    finally:
        await producer.stop()


async def read(options: dict, topic_name: str, partitions: int) -> list:
    """Every record of a topic from the start, without a group; none when the broker refuses the fetch (aiokafka
    raises TopicAuthorizationFailedError for it, or only logs it, depending on when the answer arrives)."""
    consumer = AIOKafkaConsumer(
        **options, enable_auto_commit=False, auto_offset_reset="earliest", request_timeout_ms=15_000
    )
    await consumer.start()
    try:
        assigned = [TopicPartition(topic_name, p) for p in range(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        try:
            batches = await consumer.getmany(*assigned, timeout_ms=3000)
        except TopicAuthorizationFailedError:
            return []
        return [record for records in batches.values() for record in records]
    finally:
        await consumer.stop()


async def may_describe(options: dict, topic_name: str) -> bool:
    """Whether the broker tells this principal about the topic (denied: TOPIC_AUTHORIZATION_FAILED in metadata)."""
    client = AIOKafkaClient(**options, request_timeout_ms=15_000)
    await client.bootstrap()
    try:
        client.add_topic(topic_name)  # aiokafka has no public call for one topic's metadata
        await client.force_metadata_update()
        if topic_name in client.cluster.unauthorized_topics:
            return False
        assert client.cluster.partitions_for_topic(topic_name), f"{topic_name} does not exist"
        return True
    finally:
        await client.close()


async def commit(options: dict, topic_name: str, group_id: str) -> None:
    """Commit offset 0 of partition 0 in `group_id` (a standalone commit: no group membership)."""
    consumer = AIOKafkaConsumer(**options, group_id=group_id, enable_auto_commit=False, request_timeout_ms=15_000)
    await consumer.start()
    try:
        partition = TopicPartition(topic_name, 0)
        consumer.assign([partition])
        await consumer.commit({partition: 0})
    finally:
        await consumer.stop()


async def committed_offsets(options: dict, group_id: str) -> dict:
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        return await admin.list_consumer_group_offsets(group_id)
    finally:
        await admin.close()


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def probed(compose_stack) -> int:
    """One record on every events topic, written by its owner; gives the topics' partition count."""
    for producer in PRODUCERS:
        run(write(login(compose_stack, producer), topic(compose_stack, producer, "events")))
    return int(compose_stack.dotenv["KAFKA_TOPIC_PARTITIONS"])


@pytest.mark.parametrize("service", SERVICES)
class TestServicePrincipal:
    def test_writes_its_own_events_and_dead_letter_topics(self, compose_stack, service):
        for kind in ("events", "dlq"):
            run(write(login(compose_stack, service), topic(compose_stack, service, kind)))

    def test_cannot_write_any_other_services_topic(self, compose_stack, service):
        for other in SERVICES:
            if other == service:
                continue
            for kind in ("events", "dlq"):
                with pytest.raises(TopicAuthorizationFailedError):
                    run(write(login(compose_stack, service), topic(compose_stack, other, kind)))

    def test_reads_exactly_the_topics_it_consumes(self, compose_stack, probed, service):
        consumes = principals()[service]
        for producer in PRODUCERS:
            events = topic(compose_stack, producer, "events")
            records = run(read(login(compose_stack, service), events, probed))
            if producer in consumes:
                assert run(may_describe(login(compose_stack, service), events)), events
                assert [r for r in records if r.key == b"acl-probe"], events
            else:  # its own events topic it may describe (to write it), never read
                assert run(may_describe(login(compose_stack, service), events)) == (producer == service), events
                assert records == [], events

    def test_commits_only_in_its_own_group(self, compose_stack, probed, service):
        consumes = principals()[service]
        source = topic(compose_stack, consumes[0] if consumes else PRODUCERS[0], "events")
        if consumes:  # the running service itself commits there, as its own principal, once it took the probes
            expected = {topic(compose_stack, p, "events") for p in consumes}
            deadline = time.monotonic() + 60
            while (
                own := {
                    tp.topic
                    for tp in run(committed_offsets(admin_options(compose_stack), group(compose_stack, service)))
                }
            ) != expected:
                assert time.monotonic() < deadline, f"{service} committed offsets for {own}, not {expected}"
                time.sleep(1)
        for other in (*SERVICES, *readers()):
            if other != service:
                with pytest.raises((GroupAuthorizationFailedError, TopicAuthorizationFailedError)) as refused:
                    run(commit(login(compose_stack, service), source, group(compose_stack, other)))
                if consumes:  # it may read the topic, so the group alone refuses it
                    assert refused.type is GroupAuthorizationFailedError

    def test_a_wrong_password_is_refused(self, compose_stack, service):
        events = topic(compose_stack, service, "events")
        password = compose_stack.dotenv[f"{service.upper()}_KAFKA_PASSWORD"]
        assert run(may_describe(login(compose_stack, service, password), events))
        with pytest.raises(KafkaConnectionError):  # the SCRAM handshake fails, so no connection is made
            run(may_describe(login(compose_stack, service, "not-" + password), events))


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_only_the_consumers_own_principal_writes_its_dead_letter_topic(compose_stack, consumer):
    dead_letters = topic(compose_stack, consumer, "dlq")
    run(write(login(compose_stack, consumer), dead_letters))
    for other in SERVICES:
        if other != consumer:
            with pytest.raises(TopicAuthorizationFailedError):
                run(write(login(compose_stack, other), dead_letters))
    for reader in readers():
        with pytest.raises(TopicAuthorizationFailedError):
            run(write(login(compose_stack, reader), dead_letters, idempotent=False))


class TestIntegrator:
    def test_reads_every_events_topic_and_commits_in_its_own_group(self, compose_stack, probed):
        assert set(readers()["integrator"]) == set(PRODUCERS)
        for producer in PRODUCERS:
            events = topic(compose_stack, producer, "events")
            assert [r for r in run(read(login(compose_stack, "integrator"), events, probed)) if r.key == b"acl-probe"]
            run(commit(login(compose_stack, "integrator"), events, group(compose_stack, "integrator")))

    def test_cannot_commit_in_a_services_group(self, compose_stack):
        with pytest.raises(GroupAuthorizationFailedError):
            run(
                commit(
                    login(compose_stack, "integrator"),
                    topic(compose_stack, "recruitment", "events"),
                    group(compose_stack, "reporting"),
                )
            )

    def test_cannot_write_any_topic(self, compose_stack):
        for service in SERVICES:
            for kind in ("events", "dlq"):
                with pytest.raises(TopicAuthorizationFailedError):
                    run(
                        write(login(compose_stack, "integrator"), topic(compose_stack, service, kind), idempotent=False)
                    )

    def test_cannot_even_start_an_idempotent_producer(self, compose_stack):
        with pytest.raises(ClusterAuthorizationFailedError):
            run(write(login(compose_stack, "integrator"), topic(compose_stack, "recruitment", "events")))

    def test_a_wrong_password_is_refused(self, compose_stack):
        events = topic(compose_stack, "recruitment", "events")
        with pytest.raises(KafkaConnectionError):
            run(may_describe(login(compose_stack, "integrator", password="guess"), events))
