"""One organisation per KRS number, as per NIP (issue 13): a repeat is answered 409, a concurrent one too.

Revision ID: 0980
Revises: 0970 (legal form)
"""

from alembic import op

revision = "0980"
down_revision = "0970"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ux_organisations_krs", "organisations", ["krs"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_organisations_krs", "organisations")
