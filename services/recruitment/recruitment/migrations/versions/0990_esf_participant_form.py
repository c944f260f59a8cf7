"""The participant form's ESF+ answers (issue 14): unemployment duration, education (ISCED group), age group at
entry, the sensitive categories (yes, no or refused to answer), rural residence.

Revision ID: 0990
Revises: 0980
"""

import sqlalchemy as sa
from alembic import op

revision = "0990"
down_revision = "0980"
branch_labels = None
depends_on = None

COLUMNS = (
    ("unemployed_months", sa.Integer),
    ("education", sa.String(16)),
    ("esf_age_group", sa.String(16)),
    ("third_country_national", sa.String(8)),
    ("foreign_background", sa.String(8)),
    ("minority", sa.String(8)),
    ("homeless", sa.String(8)),
    ("rural", sa.Boolean),
)


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
