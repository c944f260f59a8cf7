"""A service whose database goes away: its consumer waits the outage out (retrying with back-off) and then
applies each event once; its HTTP API answers 503 problem details meanwhile, and stores nothing."""

from __future__ import annotations

import asyncio

import pytest

from helpers import DatabaseOutage, eventually, participant_form, running, settings_for
from owes_contracts import topic_for
from owes_messaging.consumer import Outcome
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings


async def people_supported(client) -> int:
    response = await client.get("/indicators")
    assert response.status_code == 200, response.text
    return response.json()["people_supported"]


class TestConsumerWhileItsDatabaseIsAway:
    async def test_events_arriving_during_the_outage_are_applied_once_when_it_ends(
        self, db_backend, reporting, publisher, recruited, namespace
    ):
        topic = topic_for("recruitment", namespace)
        async with running(reporting()) as rep:
            consumer = rep.runtime.consumer
            for _ in range(3):
                await publisher.event(topic, recruited())

            async def applied(n):
                assert consumer.outcomes == {Outcome.APPLIED: n}
                assert await people_supported(rep) == n

            await eventually(lambda: applied(3))
            outage = DatabaseOutage(reporting.database_url)
            await asyncio.to_thread(outage.begin)
            try:
                for _ in range(5):
                    await publisher.event(topic, recruited())
                if outage.is_sqlite:  # writers queue on the lock (busy timeout) instead of failing
                    await asyncio.sleep(2)
                else:

                    async def retrying():
                        assert consumer.retries >= 2

                    await eventually(retrying)
                    unavailable = await rep.get("/indicators")
                    assert unavailable.status_code == 503
                    assert unavailable.headers["content-type"] == "application/problem+json"
                    assert unavailable.headers["retry-after"] == "1"
                assert consumer.outcomes == {Outcome.APPLIED: 3}
            finally:
                await asyncio.to_thread(outage.end)

            await eventually(lambda: applied(8), timeout=30)


class TestWritesWhileTheDatabaseIsAway:
    @pytest.mark.parametrize("db_backend", ["postgres"])  # SQLite writers wait out a lock rather than fail
    async def test_are_refused_with_503_and_nothing_is_stored_then_accepted_when_it_is_back(
        self, db_backend, database_url, kafka_bootstrap, namespace
    ):
        url = database_url("recruitment")
        app = recruitment_app(
            settings_for(RecruitmentSettings, database_url=url, kafka_bootstrap=kafka_bootstrap, namespace=namespace)
        )
        async with running(app) as rec:
            outage = DatabaseOutage(url)
            form = participant_form()
            await asyncio.to_thread(outage.begin)
            try:
                refused = await rec.post("/participants", json=form)
            finally:
                await asyncio.to_thread(outage.end)
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["title"] == "Service unavailable"

            async def accepted():  # the pool reconnects on its own once the database is back
                response = await rec.post("/participants", json=form)
                assert response.status_code == 201, response.text

            await eventually(accepted)
            assert await rec.runtime.relay.pending_count() + rec.runtime.relay.published_total == 1
