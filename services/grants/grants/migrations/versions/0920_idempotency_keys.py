"""Idempotency keys of POST requests, kept with the effect they answer (owes_service.idempotency).

Revision ID: 0920
Revises: 0910
"""

from alembic import op

from owes_service.idempotency import create_idempotency_table, drop_idempotency_table

revision = "0920"
down_revision = "0910"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op)


def downgrade() -> None:
    drop_idempotency_table(op)
