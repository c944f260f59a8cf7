"""Read models of recruitment's events; applications, disbursements, cooperatives, jobs and bridge support.

Money columns hold whole grosze (BIGINT): 23500.00 PLN is 2350000.

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
    op.create_table(
        "rm_participants",
        sa.Column("participant_id", sa.String(64), primary_key=True),
        sa.Column("recruited_on", sa.Date, nullable=True),
        sa.Column("county", sa.String(64), nullable=True),
        sa.Column("eligibility", sa.String(16), nullable=False),
        sa.Column("eligibility_decided_on", sa.Date, nullable=True),
        sa.Column("withdrawn_on", sa.Date, nullable=True),
    )
    op.create_table(
        "rm_initiative_groups",
        sa.Column("group_id", sa.String(64), primary_key=True),
        sa.Column("formed_on", sa.Date, nullable=False),
        sa.Column("county", sa.String(64), nullable=False),
        sa.Column("member_ids", sa.JSON, nullable=False),
    )
    op.create_table(
        "rm_organisations",
        sa.Column("organisation_id", sa.String(64), primary_key=True),
        sa.Column("enrolled_on", sa.Date, nullable=False),
        sa.Column("organisation_type", sa.String(32), nullable=False),
        sa.Column("organisation_name", sa.String(300), nullable=False),
        sa.Column("county", sa.String(64), nullable=False),
        sa.Column("is_social_enterprise", sa.Boolean, nullable=False),
    )
    op.create_table(
        "applications",
        sa.Column("application_id", sa.String(64), primary_key=True),
        sa.Column("applicant_kind", sa.String(32), nullable=False),
        sa.Column("applicant_id", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("jobs_planned", sa.Integer, nullable=False),
        sa.Column("amount_requested", sa.BigInteger, nullable=False),
        sa.Column("submitted_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("evaluated_on", sa.Date, nullable=True),
        sa.Column("jobs_awarded", sa.Integer, nullable=True),
        sa.Column("amount_per_job", sa.BigInteger, nullable=True),
        sa.Column("total_awarded", sa.BigInteger, nullable=True),
        sa.Column("awarded_on", sa.Date, nullable=True),
    )
    op.create_index("ix_applications_applicant", "applications", ["applicant_kind", "applicant_id"])
    op.create_table(
        "disbursements",
        sa.Column("disbursement_id", sa.String(64), primary_key=True),
        sa.Column("application_id", sa.String(64), sa.ForeignKey("applications.application_id"), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("disbursed_on", sa.Date, nullable=False),
    )
    op.create_index("ix_disbursements_application_id", "disbursements", ["application_id"])
    op.create_table(
        "cooperatives",
        sa.Column("cooperative_id", sa.String(64), primary_key=True),
        sa.Column("krs", sa.String(10), nullable=False, unique=True),
        sa.Column("cooperative_name", sa.String(300), nullable=False),
        sa.Column("county", sa.String(64), nullable=False),
        sa.Column("founded_on", sa.Date, nullable=False),
        sa.Column("application_id", sa.String(64), sa.ForeignKey("applications.application_id"), nullable=True),
    )
    op.create_table(
        "cooperative_founders",
        sa.Column("cooperative_id", sa.String(64), sa.ForeignKey("cooperatives.cooperative_id"), primary_key=True),
        sa.Column("participant_id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_cooperative_founders_participant_id", "cooperative_founders", ["participant_id"])
    op.create_table(
        "jobs",
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("cooperative_id", sa.String(64), sa.ForeignKey("cooperatives.cooperative_id"), nullable=False),
        sa.Column("participant_id", sa.String(64), nullable=False),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("bridge_months", sa.Integer, nullable=False),
        sa.Column("sustained_on", sa.Date, nullable=True),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("end_reason", sa.String(500), nullable=True),
    )
    op.create_index("ix_jobs_cooperative_id", "jobs", ["cooperative_id"])
    op.create_index("ix_jobs_participant_id", "jobs", ["participant_id"])
    op.create_table(
        "bridge_payments",
        sa.Column("job_id", sa.String(64), sa.ForeignKey("jobs.job_id"), primary_key=True),
        sa.Column("instalment", sa.Integer, primary_key=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("paid_on", sa.Date, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "bridge_payments",
        "jobs",
        "cooperative_founders",
        "cooperatives",
        "disbursements",
        "applications",
        "rm_organisations",
        "rm_initiative_groups",
        "rm_participants",
    ):
        op.drop_table(table)
