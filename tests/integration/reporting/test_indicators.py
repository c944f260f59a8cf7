"""Indicators from real events on the real broker: a scripted scenario across recruitment, advisory and grants
gives exactly the figures counted by hand; duplicates and poison messages change nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from helpers import eventually, running
from integration.reporting.reporting_scenario import (
    EXPECTED_BREAKDOWNS,
    EXPECTED_FIGURES,
    EXPECTED_PARTICIPANTS,
    envelope,
    pid,
    publish,
    publish_raw,
    recruited,
    scenario,
)
from owes_contracts import JobCreated, ParticipantDataErased, TrainingCompleted, topic_for
from reporting.tables import metadata


async def figures(client) -> dict:
    response = await client.get("/indicators")
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for_figures(client, expected: dict) -> None:
    async def reached():
        assert await figures(client) == expected

    await eventually(reached, timeout=60)


class TestScenario:
    async def test_events_of_all_three_services_give_the_hand_counted_figures(
        self, reporting_app, kafka_bootstrap, namespace
    ):
        async with running(reporting_app()) as rep:
            events = scenario()
            redelivered = dataclasses.replace(events[-1])  # the same event (same id) delivered twice
            completion = next(e.payload() for e in events if e.type == TrainingCompleted.ce_type())
            restated = envelope(completion)  # another event stating the same completion
            await publish(kafka_bootstrap, namespace, [*events, redelivered, restated])
            # and a poison record: dead-lettered, counted nowhere
            other = envelope(recruited(99, "male", "25-34", "rybnicki", dt.date(2026, 1, 10)))
            await publish_raw(
                kafka_bootstrap, topic_for("recruitment", namespace), b'{"participant_id": 1}', other.kafka_headers()
            )
            await wait_for_figures(rep, EXPECTED_FIGURES)

            async def poison_dead_lettered():  # on another partition (its own key): it may come after the figures
                assert rep.runtime.consumer.outcomes["dead_lettered"] == 1

            await eventually(poison_dead_lettered)

            report = (await rep.get("/indicators/report")).json()
            assert report["participants"] == EXPECTED_PARTICIPANTS
            by_key = {i["key"]: i for i in report["indicators"]}
            for (key, dimension), buckets in EXPECTED_BREAKDOWNS.items():
                got = {b["bucket"]: b["value"] for b in by_key[key]["breakdowns"][dimension]}
                assert got == buckets, (key, dimension)
            people = by_key["people_supported"]
            assert (people["target"], people["progress_percent"]) == (400, "1.5")
            assert by_key["jobs_for_people_at_risk"]["progress_percent"] == "6.7"  # 4 of 60
            assert by_key["advisory_hours"]["target"] is None
            assert [s["cumulative"] for s in people["series"]][:4] == [2, 4, 6, 6]  # Jan, Feb, Mar, Apr 2026
            assert report["months"][0] == "2026-01" and report["months"][-1] == "2027-06"

            stored, erased = await stored_values_and_participant(rep, pid(6))
        # reporting keeps nothing that could point at a person or an entity, and the erased person still counts
        assert [value for value in IDENTIFYING if any(value in s for s in stored)] == []
        assert set(metadata.tables["rm_participants"].c.keys()) == PARTICIPANT_COLUMNS
        assert erased["erased"] is True and (erased["gender"], erased["county"]) == ("male", "rybnicki")


async def stored_values_and_participant(rep, participant_id: str) -> tuple[list[str], dict]:
    """Every value in every table of reporting's database, and one participant's row."""
    rm_participants = metadata.tables["rm_participants"]
    async with rep.runtime.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        stored = []
        for name in tables:
            stored += [
                str(v) for row in await conn.execute(sa.text(f"SELECT * FROM {name}")) for v in row if v is not None
            ]
        row = (
            (await conn.execute(sa.select(rm_participants).where(rm_participants.c.participant_id == participant_id)))
            .one()
            ._asdict()
        )
    return stored, row


# Values of the scenario's events that could point at a person or an entity; reporting must keep none of them.
IDENTIFYING = (
    "Stowarzyszenie Razem",
    "Fundacja Pomocna",
    "Piekarnia Lokalna",
    "CIS Rybnik",
    "Spółdzielnia Socjalna Razem",
    "0000380128",
    "Lives outside the subregion",
    "Took up employment",
    "Moved away",
    "Zakładanie spółdzielni socjalnej",
    "adv_1",
    "mentor_1",
)
PARTICIPANT_COLUMNS = {
    "participant_id",
    "partner",
    "county",
    "gender",
    "age_band",
    "labour_market_status",
    "disability",
    "at_risk_of_exclusion",
    "recruited_on",
    "eligibility",
    "eligibility_on",
    "withdrawn_on",
    "erased",
    "erased_on",
    "outside_subregion",
    # the ESF+ coarse values at entry (issue 14): groups and yes/no/refused, nothing that names a person
    "esf_age_group",
    "education",
    "third_country_national",
    "foreign_background",
    "minority",
    "homeless",
    "rural",
}


class TestErasure:
    async def test_erased_participant_still_counts(self, reporting_app, kafka_bootstrap, namespace):
        async with running(reporting_app()) as rep:
            await publish(
                kafka_bootstrap,
                namespace,
                [
                    envelope(recruited(1, "female", "25-34", "rybnicki", dt.date(2026, 1, 10))),
                    envelope(
                        JobCreated(
                            job_id="job_1",
                            created_on=dt.date(2026, 6, 1),
                            cooperative_id="coop_1",
                            participant_id=pid(1),
                        )
                    ),
                ],
            )

            async def counted():
                got = await figures(rep)
                assert (got["people_supported"], got["jobs_for_people_at_risk"]) == (1, 1)

            await eventually(counted, timeout=60)
            before = await figures(rep)
            await publish(
                kafka_bootstrap,
                namespace,
                [envelope(ParticipantDataErased(participant_id=pid(1), erased_on=dt.date(2026, 7, 1)))],
            )

            async def erased():
                report = (await rep.get("/indicators/report")).json()
                assert report["participants"]["erased"] == 1

            await eventually(erased, timeout=60)
            assert await figures(rep) == before
