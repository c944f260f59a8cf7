"""deploy/postgres/init-databases.sh, run against the real PostgreSQL the tests use: one role and one database
per service, each service's migrations run as its own role, and no role can open another service's database."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import sqlalchemy as sa

from owes_messaging.migrations import upgrade_to_head
from recruitment.main import MIGRATIONS as RECRUITMENT_MIGRATIONS

SCRIPT = Path(__file__).resolve().parents[3] / "deploy" / "postgres" / "init-databases.sh"
pytestmark = pytest.mark.skipif(shutil.which("psql") is None, reason="needs the psql client, as the postgres image has")


@pytest.fixture
def server(postgres_admin_url):
    return urlsplit(postgres_admin_url)


@pytest.fixture
def services(server, postgres_admin_url):
    """Two throw-away service names; their databases and roles are dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    names = [f"owes_t_{suffix}_alpha", f"owes_t_{suffix}_beta"]
    yield names
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def run_script(server, services: list[str], passwords: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": server.hostname,
        "PGPORT": str(server.port or 5432),
        "POSTGRES_USER": server.username,
        "POSTGRES_DB": server.path.lstrip("/") or "postgres",
        "OWES_SERVICES": " ".join(services),
    }
    env |= {f"OWES_DB_PASSWORD_{name.upper()}": password for name, password in passwords.items()}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def url_for(server, role: str, database: str, driver: str = "postgresql") -> str:
    return f"{driver}://{role}:pw-{role}@{server.hostname}:{server.port or 5432}/{database}"


def test_each_service_gets_its_own_database_owned_by_its_own_role(server, services, postgres_admin_url):
    result = run_script(server, services, {name: f"pw-{name}" for name in services})
    assert result.returncode == 0, result.stderr
    with psycopg.connect(postgres_admin_url) as conn:
        owners = dict(
            conn.execute(
                "SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname = ANY(%s)", (services,)
            ).fetchall()
        )
        superusers = conn.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s) AND rolsuper", (services,)
        ).fetchone()[0]
    assert owners == {name: name for name in services}
    assert superusers == 0


def test_a_service_migrates_its_database_as_its_own_role(server, services):
    run_script(server, services, {name: f"pw-{name}" for name in services})
    alpha = services[0]
    upgrade_to_head(RECRUITMENT_MIGRATIONS, url_for(server, alpha, alpha, "postgresql+asyncpg"))
    engine = sa.create_engine(url_for(server, alpha, alpha, "postgresql+psycopg"))
    try:
        assert {"outbox", "inbox", "alembic_version"} <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_service_role_cannot_change_or_delete_its_audit_rows(server, services):
    """Issue 13: the audit log is append-only for the service's own role, tested against the real PostgreSQL."""
    run_script(server, services, {name: f"pw-{name}" for name in services})
    alpha = services[0]
    upgrade_to_head(RECRUITMENT_MIGRATIONS, url_for(server, alpha, alpha, "postgresql+asyncpg"))
    with psycopg.connect(url_for(server, alpha, alpha), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO audit_log (at, principal, role, method, path, status, correlation_id) "
            "VALUES (now(), 'osoba', 'recruiter', 'POST', '/participants', 201, 'c-1')"
        )
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1
        for statement in (
            "UPDATE audit_log SET principal = 'someone-else'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute("SELECT principal FROM audit_log").fetchall() == [("osoba",)]
    # a second start migrates nothing and keeps it so
    upgrade_to_head(RECRUITMENT_MIGRATIONS, url_for(server, alpha, alpha, "postgresql+asyncpg"))
    with (
        psycopg.connect(url_for(server, alpha, alpha), autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("DELETE FROM audit_log")


def test_no_service_can_open_another_services_database(server, services):
    run_script(server, services, {name: f"pw-{name}" for name in services})
    alpha, beta = services
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(url_for(server, alpha, beta)).close()
    psycopg.connect(url_for(server, beta, beta)).close()


def test_refuses_a_missing_or_url_unsafe_password(server, services):
    missing = run_script(server, services, {services[0]: "pw"})
    assert missing.returncode == 2 and f"OWES_DB_PASSWORD_{services[1].upper()}" in missing.stderr
    unsafe = run_script(server, services[:1], {services[0]: "p@ss/word"})
    assert unsafe.returncode == 2
