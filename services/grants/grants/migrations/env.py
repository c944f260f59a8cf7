from alembic import context

from owes_messaging.migrations import run_env
from grants.tables import metadata

run_env(context, metadata)
