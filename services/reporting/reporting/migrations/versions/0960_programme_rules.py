"""Jobs' read model knows the 2021–2027 rules: working time, the maintenance unit rate, a failed sustainability.

Revision ID: 0960
Revises: 0950 (outside subregion)
"""

import sqlalchemy as sa
from alembic import op

revision = "0960"
down_revision = "0950"
branch_labels = None
depends_on = None

COLUMNS = (
    ("working_time", sa.String(16)),
    ("maintenance_funded_on", sa.Date),
    ("maintenance_grosze", sa.BigInteger),
    ("not_sustained_on", sa.Date),
)


def upgrade() -> None:
    with op.batch_alter_table("rm_jobs") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_jobs") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
