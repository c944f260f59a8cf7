"""Composition root of the advisory service."""

from __future__ import annotations

from owes_service.composition import CompositionRoot

from . import api
from .consumers import HANDLERS
from .pages import pages
from .settings import AdvisorySettings
from .tables import metadata

DESCRIPTION = (
    "Advisory sessions, trainings and mentoring, for participants and organisations it has learnt "
    "of from recruitment's events."
)
ROOT = CompositionRoot(__file__, AdvisorySettings, DESCRIPTION, metadata, api.routers, pages.mount, handlers=HANDLERS)
# what the command line, the servers and the tests import
MIGRATIONS, build_runtime, create_app = ROOT.migrations, ROOT.build_runtime, ROOT.create_app
