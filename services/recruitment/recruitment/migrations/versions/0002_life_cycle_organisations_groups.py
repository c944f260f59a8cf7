"""Participant life cycle (eligibility, withdrawal), organisations and initiative groups.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("eligibility_decided_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("rejection_reason", sa.String(500), nullable=True))
        batch.add_column(sa.Column("withdrawn_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("withdrawal_reason", sa.String(500), nullable=True))
    op.create_table(
        "organisations",
        sa.Column("organisation_id", sa.String(64), primary_key=True),
        sa.Column("organisation_type", sa.String(32), nullable=False),
        sa.Column("organisation_name", sa.String(300), nullable=False),
        sa.Column("county", sa.String(64), nullable=False),
        sa.Column("nip", sa.String(10), nullable=False, unique=True),
        sa.Column("regon", sa.String(14), nullable=False),
        sa.Column("krs", sa.String(10), nullable=True),
        sa.Column("is_social_enterprise", sa.Boolean, nullable=False),
        sa.Column("runs_economic_activity", sa.Boolean, nullable=False),
        sa.Column("enrolled_on", sa.Date, nullable=False),
        sa.Column("economic_activity", sa.String(32), nullable=True),
        sa.Column("economic_activity_started_on", sa.Date, nullable=True),
    )
    op.create_table(
        "initiative_groups",
        sa.Column("group_id", sa.String(64), primary_key=True),
        sa.Column("group_name", sa.String(200), nullable=True),
        sa.Column("county", sa.String(64), nullable=False),
        sa.Column("formed_on", sa.Date, nullable=False),
    )
    op.create_table(
        "initiative_group_members",
        sa.Column("group_id", sa.String(64), sa.ForeignKey("initiative_groups.group_id"), primary_key=True),
        sa.Column("participant_id", sa.String(64), sa.ForeignKey("participants.participant_id"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("initiative_group_members")
    op.drop_table("initiative_groups")
    op.drop_table("organisations")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("withdrawal_reason")
        batch.drop_column("withdrawn_on")
        batch.drop_column("rejection_reason")
        batch.drop_column("eligibility_decided_on")
