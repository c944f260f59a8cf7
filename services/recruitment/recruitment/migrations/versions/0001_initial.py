"""Participants, outbox and inbox.

Revision ID: 0001
Revises:
"""

from typing import cast

import sqlalchemy as sa
from alembic import op
from alembic.operations import Operations

from owes_messaging.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(cast(Operations, op))
    op.create_table(
        "participants",
        sa.Column("participant_id", sa.String(64), primary_key=True),
        sa.Column("pesel", sa.String(11), nullable=True, unique=True),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("county", sa.String(64), nullable=False),
        sa.Column("gender", sa.String(16), nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("labour_market_status", sa.String(32), nullable=False),
        sa.Column("disability", sa.Boolean, nullable=False),
        sa.Column("at_risk_of_exclusion", sa.Boolean, nullable=False),
        sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recruited_on", sa.Date, nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("participants")
    op.drop_table("inbox")
    op.drop_table("outbox")
