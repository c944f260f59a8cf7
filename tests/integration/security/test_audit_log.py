"""Who changed what: every write request is recorded in the service's own audit_log table (and its JSON log),
readable by the operating partner at GET /audit. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi import APIRouter

from advisory.main import MIGRATIONS as ADVISORY_MIGRATIONS
from advisory.settings import AdvisorySettings
from advisory.tables import metadata as advisory_metadata
from helpers import auth_headers, client_as, participant_form, project_after_retention, running, settings_for
from owes_service.runtime import ServiceRuntime, ServiceSpec
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings


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


async def audit_entries(client, **params) -> list[dict]:
    response = await client.get("/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


class TestAuditLog:
    async def test_records_who_registered_a_participant(self, database_url, kafka_bootstrap, namespace, capsys):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            created = await rec.post("/participants", json=participant_form(), headers={"X-Correlation-ID": "audit-42"})
            assert created.status_code == 201
            [entry] = await audit_entries(rec)
        assert entry["principal"] == "jastrzebie-zdroj"
        assert entry["role"] == "partner:recruitment"
        assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/participants", 201)
        assert entry["correlation_id"] == "audit-42"
        assert entry["entity_id"] == created.json()["participant_id"]
        assert dt.datetime.fromisoformat(entry["at"]).utcoffset() == dt.timedelta(0)
        logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"audit"' in line]
        assert any(
            line.get("event") == "audit"
            and line["correlation_id"] == "audit-42"
            and line["principal"] == "jastrzebie-zdroj"
            and line["status"] == 201
            for line in logged
        )

    async def test_records_refused_and_invalid_writes_and_reads_of_personal_data(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            participant_id = (await rec.post("/participants", json=participant_form())).json()["participant_id"]
            assert (await rec.get(f"/participants/{participant_id}")).status_code == 200
            assert (
                await rec.post("/participants", json=participant_form(), headers=auth_headers("partner:grants"))
            ).status_code == 403
            assert (await rec.post("/participants", json=participant_form(pesel="90010112319"))).status_code == 422
            entries = await audit_entries(rec)
        assert [(e["principal"], e["method"], e["status"]) for e in entries] == [
            ("jastrzebie-zdroj", "POST", 422),
            ("rybnik", "POST", 403),
            ("jastrzebie-zdroj", "GET", 200),  # the participant's record: personal data (issue 13)
            ("jastrzebie-zdroj", "POST", 201),
        ]
        assert entries[0]["entity_id"] is None and entries[1]["entity_id"] is None

    async def test_anonymous_attempts_are_logged_but_never_fill_the_table(
        self, database_url, kafka_bootstrap, namespace, capsys
    ):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            async with client_as(rec, None) as anonymous:
                assert (await anonymous.post("/participants", json=participant_form())).status_code == 401
            assert await audit_entries(rec) == []
        assert '"audit_anonymous_write"' in capsys.readouterr().out

    async def test_names_the_participant_whose_data_was_erased(
        self, database_url, kafka_bootstrap, namespace, tmp_path
    ):
        retention_over = project_after_retention(tmp_path)
        async with running(recruitment(database_url, kafka_bootstrap, namespace, project_file=retention_over)) as rec:
            participant_id = (await rec.post("/participants", json=participant_form())).json()["participant_id"]
            assert (await rec.delete(f"/participants/{participant_id}/personal-data")).status_code == 204
            [erased, _registered] = await audit_entries(rec)
        assert (erased["method"], erased["status"], erased["entity_id"]) == ("DELETE", 204, participant_id)
        assert erased["path"] == f"/participants/{participant_id}/personal-data"

    async def test_filters_by_entity_and_principal_and_pages_backwards(self, database_url, kafka_bootstrap, namespace):
        async with running(recruitment(database_url, kafka_bootstrap, namespace)) as rec:
            ids = [
                (await rec.post("/participants", json=participant_form())).json()["participant_id"] for _ in range(3)
            ]
            await rec.post("/participants", json=participant_form(), headers=auth_headers("lead"))
            [only] = await audit_entries(rec, entity_id=ids[1])
            assert only["entity_id"] == ids[1]
            assert [e["status"] for e in await audit_entries(rec, principal="lead")] == [403]
            first = (await rec.get("/audit", params={"limit": 2})).json()
            older = await audit_entries(rec, limit=2, before=first["next_before"])
        assert [e["entity_id"] for e in first["entries"] + older] == [None, ids[2], ids[1], ids[0]]

    async def test_only_the_operating_partner_reads_it(self, database_url, kafka_bootstrap, namespace):
        app = recruitment(database_url, kafka_bootstrap, namespace, api_readers=["lead"])
        async with running(app) as rec:
            for role in ["lead", "integrator", "partner:advisory"]:
                response = await rec.get("/audit", headers=auth_headers(role))
                assert response.status_code == 403, role
            async with client_as(rec, None) as anonymous:
                assert (await anonymous.get("/audit")).status_code == 401


failing = APIRouter()


@failing.post("/probe-failures/{failure_id}")
async def fail(failure_id: str) -> dict:
    raise RuntimeError("a bug in a use case")


class TestAuditOfFailures:
    async def test_an_unhandled_error_is_recorded_as_500(self, database_url, kafka_bootstrap, namespace):
        settings = settings_for(
            AdvisorySettings,
            database_url=database_url("advisory"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
        )
        app = ServiceRuntime(
            ServiceSpec(
                name="advisory",
                title="advisory with a failing route",
                description="",
                settings=settings,
                metadata=advisory_metadata,
                migrations_dir=ADVISORY_MIGRATIONS,
                routers=[failing],
            )
        ).create_app()
        async with running(app) as adv:
            with pytest.raises(RuntimeError):  # the in-process transport re-raises what the server answers 500
                await adv.post("/probe-failures/f1")
            [entry] = await audit_entries(adv)
        assert (entry["principal"], entry["status"], entry["entity_id"]) == ("zory", 500, "f1")
