"""Staff accounts for the service's pages (people, with a role and an argon2 password hash).

Revision ID: 0910
Revises: 0900
"""

from alembic import op

from owes_service.pages.accounts import create_staff_table, drop_staff_table

revision = "0910"
down_revision = "0900"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_staff_table(op)


def downgrade() -> None:
    drop_staff_table(op)
