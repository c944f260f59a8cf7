"""Why a participant is at risk of social exclusion: the categories of art. 2 pkt 6 of the social economy act,
recorded at recruitment (issue 14). NULL for participants recruited before.

Revision ID: 1010
Revises: 1000
"""

import sqlalchemy as sa
from alembic import op

revision = "1010"
down_revision = "1000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("at_risk_categories", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("at_risk_categories")
