"""Composition root of the recruitment service."""

from __future__ import annotations

from owes_service.composition import CompositionRoot

from . import api
from .pages import pages
from .settings import RecruitmentSettings
from .tables import metadata

DESCRIPTION = "Participants, organisations and initiative groups. Owns personal data; publishes facts only."
ROOT = CompositionRoot(__file__, RecruitmentSettings, DESCRIPTION, metadata, api.routers, pages.mount)
# what the command line, the servers and the tests import
MIGRATIONS, build_runtime, create_app = ROOT.migrations, ROOT.build_runtime, ROOT.create_app
