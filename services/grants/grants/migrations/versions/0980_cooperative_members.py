"""Social cooperatives founded by 3+ natural persons or 2+ legal persons, and their members (issue 14).

Revision ID: 0980
Revises: 0970
"""

import sqlalchemy as sa
from alembic import op

revision = "0980"
down_revision = "0970"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cooperatives", sa.Column("founded_by", sa.String(16), nullable=True))
    op.create_table(
        "cooperative_members",
        sa.Column("cooperative_id", sa.String(64), sa.ForeignKey("cooperatives.cooperative_id"), primary_key=True),
        sa.Column("member_id", sa.String(64), primary_key=True),
        sa.Column("member_kind", sa.String(16), nullable=False),
        sa.Column("joined_on", sa.Date, nullable=False),
        sa.Column("founder", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cooperative_members")
    with op.batch_alter_table("cooperatives") as batch:
        batch.drop_column("founded_by")
