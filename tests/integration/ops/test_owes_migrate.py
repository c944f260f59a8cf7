"""`owes migrate [service ...]`: brings each named service's database (from <SERVICE>_DATABASE_URL, or
--database-url) to the newest schema without starting the service; on PostgreSQL, concurrent runs (replicas'
init containers) take turns under an advisory lock."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from owes_cli.main import main
from owes_messaging.migrations import alembic_config

SERVICES = ("recruitment", "advisory", "grants", "reporting")


def version_of(url: str) -> set[str]:
    engine = sa.create_engine(
        url.replace("sqlite+aiosqlite", "sqlite").replace("postgresql+asyncpg", "postgresql+psycopg")
    )
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return set()
            return set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()


def heads(service: str) -> set[str]:
    migrations = importlib.import_module(f"{service}.main").MIGRATIONS
    return set(ScriptDirectory.from_config(alembic_config(migrations, "sqlite://")).get_heads())


def test_migrates_every_service_from_its_own_settings(database_url, monkeypatch, capsys):
    urls = {service: database_url(service) for service in SERVICES}
    for service, url in urls.items():
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", url)
    assert main(["migrate"]) == 0
    for service, url in urls.items():
        assert version_of(url) == heads(service)
    assert "reporting: at heads" in capsys.readouterr().out


def test_migrates_only_the_named_service_at_the_given_url(database_url):
    grants, reporting = database_url("grants"), database_url("reporting")
    assert main(["migrate", "grants", "--database-url", grants]) == 0
    assert version_of(grants) == heads("grants")
    assert version_of(reporting) == set()


def test_stops_at_the_revision_asked_for(database_url):
    url = database_url("recruitment")
    assert main(["migrate", "recruitment", "--database-url", url, "--revision", "0001"]) == 0
    assert version_of(url) == {"0001"}


def test_refuses_unknown_services_and_a_url_shared_by_several(database_url, capsys):
    assert main(["migrate", "payroll"]) == 2
    assert main(["migrate", "grants", "advisory", "--database-url", "sqlite+aiosqlite:///x.db"]) == 2
    assert "unknown service(s): payroll" in capsys.readouterr().err


@pytest.mark.parametrize("db_backend", ["postgres"], indirect=True)
def test_replicas_migrating_at_once_on_postgres_take_turns_and_both_succeed(database_url):
    # Two processes, as two replicas' init containers would be (plain alembic fails here: duplicate tables).
    url = database_url("reporting")
    command = [sys.executable, "-m", "owes_cli.main", "migrate", "reporting", "--database-url", url]
    replicas = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)
    ]
    outputs = [replica.communicate(timeout=120)[0] for replica in replicas]
    assert [replica.returncode for replica in replicas] == [0, 0], outputs
    assert version_of(url) == heads("reporting")
