"""Read models for every event type: participants (nullable, merged from several events), organisations,
initiative groups, advisory, trainings, mentoring, grants, cooperatives, jobs, bridge support, partner activity.

Rows written by 0001 keep their values; the columns added here fill in as events arrive, or at once with
`owes reporting rebuild`.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PARTICIPANT_COLUMNS = ("partner", "county", "gender", "age_band", "recruited_on", "at_risk_of_exclusion")


def _key(name: str) -> sa.Column:
    return sa.Column(name, sa.String(64), primary_key=True)


def upgrade() -> None:
    with op.batch_alter_table("rm_participants") as batch:
        for name in PARTICIPANT_COLUMNS:
            batch.alter_column(name, nullable=True)
        batch.add_column(sa.Column("labour_market_status", sa.String(32)))
        batch.add_column(sa.Column("disability", sa.Boolean))
        batch.add_column(sa.Column("eligibility", sa.String(16)))
        batch.add_column(sa.Column("eligibility_on", sa.Date))
        batch.add_column(sa.Column("withdrawn_on", sa.Date))
        batch.add_column(sa.Column("erased", sa.Boolean))
        batch.add_column(sa.Column("erased_on", sa.Date))
    op.create_table(
        "rm_organisations",
        _key("organisation_id"),
        sa.Column("partner", sa.String(64)),
        sa.Column("county", sa.String(64)),
        sa.Column("organisation_type", sa.String(32)),
        sa.Column("is_social_enterprise", sa.Boolean),
        sa.Column("runs_economic_activity", sa.Boolean),
        sa.Column("enrolled_on", sa.Date),
        sa.Column("activity", sa.String(32)),
        sa.Column("activity_started_on", sa.Date),
    )
    op.create_table(
        "rm_initiative_groups",
        _key("group_id"),
        sa.Column("partner", sa.String(64)),
        sa.Column("county", sa.String(64)),
        sa.Column("formed_on", sa.Date),
        sa.Column("members", sa.Integer),
    )
    op.create_table(
        "rm_advisory_sessions",
        _key("session_id"),
        sa.Column("partner", sa.String(64)),
        sa.Column("held_on", sa.Date),
        sa.Column("kind", sa.String(16)),
        sa.Column("hours_hundredths", sa.Integer),
        sa.Column("participant_id", sa.String(64)),
        sa.Column("organisation_id", sa.String(64)),
    )
    op.create_table(
        "rm_trainings_completed",
        _key("training_id"),
        _key("participant_id"),
        sa.Column("partner", sa.String(64)),
        sa.Column("completed_on", sa.Date),
        sa.Column("hours_hundredths", sa.Integer),
    )
    op.create_table(
        "rm_mentoring",
        _key("mentoring_id"),
        sa.Column("partner", sa.String(64)),
        sa.Column("provided_on", sa.Date),
        sa.Column("hours_hundredths", sa.Integer),
        sa.Column("participant_id", sa.String(64)),
        sa.Column("organisation_id", sa.String(64)),
    )
    op.create_table(
        "rm_grant_applications",
        _key("application_id"),
        sa.Column("partner", sa.String(64)),
        sa.Column("applicant_kind", sa.String(32)),
        sa.Column("applicant_id", sa.String(64)),
        sa.Column("submitted_on", sa.Date),
        sa.Column("jobs_planned", sa.Integer),
        sa.Column("requested_grosze", sa.BigInteger),
        sa.Column("evaluated_on", sa.Date),
        sa.Column("score", sa.Integer),
        sa.Column("outcome", sa.String(16)),
        sa.Column("awarded_on", sa.Date),
        sa.Column("jobs_awarded", sa.Integer),
        sa.Column("amount_per_job_grosze", sa.BigInteger),
        sa.Column("awarded_grosze", sa.BigInteger),
    )
    op.create_table(
        "rm_grant_disbursements",
        _key("disbursement_id"),
        sa.Column("application_id", sa.String(64)),
        sa.Column("partner", sa.String(64)),
        sa.Column("disbursed_on", sa.Date),
        sa.Column("amount_grosze", sa.BigInteger),
    )
    op.create_table(
        "rm_cooperatives",
        _key("cooperative_id"),
        sa.Column("partner", sa.String(64)),
        sa.Column("county", sa.String(64)),
        sa.Column("founded_on", sa.Date),
        sa.Column("founders", sa.Integer),
        sa.Column("application_id", sa.String(64)),
    )
    op.create_table(
        "rm_jobs",
        _key("job_id"),
        sa.Column("partner", sa.String(64)),
        sa.Column("cooperative_id", sa.String(64)),
        sa.Column("participant_id", sa.String(64)),
        sa.Column("created_on", sa.Date),
        sa.Column("sustained_on", sa.Date),
        sa.Column("ended_on", sa.Date),
    )
    op.create_table(
        "rm_bridge_support",
        _key("job_id"),
        sa.Column("instalment", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("partner", sa.String(64)),
        sa.Column("paid_on", sa.Date),
        sa.Column("amount_grosze", sa.BigInteger),
    )
    op.create_table(
        "rm_partner_activity",
        _key("partner"),
        sa.Column("producer", sa.String(32)),
        sa.Column("last_event_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    for table in (
        "rm_partner_activity",
        "rm_bridge_support",
        "rm_jobs",
        "rm_cooperatives",
        "rm_grant_disbursements",
        "rm_grant_applications",
        "rm_mentoring",
        "rm_trainings_completed",
        "rm_advisory_sessions",
        "rm_initiative_groups",
        "rm_organisations",
    ):
        op.drop_table(table)
    with op.batch_alter_table("rm_participants") as batch:
        for name in (
            "erased_on",
            "erased",
            "withdrawn_on",
            "eligibility_on",
            "eligibility",
            "disability",
            "labour_market_status",
        ):
            batch.drop_column(name)
