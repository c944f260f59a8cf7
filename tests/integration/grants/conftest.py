"""Grants under test: the service in-process on the real broker and a real database (SQLite and PostgreSQL),
fed with recruitment's events by a real producer (grants never calls recruitment; the events are all it needs).

Joining a consumer group on the embedded broker takes about five seconds, so one grants process serves every
test in this directory (per database backend). Tests stay independent: each creates its own participants,
groups, applications and jobs with fresh ids, compares what it finds with what it saw just before, and reads
only its own aggregates' events from the topic. Test modules run in the fixtures' event loop:
`pytestmark = pytest.mark.asyncio(loop_scope="package")`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from grants.main import create_app
from grants.settings import GrantsSettings
from grants.tables import participants
from helpers import assert_problem, eventually, header, read_topic, running, settings_for
from owes_contracts import (
    Event,
    InitiativeGroupFormed,
    OrganisationEnrolled,
    OrganisationType,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantRecruited,
    ParticipantWithdrawn,
    topic_for,
)
from owes_contracts.envelope import CloudEvent
from owes_messaging.consumer import Outcome

RECRUITED_ON = dt.date(2024, 9, 2)
CONFIRMED_ON = dt.date(2024, 9, 9)
# Tables that hold grants' own records (the read models fed by recruitment are not among them).
RECORDS = (
    "applications",
    "disbursements",
    "cooperatives",
    "cooperative_founders",
    "cooperative_members",
    "jobs",
    "bridge_payments",
    "outbox",
)


def new_participant_id() -> str:
    return f"p_{uuid.uuid4().hex[:16]}"


def recruited(pid: str, *, at_risk_of_exclusion: bool = True) -> ParticipantRecruited:
    return ParticipantRecruited(
        participant_id=pid,
        recruited_on=RECRUITED_ON,
        gender="female",
        age_band="25-34",
        county="rybnicki",
        labour_market_status="long_term_unemployed",
        disability=False,
        at_risk_of_exclusion=at_risk_of_exclusion,
    )


class RecruitmentFeed:
    """Publishes recruitment's events as recruitment would: CloudEvents on its topic, keyed by aggregate."""

    source = "/owes/jastrzebie-zdroj/recruitment"
    partner = "jastrzebie-zdroj"

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic
        self.published = 0

    async def publish(self, *payloads: Event) -> list[CloudEvent]:
        events = [CloudEvent.record(payload, source=self.source, partner=self.partner) for payload in payloads]
        for event in events:
            await self.send(event)
        return events

    async def send(self, event: CloudEvent) -> None:
        """Put one event on the topic (again, to redeliver it)."""
        await self.producer.send_and_wait(
            self.topic, event.kafka_value(), key=event.kafka_key(), headers=event.kafka_headers()
        )
        self.published += 1

    async def eligible_participants(self, count: int) -> list[str]:
        """Participants recruited and confirmed eligible."""
        ids = [new_participant_id() for _ in range(count)]
        for pid in ids:
            await self.publish(
                recruited(pid), ParticipantEligibilityConfirmed(participant_id=pid, confirmed_on=CONFIRMED_ON)
            )
        return ids

    async def eligible_not_at_risk(self) -> str:
        """A participant confirmed eligible whom recruitment did not record as at risk of social exclusion."""
        pid = new_participant_id()
        await self.publish(
            recruited(pid, at_risk_of_exclusion=False),
            ParticipantEligibilityConfirmed(participant_id=pid, confirmed_on=CONFIRMED_ON),
        )
        return pid

    async def recruited_only(self, participant_id: str | None = None) -> str:
        """A participant recruited, whose eligibility is not decided yet."""
        pid = participant_id or new_participant_id()
        await self.publish(recruited(pid))
        return pid

    async def rejected_participant(self) -> str:
        pid = new_participant_id()
        await self.publish(
            recruited(pid),
            ParticipantEligibilityRejected(
                participant_id=pid, rejected_on=CONFIRMED_ON, reason="Lives outside the subregion"
            ),
        )
        return pid

    async def withdrawn_participant(self) -> str:
        """A participant once confirmed eligible, who then withdrew."""
        [pid] = await self.eligible_participants(1)
        await self.publish(
            ParticipantWithdrawn(
                participant_id=pid, withdrawn_on=dt.date(2024, 10, 1), reason="Took up employment elsewhere"
            )
        )
        return pid

    async def initiative_group(self, member_ids: list[str]) -> str:
        group_id = f"grp_{uuid.uuid4().hex[:8]}"
        await self.publish(
            InitiativeGroupFormed(
                group_id=group_id, formed_on=dt.date(2024, 10, 1), county="rybnicki", member_ids=member_ids
            )
        )
        return group_id

    async def organisation(self) -> str:
        organisation_id = f"org_{uuid.uuid4().hex[:8]}"
        await self.publish(
            OrganisationEnrolled(
                organisation_id=organisation_id,
                enrolled_on=dt.date(2024, 9, 1),
                organisation_type=OrganisationType.ASSOCIATION,
                organisation_name="Stowarzyszenie Razem dla Rybnika",
                county="rybnik",
                is_social_enterprise=True,
                runs_economic_activity=True,
            )
        )
        return organisation_id

    async def applied_by(self, client) -> None:
        """Wait until grants has consumed every event published so far (applied, or recognised as duplicate)."""
        consumer = client.runtime.consumer

        async def all_consumed():
            seen = consumer.outcomes[Outcome.APPLIED] + consumer.outcomes[Outcome.DUPLICATE]
            assert seen == self.published, consumer.outcomes

        await eventually(all_consumed)


