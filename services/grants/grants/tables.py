"""Grants's own tables, plus outbox and inbox."""

import sqlalchemy as sa

from owes_common.messaging_tables import inbox_table, outbox_table

metadata = sa.MetaData()

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
