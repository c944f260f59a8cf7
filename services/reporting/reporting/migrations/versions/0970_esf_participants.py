"""Participants' read model keeps the ESF+ coarse values at entry (issue 14).

Revision ID: 0970
Revises: 0960 (programme rules)
"""

import sqlalchemy as sa
from alembic import op

revision = "0970"
down_revision = "0960"
branch_labels = None
depends_on = None

COLUMNS = (
    ("esf_age_group", sa.String(16)),
    ("education", sa.String(16)),
    ("third_country_national", sa.String(8)),
    ("foreign_background", sa.String(8)),
    ("minority", sa.String(8)),
    ("homeless", sa.String(8)),
    ("rural", sa.Boolean),
)


def upgrade() -> None:
    with op.batch_alter_table("rm_participants") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_participants") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
