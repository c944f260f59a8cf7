"""One rehearsed docker-compose stack for this folder's tests: docker-compose.yml of this repository run as
processes by `owes compose rehearse`'s own code (PostgreSQL initialised by deploy/postgres/init-databases.sh,
Apache Kafka started by deploy/kafka/start-kafka.sh, the init jobs, the four services), kept running while the
tests of this package use it, then stopped. Started once: one Kafka JVM, one PostgreSQL, four services."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.compose.stack import admin_options
from owes_cli import kafka
from owes_cli.compose import Rehearsal, rehearsed

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="package")
def compose_stack(tmp_path_factory) -> Iterator[Rehearsal]:
    if not kafka.java_available():
        pytest.skip("no Java runtime: Apache Kafka cannot run here (apt-get install openjdk-17-jre-headless)")
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)  # the steps and their times, shown with -s or on a failure

    with rehearsed(ROOT, tmp_path_factory.mktemp("compose-rehearsal"), say=say) as stack:
        stack.output = lines  # type: ignore[attr-defined]
        yield stack
        _assert_no_personal_data_in_events(stack)


def _assert_no_personal_data_in_events(stack: Rehearsal) -> None:
    """The session's privacy scan reads only the suite's own broker: this one is scanned here, as the admin."""
    from owes_service.privacy import scan_topics

    known = {"Próba", "Generalna", "proba@example.org"}
    count, findings = asyncio.run(scan_topics(admin_options(stack), known=known))
    assert not findings, f"personal data on the rehearsed broker ({count} records read): {findings[:10]}"
