"""Reasons as fixed codes: the code travels in events, staff's own words stay here as the note (issue 13).

The existing rejection_reason and withdrawal_reason columns keep the note (what staff typed); erasure nulls them.

Revision ID: 0960
Revises: 0940 (audit chain)
"""

import sqlalchemy as sa
from alembic import op

revision = "0960"
down_revision = "0940"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("rejection_reason_code", sa.String(32), nullable=True))
        batch.add_column(sa.Column("withdrawal_reason_code", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("withdrawal_reason_code")
        batch.drop_column("rejection_reason_code")
