"""Fixtures for the advisory tests: the service in-process on the test's broker and database, a way to put
recruitment's events on the broker as recruitment would, and a way to read what advisory published."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from advisory.main import create_app
from advisory.settings import AdvisorySettings
from helpers import eventually, outbox_drained, publish_events, read_topic, settings_for
from owes_contracts import (
    OrganisationEnrolled,
    OrganisationType,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantWithdrawn,
    topic_for,
)
from owes_contracts.envelope import CloudEvent

RECRUITMENT_SOURCE = "/owes/jastrzebie-zdroj/recruitment"


@pytest.fixture
async def advisory_app(database_url, kafka_bootstrap, namespace):
    return create_app(
        settings_for(
            AdvisorySettings,
            database_url=database_url("advisory"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
        )
    )


@pytest.fixture
def published(kafka_bootstrap, namespace):
    """Every record advisory has put on its topic, once the outbox of the running service is drained."""

    async def read(client) -> list:
        await outbox_drained(client)
        return await read_topic(kafka_bootstrap, topic_for("advisory", namespace), idle=0.5)

    return read


class Recruitment:
    """Puts recruitment's events on the broker, exactly as the recruitment service's relay would."""

    def __init__(self, bootstrap: str, namespace: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic_for("recruitment", namespace)

    async def publish(self, *payloads) -> None:
        await publish_events(
            self.bootstrap,
            [CloudEvent.record(p, source=RECRUITMENT_SOURCE, partner="jastrzebie-zdroj") for p in payloads],
            topic=self.topic,
        )

    async def eligible_participant(self, client) -> str:
        """A participant recruitment confirmed eligible, once advisory has learnt of it."""
        participant_id = new_participant_id()
        await self.publish(
            ParticipantEligibilityConfirmed(participant_id=participant_id, confirmed_on=dt.date(2026, 3, 5))
        )
        await learnt(client, f"/participants/{participant_id}", may_receive_support=True)
        return participant_id

    async def enrolled_organisation(self, client) -> str:
        organisation_id = f"org_{uuid.uuid4().hex[:16]}"
        await self.publish(
            OrganisationEnrolled(
                organisation_id=organisation_id,
                enrolled_on=dt.date(2026, 2, 10),
                organisation_type=OrganisationType.ASSOCIATION,
                organisation_name="Stowarzyszenie Razem dla Żor",
                county="zory",
                is_social_enterprise=False,
                runs_economic_activity=False,
            )
        )
        await learnt(client, f"/organisations/{organisation_id}")
        return organisation_id

    async def rejected_participant(self, client) -> str:
        participant_id = new_participant_id()
        await self.publish(
            ParticipantEligibilityRejected(
                participant_id=participant_id, rejected_on=dt.date(2026, 3, 5), reason="Too far"
            )
        )
        await learnt(client, f"/participants/{participant_id}", eligibility="rejected")
        return participant_id

    async def withdrawn_participant(self, client) -> str:
        participant_id = new_participant_id()
        await self.publish(
            ParticipantEligibilityConfirmed(participant_id=participant_id, confirmed_on=dt.date(2026, 3, 5)),
            ParticipantWithdrawn(participant_id=participant_id, withdrawn_on=dt.date(2026, 4, 1), reason="Moved"),
        )
        await learnt(client, f"/participants/{participant_id}", withdrawn=True, eligibility="eligible")
        return participant_id


def new_participant_id() -> str:
    return f"p_{uuid.uuid4().hex[:16]}"


async def learnt(client, path: str, **expected) -> dict:
    """Wait until advisory's read model at path shows the expected values."""

    async def check():
        response = await client.get(path)
        assert response.status_code == 200, response.text
        body = response.json()
        assert {k: body[k] for k in expected} == expected
        return body

    return await eventually(check)


@pytest.fixture
def recruitment(kafka_bootstrap, namespace) -> Recruitment:
    return Recruitment(kafka_bootstrap, namespace)


@pytest.fixture
def advisory_knows():
    """Wait until advisory's read model at a path shows the expected values: advisory_knows(client, path, **values)."""
    return learnt
