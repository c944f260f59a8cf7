"""Participants flagged when they live outside the project's subregion.

Revision ID: 0930
Revises: 0920 (idempotency keys)
"""

import sqlalchemy as sa
from alembic import op

revision = "0930"
down_revision = "0920"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("outside_subregion", sa.Boolean, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("outside_subregion")
