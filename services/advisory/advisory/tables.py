"""Advisory's own tables, the read model of who may be supported (from recruitment's events), outbox and inbox."""

import sqlalchemy as sa

from owes_messaging.messaging_tables import inbox_table, outbox_table

metadata = sa.MetaData()

HOURS = sa.Numeric(6, 2)

# Read models, fed only by recruitment's events; advisory never calls recruitment.
known_participants = sa.Table(
    "known_participants",
    metadata,
    sa.Column("participant_id", sa.String(64), primary_key=True),
    sa.Column("eligibility", sa.String(16), nullable=True),  # eligible | rejected | null: no decision seen
    sa.Column("eligibility_decided_on", sa.Date, nullable=True),
    sa.Column("withdrawn", sa.Boolean, nullable=False, default=False),
    sa.Column("withdrawn_on", sa.Date, nullable=True),
)

known_organisations = sa.Table(
    "known_organisations",
    metadata,
    sa.Column("organisation_id", sa.String(64), primary_key=True),
    sa.Column("organisation_type", sa.String(32), nullable=False),
    sa.Column("organisation_name", sa.String(300), nullable=False),
    sa.Column("county", sa.String(64), nullable=False),
    sa.Column("enrolled_on", sa.Date, nullable=False),
)

advisory_sessions = sa.Table(
    "advisory_sessions",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("hours", HOURS, nullable=False),
    sa.Column("adviser_id", sa.String(64), nullable=False),
    sa.Column("participant_id", sa.String(64), nullable=True),
    sa.Column("organisation_id", sa.String(64), nullable=True),
    sa.Column("held_on", sa.Date, nullable=False),
)

trainings = sa.Table(
    "trainings",
    metadata,
    sa.Column("training_id", sa.String(64), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("hours", HOURS, nullable=False),
    sa.Column("required_attendance_percent", sa.Integer, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=True),
)

training_attendance = sa.Table(
    "training_attendance",
    metadata,
    sa.Column("attendance_id", sa.String(64), primary_key=True),
    sa.Column("training_id", sa.String(64), sa.ForeignKey("trainings.training_id"), nullable=False, index=True),
    sa.Column("participant_id", sa.String(64), nullable=False),
    sa.Column("attended_on", sa.Date, nullable=False),
    sa.Column("hours", HOURS, nullable=False),
)

training_completions = sa.Table(
    "training_completions",
    metadata,
    sa.Column("training_id", sa.String(64), sa.ForeignKey("trainings.training_id"), primary_key=True),
    sa.Column("participant_id", sa.String(64), primary_key=True),
    sa.Column("completed_on", sa.Date, nullable=False),
    sa.Column("attended_hours", HOURS, nullable=False),
)

mentoring = sa.Table(
    "mentoring",
    metadata,
    sa.Column("mentoring_id", sa.String(64), primary_key=True),
    sa.Column("mentor_id", sa.String(64), nullable=False),
    sa.Column("hours", HOURS, nullable=False),
    sa.Column("participant_id", sa.String(64), nullable=True),
    sa.Column("organisation_id", sa.String(64), nullable=True),
    sa.Column("provided_on", sa.Date, nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
