"""A consumer applies an event only when it comes from the one producing service that owns its type, as the partner
configured to operate that service: Kafka ACLs are the first wall, this is the second (docs/security.md)."""

from __future__ import annotations

from helpers import eventually, header, read_topic, running
from owes_contracts import dead_letter_topic_for, topic_for
from owes_messaging.consumer import DLQ_REASON, Outcome


async def partners_seen(client) -> set[str]:
    response = await client.get("/freshness")
    assert response.status_code == 200, response.text
    return {line["partner"] for line in response.json()["partners"]}


async def people_supported(client) -> int:
    response = await client.get("/indicators")
    assert response.status_code == 200, response.text
    return response.json()["people_supported"]


class TestEventOrigin:
    async def test_foreign_type_unknown_source_or_partner_is_dead_lettered_with_the_reason(
        self, reporting, publisher, recruited, kafka_bootstrap, namespace
    ):
        on_grants_topic = recruited()
        invented_source = recruited(source="/owes/invented-partner/recruitment")
        invented_partner = recruited(partner="invented-partner")
        genuine = recruited()
        async with running(reporting()) as rep:
            await publisher.event(topic_for("grants", namespace), on_grants_topic)
            for event in (invented_source, invented_partner, genuine):
                await publisher.event(topic_for("recruitment", namespace), event)

            async def settled():
                assert rep.runtime.consumer.outcomes == {Outcome.DEAD_LETTERED: 3, Outcome.APPLIED: 1}

            await eventually(settled)
            assert await people_supported(rep) == 1
            assert "invented-partner" not in await partners_seen(rep)

        dead = await read_topic(kafka_bootstrap, dead_letter_topic_for("reporting", namespace), idle=0.5)
        reasons = {header(d, "ce_id"): header(d, DLQ_REASON) for d in dead}
        assert reasons == {
            on_grants_topic.id: (
                f"origin: pl.owes.recruitment.ParticipantRecruited belongs to recruitment, not to "
                f"grants who writes {namespace}.grants.events"
            ),
            invented_source.id: (
                "origin: source '/owes/invented-partner/recruitment' is not recruitment's configured "
                "source '/owes/jastrzebie-zdroj/recruitment'"
            ),
            invented_partner.id: (
                "origin: partner 'invented-partner' is not 'jastrzebie-zdroj', who operates recruitment"
            ),
        }

    async def test_the_partner_operating_a_producer_is_configuration(self, reporting, publisher, recruited, namespace):
        from_raciborz = recruited(source="/owes/raciborz/recruitment", partner="raciborz")
        from_the_default = recruited()
        async with running(reporting(producer_partners={"recruitment": "raciborz"})) as rep:
            assert rep.runtime.settings.producer_partners["grants"] == "rybnik"  # the others keep their default
            for event in (from_the_default, from_raciborz):
                await publisher.event(topic_for("recruitment", namespace), event)

            async def settled():
                assert rep.runtime.consumer.outcomes == {Outcome.DEAD_LETTERED: 1, Outcome.APPLIED: 1}

            await eventually(settled)
            assert "raciborz" in await partners_seen(rep)
