"""Outbox and inbox.

Revision ID: 0001
Revises:
"""

from typing import cast

from alembic import op
from alembic.operations import Operations

from owes_messaging.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(cast(Operations, op))


def downgrade() -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")
