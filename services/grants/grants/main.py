"""Composition root of the grants service."""

from __future__ import annotations

from owes_service.composition import CompositionRoot

from . import api
from .consumers import HANDLERS
from .pages import pages
from .settings import GrantsSettings
from .tables import metadata

DESCRIPTION = (
    "Grant applications, awards, cooperatives, jobs and bridge support. Knows participants, "
    "initiative groups and organisations only from recruitment's events."
)
ROOT = CompositionRoot(__file__, GrantsSettings, DESCRIPTION, metadata, api.routers, pages.mount, handlers=HANDLERS)
# what the command line, the servers and the tests import
MIGRATIONS, build_runtime, create_app = ROOT.migrations, ROOT.build_runtime, ROOT.create_app
