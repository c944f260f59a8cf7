"""The programme's rules (issue 14): who may hold a funded job, its working time, the 2021–2027 maintenance
unit rate, the sustainability check's negative outcome.

Revision ID: 0960
Revises: 0940
"""

import sqlalchemy as sa
from alembic import op

revision = "0960"
down_revision = "0940"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rm_participants", sa.Column("at_risk_of_exclusion", sa.Boolean, nullable=True))
    op.add_column("jobs", sa.Column("working_time", sa.String(16), nullable=True))
    op.add_column("jobs", sa.Column("maintenance_amount", sa.BigInteger, nullable=True))
    op.add_column("jobs", sa.Column("maintenance_funded_on", sa.Date, nullable=True))
    op.add_column("jobs", sa.Column("not_sustained_on", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for column in ("not_sustained_on", "maintenance_funded_on", "maintenance_amount", "working_time"):
            batch.drop_column(column)
    with op.batch_alter_table("rm_participants") as batch:
        batch.drop_column("at_risk_of_exclusion")
