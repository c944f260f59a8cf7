"""Participants read model, outbox and inbox.

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
        "rm_participants",
        sa.Column("participant_id", sa.String(64), primary_key=True),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("county", sa.String(64), nullable=False),
        sa.Column("gender", sa.String(16), nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("recruited_on", sa.Date, nullable=False),
        sa.Column("at_risk_of_exclusion", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rm_participants")
    op.drop_table("inbox")
    op.drop_table("outbox")
