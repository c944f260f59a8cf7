"""Fixtures of the reporting integration tests: the service in-process on the test's broker and database."""

from __future__ import annotations

import pytest

from helpers import settings_for
from reporting.main import create_app
from reporting.settings import ReportingSettings


@pytest.fixture
def reporting_settings(database_url, kafka_bootstrap, namespace):
    """A factory of reporting settings on this test's broker and namespace, one database per name."""
    urls: dict[str, str] = {}

    def make(db: str = "reporting", **overrides) -> ReportingSettings:
        url = urls.setdefault(db, database_url(db))
        return settings_for(
            ReportingSettings,
            database_url=url,
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            dashboard_min_interval=0.1,
            **overrides,
        )

    return make


@pytest.fixture
def reporting_app(reporting_settings):
    def make(db: str = "reporting", **overrides):
        return create_app(reporting_settings(db, **overrides))

    return make
