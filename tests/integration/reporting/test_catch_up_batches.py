"""Catching up in bulk: a backlog that accumulated while reporting was stopped is folded a fetched batch at a time
(rows merged in memory, upserted in bulk, inbox claims in the same transaction) and gives exactly the read models
that applying the same events one at a time gives, each event applied once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from helpers import eventually, running
from integration.reporting.reporting_scenario import EXPECTED_FIGURES, envelope, publish, scenario
from owes_contracts import (
    AgeBand,
    Gender,
    LabourMarketStatus,
    ParticipantEligibilityConfirmed,
    ParticipantRecruited,
    ParticipantWithdrawn,
)
from owes_contracts.envelope import CloudEvent
from owes_messaging.db import create_engine
from reporting.main import build_runtime
from reporting.tables import READ_MODELS, participants

PEOPLE = 1000  # with their confirmations and withdrawals: 2,000 events besides the scenario's


def backlog() -> list[CloudEvent]:
    """Several events per participant (one key, one partition, in order), so batches merge rows of one entity."""
    events = []
    for n in range(PEOPLE):
        participant = f"p_backlog{n:05d}"
        events.append(
            envelope(
                ParticipantRecruited(
                    participant_id=participant,
                    recruited_on=dt.date(2026, 1 + n % 12, 1 + n % 28),
                    gender=Gender.FEMALE if n % 2 else Gender.MALE,
                    age_band=AgeBand.FROM_25,
                    county=("rybnicki", "zory", "wodzislawski")[n % 3],
                    labour_market_status=LabourMarketStatus.UNEMPLOYED,
                    disability=n % 7 == 0,
                    at_risk_of_exclusion=n % 3 != 0,
                )
            )
        )
        if n % 5 < 3:
            events.append(
                envelope(ParticipantEligibilityConfirmed(participant_id=participant, confirmed_on=dt.date(2026, 12, 1)))
            )
        if n % 5 < 2:
            events.append(
                envelope(
                    ParticipantWithdrawn(
                        participant_id=participant, withdrawn_on=dt.date(2026, 12, 15), reason="Took up employment"
                    )
                )
            )
    return events


async def inbox_count(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(sa.text("SELECT count(*) FROM inbox WHERE consumer = 'reporting'")) or 0)
    finally:
        await engine.dispose()


async def read_models(url: str) -> dict[str, list[tuple]]:
    """Every row of every read model, in key order."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row) for row in (await conn.execute(sa.select(table).order_by(*table.primary_key))).all()
                ]
                for table in READ_MODELS
            }
    finally:
        await engine.dispose()


class TestCatchUpInBatches:
    async def test_a_backlog_after_a_restart_is_applied_once_each_and_as_one_at_a_time_would(
        self, reporting_settings, kafka_bootstrap, namespace
    ):
        batched = reporting_settings("batched")
        async with running(build_runtime(batched).create_app()):  # joins its group, then stops: the backlog builds
            pass
        events = scenario() + backlog()
        assert len(events) - len(scenario()) == 2 * PEOPLE
        await publish(kafka_bootstrap, namespace, events)

        # the same events applied by a reporting that takes each event through its own handler
        one_at_a_time = build_runtime(reporting_settings("one_at_a_time", consumer_group=f"{namespace}.single"))
        one_at_a_time.consumer.apply_batch = None
        async with (
            running(build_runtime(batched).create_app()) as rep,
            running(one_at_a_time.create_app()),
        ):

            async def caught_up() -> None:
                assert await inbox_count(batched.database_url) == len(events)
                assert await inbox_count(one_at_a_time.settings.database_url) == len(events)

            await eventually(caught_up, timeout=240, interval=0.5)
            consumer = rep.runtime.consumer
            assert consumer.outcomes["applied"] == len(events)
            assert consumer.outcomes["dead_lettered"] == 0
            figures = (await rep.get("/indicators")).json()
        assert figures["people_supported"] == EXPECTED_FIGURES["people_supported"] + PEOPLE
        bulk = await read_models(batched.database_url)
        single_rows = await read_models(one_at_a_time.settings.database_url)
        assert len(bulk[participants.name]) == 7 + PEOPLE
        position = list(participants.c).index(participants.c.withdrawn_on)
        # merged across a participant's events: 2 in 5 withdrawn, besides the scenario's one
        assert sum(1 for row in bulk[participants.name] if row[position] is not None) == 1 + 2 * PEOPLE // 5
        assert bulk == single_rows


class TestBulkWriter:
    async def test_rows_sharing_a_key_in_one_write_merge_as_one_at_a_time_would(self, database_url):
        """On PostgreSQL a write of distinct keys is one statement (unnest); rows that share a key cannot be, and
        take the per-row path: both merge by the live rule (SQLite always takes the per-row path)."""
        from owes_messaging.migrations import upgrade_to_head_async
        from reporting.domain import Participant
        from reporting.main import MIGRATIONS
        from reporting.repository import BulkWriter

        url = database_url("reporting")
        await upgrade_to_head_async(MIGRATIONS, url)
        engine = create_engine(url)
        recruited = Participant(
            participant_id="p_1", partner="zory", county="rybnicki", recruited_on=dt.date(2026, 3, 2)
        )
        other = Participant(participant_id="p_2", partner="zory", county="zory", disability=True)
        withdrawn = Participant(participant_id="p_1", withdrawn_on=dt.date(2026, 5, 4))
        try:
            async with engine.begin() as connection, BulkWriter(connection) as writer:
                await writer.write([recruited, other])  # distinct keys
                await writer.write([withdrawn, Participant(participant_id="p_2", county="wodzislawski")])
                await writer.write(
                    [Participant(participant_id="p_3", county="a"), Participant(participant_id="p_3", gender="female")]
                )
                await writer.wait()
            rows = (await read_models(url))[participants.name]
        finally:
            await engine.dispose()
        names = [c.name for c in participants.c]
        by_id = {row[0]: dict(zip(names, row, strict=True)) for row in rows}
        assert by_id["p_1"]["recruited_on"] == dt.date(2026, 3, 2) and by_id["p_1"]["withdrawn_on"] == dt.date(
            2026, 5, 4
        )
        assert by_id["p_1"]["county"] == "rybnicki"
        assert by_id["p_2"]["county"] == "wodzislawski" and by_id["p_2"]["disability"] is True
        assert (by_id["p_3"]["county"], by_id["p_3"]["gender"]) == ("a", "female")
