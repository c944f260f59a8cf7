"""Participants' read model knows who lives outside the project's subregion.

Revision ID: 0950
Revises: 0940 (audit chain)
"""

import sqlalchemy as sa
from alembic import op

revision = "0950"
down_revision = "0940"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rm_participants") as batch:
        batch.add_column(sa.Column("outside_subregion", sa.Boolean, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_participants") as batch:
        batch.drop_column("outside_subregion")
