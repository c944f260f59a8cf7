"""The hash chain over the audit log: each row carries its hash and the previous row's (owes audit verify).

Revision ID: 0940
Revises: 0920
"""

from typing import cast

from alembic import op
from alembic.operations import Operations

from owes_service.audit import add_audit_chain, drop_audit_chain

revision = "0940"
down_revision = "0920"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_audit_chain(cast(Operations, op))


def downgrade() -> None:
    drop_audit_chain(cast(Operations, op))
