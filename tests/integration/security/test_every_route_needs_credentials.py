"""Every route every service documents, now and later, refuses callers without credentials (401) and roles
that may not use it (403), before any of its own code runs. Only health and metrics are open."""

from __future__ import annotations

import re

import httpx
import pytest

from advisory.main import create_app as advisory_app
from advisory.settings import AdvisorySettings
from grants.main import create_app as grants_app
from grants.settings import GrantsSettings
from helpers import auth_headers, settings_for
from owes_service.auth import READ_METHODS
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

SERVICES = {
    "recruitment": (recruitment_app, RecruitmentSettings, "partner:recruitment"),
    "advisory": (advisory_app, AdvisorySettings, "partner:advisory"),
    "grants": (grants_app, GrantsSettings, "partner:grants"),
    "reporting": (reporting_app, ReportingSettings, "lead"),
}
OPEN = {"/healthz", "/readyz", "/metrics"}
ROLES = ["partner:recruitment", "partner:advisory", "partner:grants", "lead", "integrator"]


def endpoints(app) -> list[tuple[str, str, str, list[str]]]:
    """(method, concrete path, path template, tags) of every documented route, path parameters filled in."""
    out = []
    for template, operations in app.openapi()["paths"].items():
        if template in OPEN:
            continue
        path = re.sub(r"\{[^}]+\}", "x_1", template)
        out += [(method.upper(), path, template, op.get("tags", [])) for method, op in operations.items()]
    return out


def expected_for(service: str, role: str, method: str, template: str, tags: list[str]) -> int | None:
    """403 where the policy refuses this role; None where it allows it (the route's own code then answers)."""
    operator = SERVICES[service][2]
    if role == operator:
        return None
    if method not in READ_METHODS:
        return 403
    if template == "/audit":
        return 403
    if "catalogue" in tags or template.startswith(("/asyncapi", "/catalogue")):
        return None
    if service == "reporting" and role.startswith("partner:"):
        return None
    return 403


@pytest.fixture(params=sorted(SERVICES))
async def service_app(request, tmp_path):
    """A service's app without its lifespan: the credential check needs neither database nor broker."""
    factory, settings_cls, _operator = SERVICES[request.param]
    settings = settings_for(
        settings_cls,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db",
        kafka_bootstrap="127.0.0.1:1",
        namespace="unused",
    )
    app = factory(settings)
    yield request.param, app
    await app.state.runtime.producer.stop()  # built with the runtime, never started: close it quietly


async def call(app, method: str, path: str, headers: dict) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.request(method, path, headers=headers)


class TestEveryRoute:
    async def test_refuses_callers_without_credentials(self, service_app):
        service, app = service_app
        routes = endpoints(app)
        assert routes, f"{service} declares no routes"
        for method, path, _template, _tags in routes:
            response = await call(app, method, path, {})
            assert response.status_code == 401, (service, method, path, response.status_code)
            assert response.headers["www-authenticate"].startswith("Bearer")

    async def test_refuses_roles_the_policy_does_not_allow(self, service_app):
        service, app = service_app
        checked = 0
        for method, path, template, tags in endpoints(app):
            for role in ROLES:
                if expected_for(service, role, method, template, tags) == 403:
                    response = await call(app, method, path, auth_headers(role))
                    assert response.status_code == 403, (service, role, method, path, response.status_code)
                    checked += 1
        assert checked > 0
