"""Real parts for every integration test: a Kafka-compatible broker and a database per service.

Broker: the embedded Tansu broker on a free port; or OWES_TEST_KAFKA_BOOTSTRAP=host:port for an external
cluster; or OWES_TEST_TESTCONTAINERS=1 for Apache Kafka in a container (where Docker exists).
Databases: SQLite files, and PostgreSQL (OWES_TEST_POSTGRES_URL, default the local server on 127.0.0.1:5432,
or a testcontainers PostgreSQL with OWES_TEST_TESTCONTAINERS=1); each test gets fresh databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from helpers import broker_supports_idempotence, test_broker
from owes_cli import kafka
from owes_cli.embedded import EmbeddedBroker
from owes_cli.postgres import ThrowawayPostgres, answers

USE_CONTAINERS = os.environ.get("OWES_TEST_TESTCONTAINERS") == "1"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


# Which broker the suite runs on: Apache Kafka (fetched through Maven, KRaft, one node) wherever Java is present,
# the embedded Tansu otherwise; OWES_TEST_BROKER=tansu|kafka forces one.
TEST_BROKER = test_broker()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory) -> Iterator[str]:
    external = os.environ.get("OWES_TEST_KAFKA_BOOTSTRAP")
    if external:
        yield external
    elif USE_CONTAINERS:
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer(f"apache/kafka:{kafka.KAFKA_VERSION}").with_kraft() as container:
            yield container.get_bootstrap_server()
    elif TEST_BROKER == "kafka":
        with kafka.KafkaNode(tmp_path_factory.mktemp("kafka"), partitions=3) as node:
            yield node.bootstrap_servers
    else:
        with EmbeddedBroker() as broker:
            yield broker.bootstrap_servers


@pytest.fixture(scope="session")
def kafka_idempotence() -> bool:
    """Idempotent producers on Apache Kafka; off on the embedded Tansu, which lacks InitProducerId."""
    return broker_supports_idempotence()


@pytest.fixture(scope="session")
def tansu_bootstrap() -> Iterator[str]:
    """The embedded Tansu broker, for the smoke tests that keep `owes up`'s default honest."""
    with EmbeddedBroker() as broker:
        yield broker.bootstrap_servers


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    if USE_CONTAINERS and not os.environ.get("OWES_TEST_POSTGRES_URL"):
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as pg:
            yield pg.get_connection_url()
    elif os.environ.get("OWES_TEST_POSTGRES_URL"):
        yield os.environ["OWES_TEST_POSTGRES_URL"]
    elif answers(DEFAULT_POSTGRES_URL):
        yield DEFAULT_POSTGRES_URL
    else:
        # nothing answers: a throwaway cluster from the installed binaries, run as an unprivileged user when root
        with ThrowawayPostgres() as pg:
            yield pg.url


@pytest.fixture(params=["sqlite", "postgres"])
def db_backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(db_backend, tmp_path, postgres_admin_url) -> Iterator[Callable[[str], str]]:
    """A factory: database_url("recruitment") gives that service a fresh database of the test's backend."""
    created: list[str] = []

    def make(name: str) -> str:
        if db_backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / name}.db"
        db = f"owes_t_{name}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        created.append(db)
        base = postgres_admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        return f"{base}/{db}"

    yield make
    if created:
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            for db in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.fixture
def namespace() -> str:
    """A topic namespace of this test's own, so tests sharing the broker never see each other's events."""
    return f"t{uuid.uuid4().hex[:12]}"


# Personal data stays home: when the session's broker is about to stop, read every record any test produced
# and fail if one holds a PESEL-shaped number or a name or contact the tests sent (helpers.participant_form).
class _PrivacyScan:
    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        result = yield
        if fixturedef.argname == "kafka_bootstrap" and os.environ.get("OWES_TEST_SKIP_PRIVACY_SCAN") != "1":
            # added after the fixture's own teardown, so it runs first, while the broker still answers
            fixturedef.addfinalizer(lambda: _assert_no_personal_data_in_events(result))
        return result


def pytest_configure(config):
    # a plugin, not a conftest hook: conftest hooks never see session-scoped fixtures set up at the root
    config.pluginmanager.register(_PrivacyScan(), "owes-privacy-scan")


def _assert_no_personal_data_in_events(bootstrap: str) -> None:
    import asyncio

    from helpers import personal_values_used
    from owes_service.privacy import scan_topics

    external = os.environ.get("OWES_TEST_KAFKA_BOOTSTRAP")
    prefix = "t" if external else ""  # on a shared external cluster, only the tests' namespaces
    count, findings = asyncio.run(
        scan_topics({"bootstrap_servers": bootstrap}, known=personal_values_used, topic_prefix=prefix)
    )
    assert not findings, f"personal data in {len(findings)} place(s) among {count} records on the broker: " + "; ".join(
        f"{f.topic}[{f.partition}]@{f.offset} {f.where}: {f.value!r}" for f in findings[:20]
    )
