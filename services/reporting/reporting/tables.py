"""Reporting read models: built only from events, droppable and rebuildable from the topics."""

import sqlalchemy as sa

from owes_common.messaging_tables import inbox_table, outbox_table

metadata = sa.MetaData()

participants = sa.Table(
    "rm_participants", metadata,
    sa.Column("participant_id", sa.String(64), primary_key=True),
    sa.Column("partner", sa.String(64), nullable=False),
    sa.Column("county", sa.String(64), nullable=False),
    sa.Column("gender", sa.String(16), nullable=False),
    sa.Column("age_band", sa.String(8), nullable=False),
    sa.Column("recruited_on", sa.Date, nullable=False),
    sa.Column("at_risk_of_exclusion", sa.Boolean, nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
