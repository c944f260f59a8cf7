from typing import cast

from alembic import context
from alembic.runtime.environment import EnvironmentContext

from owes_messaging.migrations import run_env
from reporting.tables import metadata

# alembic.context is a module standing in for the EnvironmentContext it proxies
run_env(cast(EnvironmentContext, context), metadata)
