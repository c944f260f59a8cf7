"""The audit log of write requests (who changed what), shared by every service.

Revision ID: 0900
Revises: 0002
"""

from typing import cast

from alembic import op
from alembic.operations import Operations

from owes_service.audit import create_audit_table, drop_audit_table

revision = "0900"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table(cast(Operations, op))


def downgrade() -> None:
    drop_audit_table(cast(Operations, op))
