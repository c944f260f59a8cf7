"""Schema upgrades keep data, for every service, on SQLite and PostgreSQL: the database is taken through its
migrations one revision at a time, from the first, with an unpublished outbox row and an inbox row written at
each step; at the newest schema every row is still there and every table the service maps exists."""

from __future__ import annotations

import datetime as dt
import importlib
import uuid

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from owes_messaging.messaging_tables import INBOX_TABLE, OUTBOX_TABLE
from owes_messaging.migrations import alembic_config, upgrade_to_head

SERVICES = ("recruitment", "advisory", "grants", "reporting")


def migrations_dir(service: str):
    return importlib.import_module(f"{service}.main").MIGRATIONS


def revisions_oldest_first(service: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(migrations_dir(service), "sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def heads(service: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(migrations_dir(service), "sqlite://")).get_heads())


def sync_url(url: str) -> str:
    """The same database through a blocking driver, to look at it from the test."""
    return url.replace("sqlite+aiosqlite", "sqlite", 1).replace("postgresql+asyncpg", "postgresql+psycopg", 1)


def write_rows(engine: sa.Engine, step: str) -> str:
    event_id = f"{step}-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        tables = sa.MetaData()
        outbox = sa.Table(OUTBOX_TABLE, tables, autoload_with=conn)
        inbox = sa.Table(INBOX_TABLE, tables, autoload_with=conn)
        conn.execute(
            outbox.insert().values(
                event_id=event_id,
                event_type="pl.owes.test.Upgraded",
                topic="owes.test.events",
                key=f"k-{step}",
                headers=[["ce_id", event_id]],
                value=f'{{"step": "{step}"}}',
                created_at=dt.datetime.now(dt.UTC),
            )
        )
        conn.execute(
            inbox.insert().values(
                consumer="test",
                event_id=event_id,
                event_type="pl.owes.test.Upgraded",
                received_at=dt.datetime.now(dt.UTC),
            )
        )
    return event_id


@pytest.mark.parametrize("service", SERVICES)
def test_upgrading_step_by_step_from_the_first_revision_keeps_every_row(service, database_url):
    url = database_url(service)
    engine = sa.create_engine(sync_url(url))
    revisions = revisions_oldest_first(service)
    assert revisions[0] == "0001"
    written = []
    try:
        for revision in revisions:
            upgrade_to_head(migrations_dir(service), url, revision=revision)
            written.append(write_rows(engine, revision))
        upgrade_to_head(migrations_dir(service), url)

        with engine.connect() as conn:
            pending = conn.execute(
                sa.text(f"SELECT event_id, value FROM {OUTBOX_TABLE} WHERE published_at IS NULL ORDER BY seq")
            ).all()
            inboxed = set(conn.scalars(sa.text(f"SELECT event_id FROM {INBOX_TABLE} WHERE consumer = 'test'")))
            at = set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
        assert [row.event_id for row in pending] == written  # in commit order, none lost, none marked sent
        assert inboxed == set(written)
        assert at == heads(service)

        mapped = importlib.import_module(f"{service}.tables").metadata
        inspector = sa.inspect(engine)
        existing = set(inspector.get_table_names())
        for table in mapped.sorted_tables:
            assert table.name in existing, f"{service}: {table.name} missing at head"
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert {c.name for c in table.columns} <= columns, f"{service}: {table.name} lacks mapped columns"
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_upgrading_an_up_to_date_database_changes_nothing(service, database_url):
    url = database_url(service)
    upgrade_to_head(migrations_dir(service), url)
    engine = sa.create_engine(sync_url(url))
    try:
        event_id = write_rows(engine, "head")
        upgrade_to_head(migrations_dir(service), url)
        with engine.connect() as conn:
            assert conn.scalar(sa.text(f"SELECT count(*) FROM {OUTBOX_TABLE}")) == 1
            assert conn.scalar(sa.text(f"SELECT event_id FROM {OUTBOX_TABLE}")) == event_id
    finally:
        engine.dispose()
