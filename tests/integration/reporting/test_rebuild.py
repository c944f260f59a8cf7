"""Rebuild: dropping the read models and folding the topics again from the beginning gives the same numbers,
row for row, as the live path did event by event; the service then resumes after the rebuilt events."""

from __future__ import annotations

import asyncio
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from helpers import eventually, running
from integration.reporting.reporting_scenario import (
    EXPECTED_FIGURES,
    envelope,
    publish,
    publish_raw,
    recruited,
    scenario,
)
from owes_cli.main import main as owes
from owes_contracts import topic_for
from owes_messaging.db import create_engine
from reporting.rebuild import rebuild
from reporting.tables import READ_MODELS, participants


async def read_models(url: str) -> dict[str, list[tuple]]:
    """Every row of every read model, in key order."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in await conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
                for t in READ_MODELS
            }
    finally:
        await engine.dispose()


async def report_without_time(client) -> dict:
    response = await client.get("/indicators/report")
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json().items() if k != "generated_at"}


async def publish_scenario_with_a_poison_record(kafka_bootstrap, namespace) -> None:
    events = scenario()
    await publish(kafka_bootstrap, namespace, events)
    await publish_raw(kafka_bootstrap, topic_for("advisory", namespace), b"not json", events[0].kafka_headers())


class TestRebuild:
    async def test_rebuild_gives_the_same_read_models_as_the_live_path_and_the_service_resumes_after_it(
        self, reporting_app, reporting_settings, kafka_bootstrap, namespace
    ):
        async with running(reporting_app("live")) as rep:
            await publish_scenario_with_a_poison_record(kafka_bootstrap, namespace)

            async def all_applied():
                assert (await rep.get("/indicators")).json() == EXPECTED_FIGURES
                assert rep.runtime.consumer.outcomes["dead_lettered"] == 1

            await eventually(all_applied, timeout=60)
            live_report = await report_without_time(rep)
        live_settings = reporting_settings("live")
        live_rows = await read_models(live_settings.database_url)

        # a stray row no event supports disappears: the read models are dropped, not patched
        engine = create_engine(live_settings.database_url)
        async with engine.begin() as conn:
            await conn.execute(sa.insert(participants).values(participant_id="p_stray_row", gender="male"))
        await engine.dispose()

        result = await rebuild(live_settings)
        assert (result.events, result.applied, result.skipped) == (len(scenario()) + 1, len(scenario()), 1)
        assert await read_models(live_settings.database_url) == live_rows

        # into a new database, for a new consumer group: the group's offsets end up after the rebuilt events
        group = f"{namespace}.reporting-rebuilt"
        fresh = reporting_settings("fresh", consumer_group=group)
        assert (await rebuild(fresh)).offsets_committed
        assert await read_models(fresh.database_url) == live_rows

        async with running(reporting_app("fresh", consumer_group=group)) as rep:
            late = envelope(recruited(99, "female", "65+", "raciborski", dt.date(2026, 7, 1)))
            await publish(kafka_bootstrap, namespace, [late])

            async def late_one_counted():
                assert (await rep.get("/indicators")).json()["people_supported"] == 7

            await eventually(late_one_counted, timeout=60)
            assert sum(rep.runtime.consumer.outcomes.values()) == 1  # nothing before it was consumed again
            report = await report_without_time(rep)
        assert report != live_report and report["participants"]["recruited"] == 8


class TestRebuildCommand:
    def test_owes_reporting_rebuild_with_worker_processes_gives_the_same_rows(
        self, reporting_settings, kafka_bootstrap, namespace, monkeypatch, capsys
    ):
        settings = reporting_settings("cli")
        asyncio.run(publish(kafka_bootstrap, namespace, scenario()))
        for name, value in {
            "DATABASE_URL": settings.database_url,
            "TOPIC_NAMESPACE": namespace,
            "KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
            "KAFKA__ENABLE_IDEMPOTENCE": "false",
        }.items():
            monkeypatch.setenv(f"REPORTING_{name}", value)

        assert owes(["reporting", "rebuild", "--workers", "2", "--no-commit-offsets"]) == 0

        out = capsys.readouterr().out
        assert f"from {len(scenario())} events ({len(scenario())} applied, 0 skipped)" in out
        single = reporting_settings("single")
        asyncio.run(rebuild(single, commit_offsets=False))  # all in this process
        rows = asyncio.run(read_models(settings.database_url))
        assert rows == asyncio.run(read_models(single.database_url))
        assert len(rows["rm_participants"]) == 7 and len(rows["rm_jobs"]) == 5
