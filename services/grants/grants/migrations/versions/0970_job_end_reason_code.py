"""Why a job ended as a fixed code (it travels in JobEnded); end_reason keeps staff's note here (issue 13).

Revision ID: 0970
Revises: 0960 (programme rules)
"""

import sqlalchemy as sa
from alembic import op

revision = "0970"
down_revision = "0960"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("end_reason_code", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("end_reason_code")
