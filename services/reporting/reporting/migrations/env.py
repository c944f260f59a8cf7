from alembic import context
from owes_messaging.migrations import run_env
from reporting.tables import metadata

run_env(context, metadata)