class Probe:
    """What grants stored and published, to check that a refused request left no trace."""

    def __init__(self, client, kafka_bootstrap: str, topic: str) -> None:
        self.client = client
        self.kafka_bootstrap = kafka_bootstrap
        self.topic = topic

    async def records(self) -> dict[str, int]:
        """How many rows each of grants' own tables holds, the outbox included."""
        async with self.client.runtime.engine.connect() as conn:
            return {t: await conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in RECORDS}

    async def events_of(self, *subjects: str) -> list[tuple[str, dict]]:
        """The events about these aggregates on grants' topic, in publication order, once the relay caught up.

        Also checks that the topic holds exactly what the outbox recorded: no event leaves grants another way.
        """
        runtime = self.client.runtime

        async def relayed():
            assert await runtime.relay.pending_count() == 0
            found = await read_topic(self.kafka_bootstrap, self.topic, idle=0.3)
            assert len(found) == (await self.records())["outbox"]
            return found

        found = sorted(await eventually(relayed), key=lambda r: (header(r, "ce_time"), r.offset))
        return [
            (header(r, "ce_type").rsplit(".", 1)[-1], json.loads(r.value))
            for r in found
            if header(r, "ce_subject") in subjects
        ]

    async def participant(self, participant_id: str):
        """The participant's row in grants' read model."""
        async with self.client.runtime.engine.connect() as conn:
            return (
                await conn.execute(sa.select(participants).where(participants.c.participant_id == participant_id))
            ).first()


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def grants_database_url(request, tmp_path_factory, postgres_admin_url) -> Iterator[str]:
    """A fresh grants database of each backend, for this directory's tests."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('grants') / 'grants.db'}"
        return
    db = f"owes_t_grants_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    base = postgres_admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    yield f"{base}/{db}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.fixture(scope="package")
def grants_namespace(grants_database_url) -> str:
    return f"t{uuid.uuid4().hex[:12]}"


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def grants(grants_database_url, grants_namespace, kafka_bootstrap) -> AsyncIterator:
    """The grants service running in-process; an httpx client with `.runtime`."""
    settings = settings_for(
        GrantsSettings, database_url=grants_database_url, kafka_bootstrap=kafka_bootstrap, namespace=grants_namespace
    )
    async with running(create_app(settings)) as client:
        yield client


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def feed(grants, kafka_bootstrap, grants_namespace) -> AsyncIterator[RecruitmentFeed]:
    """A producer on recruitment's topic (grants is up first, so the topic exists)."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        yield RecruitmentFeed(producer, topic_for("recruitment", grants_namespace))
    finally:
        await producer.stop()


@pytest.fixture(scope="package")
def probe(grants, kafka_bootstrap, grants_namespace) -> Probe:
    return Probe(grants, kafka_bootstrap, topic_for("grants", grants_namespace))


# A 2014–2020 project (bridge support, 12-month sustainability, amounts per job): the same rules file every
# operator installs, with another programme; its facts fall within that programme (it ended in 2023).
PROJECT_2014_2020 = """
[project]
name = "OWES Subregionu Zachodniego 2014-2020"
programme = "2014-2020"
starts_on = 2019-01-01
ends_on = 2023-12-31
counties = [{ teryt = "2412", name = "rybnicki" }, { teryt = "2473", name = "Rybnik" }]
"""


@pytest.fixture(scope="package")
def project_2014_2020_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("project") / "project-2014-2020.toml"
    path.write_text(PROJECT_2014_2020, encoding="utf-8")
    return path


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def grants_2014(
    grants_database_url, kafka_bootstrap, project_2014_2020_file, postgres_admin_url
) -> AsyncIterator:
    """A second grants service, running a 2014–2020 project, on a database (same backend) and topics of its own."""
    namespace = f"t{uuid.uuid4().hex[:12]}"
    url = grants_database_url
    database = f"{url.rsplit('/', 1)[1]}_2014"
    if url.startswith("sqlite"):
        url = url.replace("grants.db", "grants-2014.db")
    else:
        url = f"{url.rsplit('/', 1)[0]}/{database}"
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
    settings = settings_for(
        GrantsSettings,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        namespace=namespace,
        project_file=project_2014_2020_file,
    )
    async with running(create_app(settings)) as client:
        client.namespace = namespace
        yield client


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def feed_2014(grants_2014, kafka_bootstrap) -> AsyncIterator[RecruitmentFeed]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        yield RecruitmentFeed(producer, topic_for("recruitment", grants_2014.namespace))
    finally:
        await producer.stop()


@pytest.fixture(scope="package")
def probe_2014(grants_2014, kafka_bootstrap) -> Probe:
    return Probe(grants_2014, kafka_bootstrap, topic_for("grants", grants_2014.namespace))


@pytest.fixture(scope="session")
def problem():
    """assert_problem(response, status, *fragments): check an RFC 9457 answer and return its body."""
    return assert_problem
