"""Recruitment's own tables (personal data lives here and nowhere else), plus outbox and inbox."""

import sqlalchemy as sa

from owes_common.messaging_tables import inbox_table, outbox_table

metadata = sa.MetaData()

participants = sa.Table(
    "participants", metadata,
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
    sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("recruited_on", sa.Date, nullable=False),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
