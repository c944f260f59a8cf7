"""Indicators from real events on the real broker: a scripted scenario across recruitment, advisory and grants
gives exactly the figures counted by hand; duplicates and poison messages change nothing."""

from __future__ import annotations

import dataclasses

from helpers import eventually, running
from owes_common.contracts import ParticipantRecruited, topic_for
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


async def figures(client) -> dict:
    response = await client.get("/indicators")
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for_figures(client, expected: dict) -> None:
    async def reached():
        assert await figures(client) == expected

    await eventually(reached, timeout=60)


class TestScenario:
    async def test_figures_after_events_of_all_three_services_equal_the_hand_counts(
            self, reporting_app, kafka_bootstrap, namespace):
        async with running(reporting_app()) as rep:
            events = scenario()
            # a redelivered event (same id) and a second event about the same completion change nothing
            again = dataclasses.replace(events[-1])
            await publish(kafka_bootstrap, namespace, [*events, again, envelope(next(
                e for e in map(lambda c: c.payload(), events) if type(e).__name__ == "TrainingCompleted"))])
            await wait_for_figures(rep, EXPECTED_FIGURES)

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

    async def test_poison_record_is_dead_lettered_and_counts_nothing(self, reporting_app, kafka_bootstrap,
                                                                     namespace):
        async with running(reporting_app()) as rep:
            good = envelope(recruited(1, "female", "25-34", "rybnicki", __import__("datetime").date(2026, 1, 10)))
            bad = envelope(ParticipantRecruited.model_validate(good.data | {"participant_id": pid(2)}))
            headers = [(k, v) for k, v in bad.kafka_headers()]
            await publish_raw(kafka_bootstrap, topic_for("recruitment", namespace), b'{"participant_id": 1}', headers)
            await publish(kafka_bootstrap, namespace, [good])

            async def one_person():
                assert (await figures(rep))["people_supported"] == 1
                assert rep.runtime.consumer.outcomes["dead_lettered"] == 1

            await eventually(one_person, timeout=60)
