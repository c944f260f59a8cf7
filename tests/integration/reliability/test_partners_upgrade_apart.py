"""Partners upgrade on their own schedule (issue 21): today's consumers apply the events of a contract that has
grown; a new event version published during its transition window is counted once by consumers of either
release; each event says which release published it, and reporting shows each partner's release."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

import owes_contracts
from helpers import eventually, header, participant_form, read_topic, running, settings_for
from owes_contracts import AgeBand, Event, LabourMarketStatus, ParticipantRecruited, topic_for
from owes_contracts.base import ParticipantId
from owes_contracts.compatibility import breaking_changes
from owes_contracts.envelope import CloudEvent
from owes_contracts.releases import RELEASE
from owes_contracts.schemas import event_schema
from owes_messaging.consumer import Outcome
from owes_messaging.messaging_tables import outbox_table
from owes_messaging.outbox import OutboxWriter
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

SOURCE, PARTNER = "/owes/jastrzebie-zdroj/recruitment", "jastrzebie-zdroj"


class GrownGender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"


class GrownParticipantRecruited(ParticipantRecruited):
    """ParticipantRecruited v1 as a later release of recruitment grows it: a new enum value, a new optional field."""

    gender: GrownGender = Field(description="Gender.")
    referred_by: str | None = Field(default=None, description="Which office referred the person.")


async def buckets(client, key: str, dimension: str) -> dict[str, int]:
    response = await client.get(f"/indicators/{key}/breakdowns/{dimension}")
    assert response.status_code == 200, response.text
    return {b["bucket"]: b["value"] for b in response.json()["buckets"]}


async def people_supported(client) -> int:
    response = await client.get("/indicators")
    assert response.status_code == 200, response.text
    return response.json()["people_supported"]


def recruited_payload(model=ParticipantRecruited, **fields):
    values = dict(
        participant_id=f"p_{uuid.uuid4().hex[:16]}",
        recruited_on=dt.date(2026, 3, 2),
        gender="female",
        age_band=AgeBand.FROM_25,
        county="rybnicki",
        labour_market_status=LabourMarketStatus.UNEMPLOYED,
        disability=False,
        at_risk_of_exclusion=True,
    )
    return model(**(values | fields))


class TestToleratedGrowth:
    async def test_todays_consumers_apply_events_of_a_grown_contract(
        self, reporting, publisher, kafka_bootstrap, namespace
    ):
        assert breaking_changes(event_schema(ParticipantRecruited), event_schema(GrownParticipantRecruited)) == []
        topic = topic_for("recruitment", namespace)
        grown = CloudEvent.record(
            recruited_payload(GrownParticipantRecruited, gender="non_binary", referred_by="PUP Rybnik"),
            source=SOURCE,
            partner=PARTNER,
            service_version="0.9.0",
        )
        today = CloudEvent.record(recruited_payload(), source=SOURCE, partner=PARTNER, service_version=RELEASE)
        async with running(reporting()) as rep:
            await publisher.event(topic, grown)
            await publisher.event(topic, today)

            async def applied():
                assert rep.runtime.consumer.outcomes == {Outcome.APPLIED: 2}

            await eventually(applied)
            assert await people_supported(rep) == 2
            assert await buckets(rep, "people_supported", "gender") == {"female": 1, "unknown": 1}
            assert rep.runtime.consumer.tolerated == {
                (grown.type, "referred_by", "ignored_field"): 1,
                (grown.type, "gender", "unknown_value"): 1,
            }
            metrics = (await rep.get("/metrics")).text
            assert (
                'owes_events_read_tolerantly_total{event_type="pl.owes.recruitment.ParticipantRecruited",'
                'field="gender",kind="unknown_value",service="reporting"} 1.0'
            ) in metrics
            # the partner's release shows beside its freshness, with a warning: reporting does not know 0.9.0
            line = next(p for p in (await rep.get("/freshness")).json()["partners"] if p["partner"] == PARTNER)
            assert line["release"] in ("0.9.0", RELEASE)  # whichever of the two partitions was read last
        # the record on the topic keeps what this release ignored, for a replay or rebuild after the upgrade
        kept = [r for r in await read_topic(kafka_bootstrap, topic, idle=0.3) if header(r, "ce_id") == grown.id]
        assert b'"referred_by":"PUP Rybnik"' in kept[0].value and b'"non_binary"' in kept[0].value

    async def test_reporting_warns_when_a_partner_runs_a_release_it_does_not_know(
        self, reporting, publisher, namespace
    ):
        newer = CloudEvent.record(recruited_payload(), source=SOURCE, partner=PARTNER, service_version="9.0.0")
        async with running(reporting()) as rep:
            await publisher.event(topic_for("recruitment", namespace), newer)

            async def shown():
                lines = [p for p in (await rep.get("/freshness")).json()["partners"] if p["partner"] == PARTNER]
                assert lines and lines[0]["release"] == "9.0.0"
                line = lines[0]
                assert line["release_warning"] == (
                    "jastrzebie-zdroj runs release 9.0.0, which this reporting does not know: upgrade reporting "
                    "to read the event versions it publishes"
                )

            await eventually(shown)

    async def test_what_no_tolerance_covers_is_still_dead_lettered(self, reporting, publisher, namespace):
        event = CloudEvent.record(recruited_payload(), source=SOURCE, partner=PARTNER)
        async with running(reporting()) as rep:  # a wrong type is not growth
            await publisher.record(
                topic_for("recruitment", namespace),
                key=event.kafka_key(),
                value=event.kafka_value().replace(b'"disability":false', b'"disability":"perhaps"'),
                headers=event.kafka_headers(),
            )

            async def dead():
                assert rep.runtime.consumer.outcomes == {Outcome.DEAD_LETTERED: 1}

            await eventually(dead)


class ParticipantRecruitedV2(Event):
    """A breaking change (the risk of exclusion becomes a reason code), so a new version next to v1."""

    name: ClassVar[str] = "ParticipantRecruited"
    version: ClassVar[int] = 2
    producer: ClassVar[str] = "recruitment"
    aggregate_field: ClassVar[str] = "participant_id"

    participant_id: ParticipantId
    recruited_on: dt.date
    gender: str
    age_band: AgeBand
    county: str
    labour_market_status: LabourMarketStatus
    disability: bool
    exclusion_risk: str | None = Field(
        description="Why the person is at risk of social exclusion, as a code; None when not at risk."
    )

    def downcast(self) -> ParticipantRecruited:
        return ParticipantRecruited(
            **self.model_dump(exclude={"exclusion_risk"}), at_risk_of_exclusion=self.exclusion_risk is not None
        )


class TestTransitionWindow:
    async def test_a_new_version_during_its_window_is_counted_once_by_consumers_of_both_releases(
        self, database_url, kafka_bootstrap, namespace, monkeypatch
    ):
        monkeypatch.setitem(owes_contracts._REGISTRY, (ParticipantRecruitedV2.ce_type(), 2), ParticipantRecruitedV2)
        topic = topic_for("recruitment", namespace)
        # the producer of the new release, inside its window: each fact goes into its outbox in both versions
        engine = create_async_engine(database_url("producer"))
        table = outbox_table(metadata := sa.MetaData())
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        writer = OutboxWriter(
            table=table,
            topic=topic,
            source=SOURCE,
            partner=PARTNER,
            service_version="0.9.0",
            transitions={ParticipantRecruitedV2.ce_type(): dt.date.today() + dt.timedelta(days=30)},
        )
        before_window = CloudEvent.record(recruited_payload(), source=SOURCE, partner=PARTNER, service_version=RELEASE)
        facts = [
            ParticipantRecruitedV2(
                participant_id=f"p_{uuid.uuid4().hex[:16]}",
                recruited_on=dt.date(2026, 4, 1),
                gender="male",
                age_band=AgeBand.FROM_35,
                county="rybnicki",
                labour_market_status=LabourMarketStatus.INACTIVE,
                disability=False,
                exclusion_risk=code,
            )
            for code in ("homeless", None, "disability")
        ]
        async with AsyncSession(engine) as session, session.begin():
            for fact in facts:
                await writer.add(session, fact)
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(table).order_by(table.c.seq))).mappings().all()
        await engine.dispose()
        assert [dict(r["headers"])["ce_schemaversion"] for r in rows] == ["2", "1"] * 3
        assert [dict(r["headers"])["ce_twinversion"] for r in rows] == ["1", "2"] * 3

        def reporting(release: str):
            return reporting_app(
                settings_for(
                    ReportingSettings,
                    database_url=database_url(f"reporting_{release}"),
                    kafka_bootstrap=kafka_bootstrap,
                    namespace=namespace,
                    consumer_group=f"{namespace}.reporting.{release}",
                )
            )

        async with running(reporting("old")) as old, running(reporting("new")) as new:
            apply_v1 = new.runtime.consumer.handlers[(ParticipantRecruited.ce_type(), 1)]

            async def apply_v2(session, event, payload: ParticipantRecruitedV2):  # the new release's handler
                await apply_v1(session, event, payload.downcast())

            new.runtime.consumer.handlers[(ParticipantRecruitedV2.ce_type(), 2)] = apply_v2
            producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
            await producer.start()
            try:
                await producer.send_and_wait(
                    topic,
                    before_window.kafka_value(),
                    key=before_window.kafka_key(),
                    headers=before_window.kafka_headers(),
                )
                for row in rows:  # as the relay publishes them
                    await producer.send_and_wait(
                        topic,
                        row["value"].encode(),
                        key=row["key"].encode(),
                        headers=[(k, v.encode()) for k, v in row["headers"]],
                    )
            finally:
                await producer.stop()

            async def each_fact_once():
                for rep in (old, new):
                    assert rep.runtime.consumer.outcomes == {Outcome.APPLIED: 4, Outcome.IGNORED: 3}
                    assert await people_supported(rep) == 4

            await eventually(each_fact_once)
            assert await buckets(old, "people_supported", "age_band") == await buckets(
                new, "people_supported", "age_band"
            )


class TestReleaseOnTheWire:
    async def test_every_event_and_healthz_name_the_release(self, database_url, kafka_bootstrap, namespace):
        app = recruitment_app(
            settings_for(
                RecruitmentSettings,
                database_url=database_url("recruitment"),
                kafka_bootstrap=kafka_bootstrap,
                namespace=namespace,
            )
        )
        async with running(app) as rec:
            health = (await rec.get("/healthz")).json()
            assert health == {"status": "ok", "service": "recruitment", "version": RELEASE}
            assert (await rec.post("/participants", json=participant_form())).status_code == 201

            async def published():
                records = await read_topic(kafka_bootstrap, topic_for("recruitment", namespace), idle=0.3)
                assert records and all(header(r, "ce_serviceversion") == RELEASE for r in records)

            await eventually(published)
