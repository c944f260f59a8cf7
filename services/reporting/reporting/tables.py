"""Reporting read models: built only from events, droppable and rebuildable from the topics.

Every read model is keyed by the id of the entity it describes (never by event id), so applying an event twice
changes nothing. Columns other than the key are nullable: an entity's row is merged from several events, and a
partial row may be written before the rest of it arrives. Merge rule per column (`info["merge"]`): by default a
new non-null value replaces the old one ("coalesce"); "max" keeps the greatest.
Money is integer grosze and durations are integer hundredths of an hour, so sums are exact on every database.
No personal data: pseudonymous ids and the coarse attributes that indicators need, nothing else.
"""

import sqlalchemy as sa

from owes_messaging.messaging_tables import inbox_table, outbox_table

metadata = sa.MetaData()

MAX = {"merge": "max"}


def _key(name: str, length: int = 64) -> sa.Column:
    return sa.Column(name, sa.String(length), primary_key=True)


participants = sa.Table(
    "rm_participants",
    metadata,
    _key("participant_id"),
    sa.Column("partner", sa.String(64)),
    sa.Column("county", sa.String(64)),
    sa.Column("gender", sa.String(16)),
    sa.Column("age_band", sa.String(8)),
    sa.Column("labour_market_status", sa.String(32)),
    sa.Column("disability", sa.Boolean),
    sa.Column("at_risk_of_exclusion", sa.Boolean),
    sa.Column("recruited_on", sa.Date),
    sa.Column("eligibility", sa.String(16)),  # "confirmed" | "rejected"; NULL while pending
    sa.Column("eligibility_on", sa.Date),
    sa.Column("withdrawn_on", sa.Date),
    sa.Column("erased", sa.Boolean),
    sa.Column("erased_on", sa.Date),
    sa.Column("outside_subregion", sa.Boolean),  # 0950; NULL: recruited before recruitment said
    # 0970: the ESF+ coarse values at entry (NULL: not in the event)
    sa.Column("esf_age_group", sa.String(16)),
    sa.Column("education", sa.String(16)),
    sa.Column("third_country_national", sa.String(8)),
    sa.Column("foreign_background", sa.String(8)),
    sa.Column("minority", sa.String(8)),
    sa.Column("homeless", sa.String(8)),
    sa.Column("rural", sa.Boolean),
)

organisations = sa.Table(
    "rm_organisations",
    metadata,
    _key("organisation_id"),
    sa.Column("partner", sa.String(64)),
    sa.Column("county", sa.String(64)),
    sa.Column("organisation_type", sa.String(32)),
    sa.Column("is_social_enterprise", sa.Boolean),
    sa.Column("runs_economic_activity", sa.Boolean),  # at enrolment
    sa.Column("enrolled_on", sa.Date),
    sa.Column("activity", sa.String(32)),
    sa.Column("activity_started_on", sa.Date),
)

initiative_groups = sa.Table(
    "rm_initiative_groups",
    metadata,
    _key("group_id"),
    sa.Column("partner", sa.String(64)),
    sa.Column("county", sa.String(64)),
    sa.Column("formed_on", sa.Date),
    sa.Column("members", sa.Integer),
)

advisory_sessions = sa.Table(
    "rm_advisory_sessions",
    metadata,
    _key("session_id"),
    sa.Column("partner", sa.String(64)),
    sa.Column("held_on", sa.Date),
    sa.Column("kind", sa.String(16)),
    sa.Column("hours_hundredths", sa.Integer),
    sa.Column("participant_id", sa.String(64)),
    sa.Column("organisation_id", sa.String(64)),
)

trainings = sa.Table(
    "rm_trainings_completed",
    metadata,
    _key("training_id"),
    _key("participant_id"),
    sa.Column("partner", sa.String(64)),
    sa.Column("completed_on", sa.Date),
    sa.Column("hours_hundredths", sa.Integer),
)

mentoring = sa.Table(
    "rm_mentoring",
    metadata,
    _key("mentoring_id"),
    sa.Column("partner", sa.String(64)),
    sa.Column("provided_on", sa.Date),
    sa.Column("hours_hundredths", sa.Integer),
    sa.Column("participant_id", sa.String(64)),
    sa.Column("organisation_id", sa.String(64)),
)

grant_applications = sa.Table(
    "rm_grant_applications",
    metadata,
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

disbursements = sa.Table(
    "rm_grant_disbursements",
    metadata,
    _key("disbursement_id"),
    sa.Column("application_id", sa.String(64)),
    sa.Column("partner", sa.String(64)),
    sa.Column("disbursed_on", sa.Date),
    sa.Column("amount_grosze", sa.BigInteger),
)

cooperatives = sa.Table(
    "rm_cooperatives",
    metadata,
    _key("cooperative_id"),
    sa.Column("partner", sa.String(64)),
    sa.Column("county", sa.String(64)),
    sa.Column("founded_on", sa.Date),
    sa.Column("founders", sa.Integer),
    sa.Column("application_id", sa.String(64)),
)

jobs = sa.Table(
    "rm_jobs",
    metadata,
    _key("job_id"),
    sa.Column("partner", sa.String(64)),
    sa.Column("cooperative_id", sa.String(64)),
    sa.Column("participant_id", sa.String(64)),
    sa.Column("created_on", sa.Date),
    sa.Column("sustained_on", sa.Date),
    sa.Column("ended_on", sa.Date),
    sa.Column("working_time", sa.String(16)),
    sa.Column("maintenance_funded_on", sa.Date),
    sa.Column("maintenance_grosze", sa.BigInteger),
    sa.Column("not_sustained_on", sa.Date),
)

bridge_support = sa.Table(
    "rm_bridge_support",
    metadata,
    _key("job_id"),
    sa.Column("instalment", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("partner", sa.String(64)),
    sa.Column("paid_on", sa.Date),
    sa.Column("amount_grosze", sa.BigInteger),
)

partner_activity = sa.Table(
    "rm_partner_activity",
    metadata,
    _key("partner"),
    sa.Column("producer", sa.String(32)),
    sa.Column("last_event_at", sa.DateTime(timezone=True), info=MAX),
)

# Every read model, in the order a rebuild truncates and fills them.
READ_MODELS: tuple[sa.Table, ...] = (
    participants,
    organisations,
    initiative_groups,
    advisory_sessions,
    trainings,
    mentoring,
    grant_applications,
    disbursements,
    cooperatives,
    jobs,
    bridge_support,
    partner_activity,
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
