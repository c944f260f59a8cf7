"""Read models of participants and organisations, advisory sessions, trainings with attendance, mentoring.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

HOURS = sa.Numeric(6, 2)


def upgrade() -> None:
    op.create_table(
        "known_participants",
        sa.Column("participant_id", sa.String(64), primary_key=True),
        sa.Column("eligibility", sa.String(16), nullable=True),
        sa.Column("eligibility_decided_on", sa.Date, nullable=True),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("withdrawn_on", sa.Date, nullable=True),
    )
    op.create_table(
        "known_organisations",
        sa.Column("organisation_id", sa.String(64), primary_key=True),
        sa.Column("organisation_type", sa.String(32), nullable=False),
        sa.Column("organisation_name", sa.String(300), nullable=False),
        sa.Column("county", sa.String(64), nullable=False),
        sa.Column("enrolled_on", sa.Date, nullable=False),
    )
    op.create_table(
        "advisory_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("hours", HOURS, nullable=False),
        sa.Column("adviser_id", sa.String(64), nullable=False),
        sa.Column("participant_id", sa.String(64), nullable=True),
        sa.Column("organisation_id", sa.String(64), nullable=True),
        sa.Column("held_on", sa.Date, nullable=False),
    )
    op.create_table(
        "trainings",
        sa.Column("training_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("hours", HOURS, nullable=False),
        sa.Column("required_attendance_percent", sa.Integer, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=True),
    )
    op.create_table(
        "training_attendance",
        sa.Column("attendance_id", sa.String(64), primary_key=True),
        sa.Column("training_id", sa.String(64), sa.ForeignKey("trainings.training_id"), nullable=False),
        sa.Column("participant_id", sa.String(64), nullable=False),
        sa.Column("attended_on", sa.Date, nullable=False),
        sa.Column("hours", HOURS, nullable=False),
    )
    op.create_index("ix_training_attendance_training_id", "training_attendance", ["training_id"])
    op.create_table(
        "training_completions",
        sa.Column("training_id", sa.String(64), sa.ForeignKey("trainings.training_id"), primary_key=True),
        sa.Column("participant_id", sa.String(64), primary_key=True),
        sa.Column("completed_on", sa.Date, nullable=False),
        sa.Column("attended_hours", HOURS, nullable=False),
    )
    op.create_table(
        "mentoring",
        sa.Column("mentoring_id", sa.String(64), primary_key=True),
        sa.Column("mentor_id", sa.String(64), nullable=False),
        sa.Column("hours", HOURS, nullable=False),
        sa.Column("participant_id", sa.String(64), nullable=True),
        sa.Column("organisation_id", sa.String(64), nullable=True),
        sa.Column("provided_on", sa.Date, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mentoring")
    op.drop_table("training_completions")
    op.drop_index("ix_training_attendance_training_id", table_name="training_attendance")
    op.drop_table("training_attendance")
    op.drop_table("trainings")
    op.drop_table("advisory_sessions")
    op.drop_table("known_organisations")
    op.drop_table("known_participants")
