"""De minimis aid granted to each undertaking, checked against the ceiling over its window (issue 14).

Revision ID: 0990
Revises: 0980
"""

import sqlalchemy as sa
from alembic import op

revision = "0990"
down_revision = "0980"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "de_minimis_aid",
        sa.Column("application_id", sa.String(64), sa.ForeignKey("applications.application_id"), primary_key=True),
        sa.Column("beneficiary_kind", sa.String(32), nullable=False),
        sa.Column("beneficiary_id", sa.String(64), nullable=False),
        sa.Column("granted_on", sa.Date, nullable=False),
        sa.Column("amount_pln", sa.BigInteger, nullable=False),
        sa.Column("eur_rate", sa.String(16), nullable=False),
        sa.Column("amount_eur", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_de_minimis_beneficiary", "de_minimis_aid", ["beneficiary_kind", "beneficiary_id", "granted_on"])


def downgrade() -> None:
    op.drop_index("ix_de_minimis_beneficiary", "de_minimis_aid")
    op.drop_table("de_minimis_aid")
