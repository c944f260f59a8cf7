"""Alembic per service: a shared env.py body and a programmatic `upgrade head`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from .messaging_tables import INBOX_TABLE, OUTBOX_TABLE


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade_to_head(migrations_dir: Path, database_url: str, revision: str = "heads") -> None:
    """Apply every migration of one service (blocking; call in a thread from async code).

    "heads": two revisions written side by side on one parent (e.g. 0900_audit_log and a feature's next one)
    both apply, instead of alembic refusing to choose.
    """
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


async def upgrade_to_head_async(migrations_dir: Path, database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, migrations_dir, database_url)


def run_env(context: EnvironmentContext, target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode, async engine)."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic config has no sqlalchemy.url (alembic_config() sets it)")

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
        )
        with context.begin_transaction():
            context.run_migrations()
            if connection.dialect.name == "postgresql":
                _append_only(connection)

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())


# Tables whose rows are written once and never changed: the audit log (owes_service.audit).
APPEND_ONLY_TABLES = ("audit_log",)


def _append_only(connection: Connection) -> None:
    """Take UPDATE, DELETE and TRUNCATE on the append-only tables from the service's own role (issue 13).

    The service's role creates its tables, so it owns them; PostgreSQL lets an owner give up privileges, and the
    service then cannot rewrite its audit rows through any query it runs (SQL injection included). Done after
    every upgrade, so a table a later revision recreates is covered again. The owner could grant them back by
    an explicit GRANT; the hash chain (owes audit verify) still finds such a change (docs/security.md)."""
    present = set(sa.inspect(connection).get_table_names())
    for table in APPEND_ONLY_TABLES:
        if table in present:
            connection.execute(sa.text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM CURRENT_USER, PUBLIC"))


def create_messaging_tables(op: Operations) -> None:
    """Migration step shared by every service: the outbox and inbox tables."""
    # Deliberately a copy of messaging_tables.py as it stood at revision 0001: a migration must keep creating the
    # schema of its own time, so it never reads the live table definitions, which later revisions may change.
    op.create_table(
        OUTBOX_TABLE,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_outbox_pending",
        OUTBOX_TABLE,
        ["seq"],
        sqlite_where=sa.text("published_at IS NULL"),
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        INBOX_TABLE,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
