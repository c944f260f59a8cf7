"""Organisations' legal form: the name of a sole trader or a civil partnership names people and stays here (issue 13).

Rows enrolled before are legal persons or local businesses whose form was not asked: NULL.

Revision ID: 0970
Revises: 0960 (reason codes)
"""

import sqlalchemy as sa
from alembic import op

revision = "0970"
down_revision = "0960"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("legal_form", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("legal_form")
