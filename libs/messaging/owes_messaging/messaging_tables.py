"""The outbox and inbox tables, added to each service's own metadata."""

from __future__ import annotations

import sqlalchemy as sa

OUTBOX_TABLE = "outbox"
INBOX_TABLE = "inbox"


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    table = sa.Table(
        OUTBOX_TABLE,
        metadata,
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
    sa.Index(
        "ix_outbox_pending",
        table.c.seq,
        sqlite_where=table.c.published_at.is_(None),
        postgresql_where=table.c.published_at.is_(None),
    )
    return table


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        INBOX_TABLE,
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
