"""Erasure requested during the retention period restricts processing until it can be done (issue 14).

Revision ID: 1000
Revises: 0990
"""

import sqlalchemy as sa
from alembic import op

revision = "1000"
down_revision = "0990"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("restricted_on", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("restricted_on")
