"""Fixtures for the recruitment tests: the service in-process on the test's broker and database."""

from __future__ import annotations

import pytest

from helpers import outbox_drained, project_after_retention, read_topic, settings_for
from owes_contracts import topic_for
from recruitment.main import create_app
from recruitment.settings import RecruitmentSettings


def _recruitment(database_url, kafka_bootstrap, namespace, **overrides):
    return create_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            **overrides,
        )
    )


@pytest.fixture
async def recruitment_app(database_url, kafka_bootstrap, namespace):
    return _recruitment(database_url, kafka_bootstrap, namespace)


@pytest.fixture
async def recruitment_after_retention(database_url, kafka_bootstrap, namespace, tmp_path):
    """Recruitment of a project whose retention period is over: an erasure is carried out at once."""
    return _recruitment(database_url, kafka_bootstrap, namespace, project_file=project_after_retention(tmp_path))


@pytest.fixture
def published(kafka_bootstrap, namespace):
    """Every record recruitment has put on its topic, once the outbox of the running service is drained."""

    async def read(client) -> list:
        await outbox_drained(client)
        return await read_topic(kafka_bootstrap, topic_for("recruitment", namespace), idle=0.5)

    return read
