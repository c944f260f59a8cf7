"""Recruitment's own tables (personal data lives here and nowhere else), plus outbox and inbox."""

import sqlalchemy as sa

from owes_messaging.messaging_tables import inbox_table, outbox_table

metadata = sa.MetaData()

participants = sa.Table(
    "participants",
    metadata,
    sa.Column("participant_id", sa.String(64), primary_key=True),
    # Personal data: nulled on GDPR erasure.
    sa.Column("pesel", sa.String(11), nullable=True, unique=True),
    sa.Column("first_name", sa.String(100), nullable=True),
    sa.Column("last_name", sa.String(100), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("phone", sa.String(32), nullable=True),
    sa.Column("address", sa.String(300), nullable=True),
    # Coarse attributes the indicators need: kept after erasure.
    sa.Column("county", sa.String(64), nullable=False),
    sa.Column("gender", sa.String(16), nullable=False),
    sa.Column("age_band", sa.String(8), nullable=False),
    sa.Column("labour_market_status", sa.String(32), nullable=False),
    sa.Column("disability", sa.Boolean, nullable=False),
    sa.Column("at_risk_of_exclusion", sa.Boolean, nullable=False),
    # The participant form's ESF+ answers (0990), as given on the day participation starts
    sa.Column("unemployed_months", sa.Integer, nullable=True),
    sa.Column("education", sa.String(16), nullable=True),
    sa.Column("esf_age_group", sa.String(16), nullable=True),
    sa.Column("third_country_national", sa.String(8), nullable=True),
    sa.Column("foreign_background", sa.String(8), nullable=True),
    sa.Column("minority", sa.String(8), nullable=True),
    sa.Column("homeless", sa.String(8), nullable=True),
    sa.Column("rural", sa.Boolean, nullable=True),
    # Erasure requested during the retention period (1000): processing restricted from that day until erasure
    sa.Column("restricted_on", sa.Date, nullable=True),
    sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("recruited_on", sa.Date, nullable=False),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    # Life cycle (0002): the eligibility decision and the withdrawal.
    sa.Column("eligibility_decided_on", sa.Date, nullable=True),
    sa.Column("rejection_reason", sa.String(500), nullable=True),
    sa.Column("withdrawn_on", sa.Date, nullable=True),
    sa.Column("withdrawal_reason", sa.String(500), nullable=True),
    # 0930: flagged when the person lives outside the project's subregion (NULL: recruited before the rule).
    sa.Column("outside_subregion", sa.Boolean, nullable=True),
    # 0960: reasons as codes (they travel); rejection_reason and withdrawal_reason hold staff's note (personal
    # data may slip into it: nulled on erasure).
    sa.Column("rejection_reason_code", sa.String(32), nullable=True),
    sa.Column("withdrawal_reason_code", sa.String(32), nullable=True),
    # 1010: why the person is at risk of social exclusion, the social economy act's categories (a list of codes;
    # NULL: recruited before they were recorded, or erased: health and convictions are among them).
    sa.Column("at_risk_categories", sa.JSON, nullable=True),
)

organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("organisation_id", sa.String(64), primary_key=True),
    sa.Column("organisation_type", sa.String(32), nullable=False),
    sa.Column("organisation_name", sa.String(300), nullable=False),
    sa.Column("county", sa.String(64), nullable=False),
    sa.Column("nip", sa.String(10), nullable=False, unique=True),
    sa.Column("regon", sa.String(14), nullable=False),
    sa.Column("krs", sa.String(10), nullable=True),  # unique (0980 ux_organisations_krs): one organisation per KRS
    sa.Column("is_social_enterprise", sa.Boolean, nullable=False),
    sa.Column("runs_economic_activity", sa.Boolean, nullable=False),
    sa.Column("enrolled_on", sa.Date, nullable=False),
    sa.Column("economic_activity", sa.String(32), nullable=True),
    sa.Column("economic_activity_started_on", sa.Date, nullable=True),
    sa.Column("legal_form", sa.String(32), nullable=True),  # 0970: NULL before it was asked
)

initiative_groups = sa.Table(
    "initiative_groups",
    metadata,
    sa.Column("group_id", sa.String(64), primary_key=True),
    sa.Column("group_name", sa.String(200), nullable=True),
    sa.Column("county", sa.String(64), nullable=False),
    sa.Column("formed_on", sa.Date, nullable=False),
)

initiative_group_members = sa.Table(
    "initiative_group_members",
    metadata,
    sa.Column("group_id", sa.String(64), sa.ForeignKey("initiative_groups.group_id"), primary_key=True),
    sa.Column("participant_id", sa.String(64), sa.ForeignKey("participants.participant_id"), primary_key=True),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
