"""Each partner writes only its own service: every HTTP API needs credentials (401 without), and a role that may
use the route (403 otherwise). Health and metrics stay open.

Access does not depend on the database, so these tests run on SQLite only; the audit tests run on both.
"""

from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa
from fastapi import APIRouter

from advisory.main import MIGRATIONS as ADVISORY_MIGRATIONS
from advisory.settings import AdvisorySettings
from advisory.tables import metadata as advisory_metadata
from helpers import (
    TEST_API_KEYS,
    auth_headers,
    client_as,
    participant_form,
    read_topic,
    running,
    settings_for,
)
from owes_contracts import topic_for
from owes_service.runtime import ServiceRuntime, ServiceSpec
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)

PARTNERS_OF_OTHER_SERVICES = ["partner:advisory", "partner:grants"]


def recruitment(database_url, kafka_bootstrap, namespace, **overrides):
    return recruitment_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            **overrides,
        )
    )


def reporting(database_url, kafka_bootstrap, namespace, **overrides):
    return reporting_app(
        settings_for(
            ReportingSettings,
            database_url=database_url("reporting"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            **overrides,
        )
    )


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def assert_unauthorized(response) -> None:
    assert_problem(response, 401)
    challenges = response.headers.get_list("www-authenticate")
    assert len(challenges) == 2, challenges  # one header per scheme, so browsers offer Basic sign-in
    assert challenges[0].startswith("Bearer realm=") and challenges[1].startswith("Basic realm=")


async def participants_stored(client) -> int:
    async with client.runtime.engine.connect() as conn:
        return await conn.scalar(sa.text("SELECT count(*) FROM participants"))


class TestRecruitmentAccess:
    async def test_operating_partner_registers_and_reads_participants(self, database_url, kafka_bootstrap, namespace):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            created = await rec.post("/participants", json=participant_form())
            assert created.status_code == 201, created.text
            read = await rec.get(f"/participants/{created.json()['participant_id']}")
            assert read.status_code == 200
            assert read.json()["last_name"] == "Nowak"

    async def test_without_valid_credentials_nothing_is_stored_or_published(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            async with client_as(rec, None) as anonymous:
                assert_unauthorized(await anonymous.post("/participants", json=participant_form()))
                assert_unauthorized(await anonymous.get("/participants/p_0123456789abcdef"))
                forged = {"Authorization": "Bearer owes_not-a-key-anyone-was-given"}
                response = await anonymous.post("/participants", json=participant_form(), headers=forged)
                assert_unauthorized(response)
                assert 'error="invalid_token"' in response.headers["www-authenticate"]
                wrong_scheme = {"Authorization": f"Token {TEST_API_KEYS['partner:recruitment']}"}
                assert_unauthorized(
                    await anonymous.post("/participants", json=participant_form(), headers=wrong_scheme)
                )
            assert await participants_stored(rec) == 0
        assert await read_topic(kafka_bootstrap, topic_for("recruitment", namespace), idle=0.5) == []

    async def test_other_roles_may_not_register_and_nothing_is_stored_or_published(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            for role in [*PARTNERS_OF_OTHER_SERVICES, "lead", "integrator"]:
                response = await rec.post("/participants", json=participant_form(), headers=auth_headers(role))
                assert "may not write" in assert_problem(response, 403)["detail"], role
            assert await participants_stored(rec) == 0
        assert await read_topic(kafka_bootstrap, topic_for("recruitment", namespace), idle=0.5) == []

    async def test_other_roles_may_not_read_personal_data(self, database_url, kafka_bootstrap, namespace):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            participant_id = (await rec.post("/participants", json=participant_form())).json()["participant_id"]
            for role in [*PARTNERS_OF_OTHER_SERVICES, "lead", "integrator"]:
                response = await rec.get(f"/participants/{participant_id}", headers=auth_headers(role))
                assert_problem(response, 403)
                assert "Nowak" not in response.text

    async def test_the_lead_reads_where_the_partner_lets_it_and_still_may_not_write(
        self, database_url, kafka_bootstrap, namespace
    ):
        app = recruitment(database_url, kafka_bootstrap, namespace, api_readers=["lead"])
        async with running(app) as rec:
            participant_id = (await rec.post("/participants", json=participant_form())).json()["participant_id"]
            lead = auth_headers("lead")
            assert (await rec.get(f"/participants/{participant_id}", headers=lead)).status_code == 200
            assert_problem(await rec.post("/participants", json=participant_form(), headers=lead), 403)
            assert_problem(await rec.get(f"/participants/{participant_id}", headers=auth_headers("integrator")), 403)

    async def test_integrators_read_its_event_catalogue_and_nothing_else(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            integrator = auth_headers("integrator")
            assert (await rec.get("/asyncapi.json", headers=integrator)).status_code == 200
            assert_problem(await rec.get("/participants/p_0123456789abcdef", headers=integrator), 403)
            assert_problem(await rec.get("/audit", headers=integrator), 403)
            async with client_as(rec, None) as anonymous:
                assert_unauthorized(await anonymous.get("/asyncapi.json"))

    async def test_a_browser_signs_in_with_basic_auth_using_the_key_as_password(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with (
            running(recruitment(database_url, kafka_bootstrap, namespace)) as rec,
            client_as(rec, None) as browser,
        ):
            basic = base64.b64encode(f"jastrzebie-zdroj:{TEST_API_KEYS['partner:recruitment']}".encode())
            response = await browser.post(
                "/participants", json=participant_form(), headers={"Authorization": f"Basic {basic.decode()}"}
            )
            assert response.status_code == 201, response.text


class TestReportingAccess:
    async def test_the_lead_and_every_partner_read_the_indicators(self, database_url, kafka_bootstrap, namespace):
        async with running(reporting(database_url, kafka_bootstrap, namespace)) as rep:
            for role in ["lead", "partner:recruitment", "partner:advisory", "partner:grants"]:
                response = await rep.get("/indicators", headers=auth_headers(role))
                assert response.status_code == 200, (role, response.text)

    async def test_integrators_and_anonymous_callers_do_not(self, database_url, kafka_bootstrap, namespace):
        async with running(reporting(database_url, kafka_bootstrap, namespace)) as rep:
            assert_problem(await rep.get("/indicators", headers=auth_headers("integrator")), 403)
            async with client_as(rep, None) as anonymous:
                assert_unauthorized(await anonymous.get("/indicators"))


# The runtime's generic behaviour, on routes of a test's own: it applies to whatever routes a service declares.
probe = APIRouter(prefix="/probe-things", tags=["probe"])
catalogue = APIRouter(tags=["catalogue"])


@probe.get("")
async def list_things() -> dict:
    return {"things": []}


@probe.post("/{thing_id}", status_code=201)
async def make_thing(thing_id: str) -> dict:
    return {"thing_id": thing_id}


@probe.delete("/{thing_id}", status_code=204)
async def remove_thing(thing_id: str) -> None:
    return None


@catalogue.get("/probe-event-catalogue")
async def event_catalogue() -> dict:
    return {"events": ["pl.owes.advisory.AdvisorySessionHeld"]}


def advisory_with_probe(database_url, kafka_bootstrap, namespace, **overrides):
    settings = settings_for(
        AdvisorySettings,
        database_url=database_url("advisory"),
        kafka_bootstrap=kafka_bootstrap,
        namespace=namespace,
        **overrides,
    )
    return ServiceRuntime(
        ServiceSpec(
            name="advisory",
            title="advisory with probe routes",
            description="",
            settings=settings,
            metadata=advisory_metadata,
            migrations_dir=ADVISORY_MIGRATIONS,
            routers=[probe, catalogue],
        )
    ).create_app()


class TestRuntimeAccess:
    async def test_safe_methods_read_and_the_rest_write(self, database_url, kafka_bootstrap, namespace):
        async with running(advisory_with_probe(database_url, kafka_bootstrap, namespace)) as adv:
            assert (await adv.get("/probe-things")).status_code == 200
            assert (await adv.post("/probe-things/t1")).status_code == 201
            for role in ["partner:recruitment", "partner:grants", "lead", "integrator"]:
                assert_problem(await adv.get("/probe-things", headers=auth_headers(role)), 403)
                assert_problem(await adv.post("/probe-things/t2", headers=auth_headers(role)), 403)
                assert_problem(await adv.delete("/probe-things/t1", headers=auth_headers(role)), 403)
            assert (await adv.delete("/probe-things/t1")).status_code == 204

    async def test_integrators_read_the_event_catalogue_only(self, database_url, kafka_bootstrap, namespace):
        async with running(advisory_with_probe(database_url, kafka_bootstrap, namespace)) as adv:
            integrator = auth_headers("integrator")
            assert (await adv.get("/probe-event-catalogue", headers=integrator)).status_code == 200
            assert_problem(await adv.get("/probe-things", headers=integrator), 403)
            async with client_as(adv, None) as anonymous:
                assert_unauthorized(await anonymous.get("/probe-event-catalogue"))

    async def test_health_and_metrics_need_no_credentials(self, database_url, kafka_bootstrap, namespace):
        async with (
            running(advisory_with_probe(database_url, kafka_bootstrap, namespace)) as adv,
            client_as(adv, None) as anonymous,
        ):
            assert (await anonymous.get("/healthz")).status_code == 200
            assert (await anonymous.get("/readyz")).status_code == 200
            metrics = await anonymous.get("/metrics")
            assert metrics.status_code in (200, 404)  # open where the service serves metrics

    async def test_a_service_without_keys_refuses_everyone(self, database_url, kafka_bootstrap, namespace):
        async with running(advisory_with_probe(database_url, kafka_bootstrap, namespace, api_keys=[])) as adv:
            assert_unauthorized(await adv.get("/probe-things"))

    async def test_switching_authentication_off_alone_refuses_to_start_and_says_so(
        self, database_url, kafka_bootstrap, namespace, capsys
    ):
        from owes_service.runtime import AuthenticationOffRefused

        with pytest.raises(AuthenticationOffRefused) as refused:
            advisory_with_probe(database_url, kafka_bootstrap, namespace, auth_enabled=False)
        assert "ADVISORY_DEVELOPMENT_WITHOUT_AUTHENTICATION=true" in str(refused.value)
        logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        assert [(e["event"], e["level"]) for e in logged if e["event"].startswith("auth_")] == [
            ("auth_disabled_refused", "error")
        ]

    async def test_switched_off_authentication_treats_every_caller_as_the_operator(
        self, database_url, kafka_bootstrap, namespace
    ):
        app = advisory_with_probe(
            database_url, kafka_bootstrap, namespace, auth_enabled=False, development_without_authentication=True
        )
        async with running(app) as adv, client_as(adv, None) as anonymous:
            assert (await anonymous.post("/probe-things/t3")).status_code == 201
