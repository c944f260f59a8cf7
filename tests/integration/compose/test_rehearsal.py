"""`owes compose rehearse` on this repository's docker-compose.yml: every container compose would start is started
with its own command and environment and passes its health check, one participant goes from recruitment to
reporting through the services' SCRAM principals and database roles, Prometheus's targets answer, and the
rehearsal says what it could not rehearse."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlsplit

import psycopg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from integration.compose.stack import admin_options

SERVICES = ("recruitment", "advisory", "grants", "reporting")
pytestmark = pytest.mark.e2e


def test_every_container_compose_starts_came_up_in_its_order(compose_stack):
    steps = compose_stack.steps
    assert any("ran /docker-entrypoint-initdb.d/10-owes-databases.sh" in s for s in steps)
    for name in ("postgres", "kafka", *SERVICES):
        assert any(s.startswith(f"{name}: healthy after") for s in steps), name
    for job in ("kafka-security", "kafka-topics"):
        assert f"{job}: completed successfully" in steps
    order = {
        name: next(i for i, s in enumerate(steps) if s.startswith(f"{name}:"))
        for name in ("postgres", "kafka", "kafka-security", "kafka-topics", *SERVICES)
    }
    assert max(order["kafka-security"], order["kafka-topics"]) < min(order[s] for s in SERVICES)
    assert order["kafka"] < min(order["kafka-security"], order["kafka-topics"])


def test_services_run_the_dockerfiles_command_with_composes_environment(compose_stack):
    for service in SERVICES:
        process = compose_stack.processes[service]
        assert process.popen.args[:2] == ["sh", "-c"] and "uvicorn" in process.popen.args[2]
        environment = compose_stack.translate_env(service)
        assert environment[f"{service.upper()}_KAFKA__SASL_USERNAME"] == service
        assert environment[f"{service.upper()}_KAFKA__SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"


def test_one_participant_goes_from_recruitment_to_reporting(compose_stack):
    outcome = compose_stack.journey()
    assert outcome["people_supported"] >= 1


def test_each_service_consumes_in_its_own_group_as_its_own_principal(compose_stack):
    async def groups() -> set[str]:
        admin = AIOKafkaAdminClient(**admin_options(compose_stack))
        await admin.start()
        try:
            return {group for group, _protocol in await admin.list_consumer_groups()}
        finally:
            await admin.close()

    namespace = compose_stack.dotenv["OWES_TOPIC_NAMESPACE"]
    assert {f"{namespace}.{s}" for s in ("advisory", "grants", "reporting")} <= asyncio.run(groups())


def test_each_services_tables_belong_to_its_own_role(compose_stack):
    port = compose_stack.ports["postgres"][5432]
    password = compose_stack.dotenv["POSTGRES_PASSWORD"]
    for service in SERVICES:
        url = f"postgresql://postgres:{password}@127.0.0.1:{port}/{service}"
        with psycopg.connect(url) as conn:
            owners = {
                row[0]
                for row in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'").fetchall()
            }
        assert owners == {service}, service


def test_a_wrong_database_password_is_refused(compose_stack):
    database_url = compose_stack.translate_env("grants")["GRANTS_DATABASE_URL"]
    parts = urlsplit(re.sub(r"^postgresql\+\w+", "postgresql", database_url))
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(parts._replace(netloc=f"grants:wrong@{parts.hostname}:{parts.port}").geturl()).close()


def test_prometheus_scrape_targets_answer(compose_stack):
    assert compose_stack.scrape_targets() == [f"{s}:8000" for s in SERVICES]


def test_says_what_it_could_not_rehearse(compose_stack):
    notes = "\n".join(compose_stack.not_rehearsed())
    for topic in ("networks", "volumes", "read-only root filesystems", "dropped capabilities", "image builds"):
        assert topic in notes, topic
    assert "kafka-ui" in notes and "prometheus" in notes
