"""Grants' read models: what it knows of participants, initiative groups and organisations comes only from
recruitment's events, applied once each; consuming them publishes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from grants.tables import initiative_groups, organisations
from owes_contracts import ParticipantEligibilityConfirmed, ParticipantEligibilityRejected
from owes_messaging.consumer import Outcome

pytestmark = pytest.mark.asyncio(loop_scope="package")


async def row(client, table: sa.Table, key: str):
    async with client.runtime.engine.connect() as conn:
        return (await conn.execute(sa.select(table).where(table.primary_key.columns[0] == key))).first()


class TestParticipantStanding:
    async def test_recruitment_then_eligibility_then_withdrawal_are_folded_in(self, grants, feed, probe):
        undecided = await feed.recruited_only()
        withdrawn = await feed.withdrawn_participant()
        rejected = await feed.rejected_participant()
        [confirmed] = await feed.eligible_participants(1)
        before = await probe.records()

        await feed.applied_by(grants)

        standing = {pid: await probe.participant(pid) for pid in (undecided, withdrawn, rejected, confirmed)}
        assert {pid: (r.eligibility, r.withdrawn_on) for pid, r in standing.items()} == {
            undecided: ("pending", None),
            withdrawn: ("confirmed", dt.date(2024, 10, 1)),
            rejected: ("rejected", None),
            confirmed: ("confirmed", None),
        }
        assert (standing[confirmed].recruited_on, standing[confirmed].county) == (dt.date(2024, 9, 2), "rybnicki")
        assert await probe.records() == before  # consuming publishes nothing and records nothing of grants' own

    async def test_a_later_rejection_overrides_an_earlier_confirmation(self, grants, feed, probe):
        [participant_id] = await feed.eligible_participants(1)
        await feed.publish(
            ParticipantEligibilityRejected(
                participant_id=participant_id, rejected_on=dt.date(2024, 11, 1), reason="Moved away"
            )
        )
        await feed.applied_by(grants)

        standing = await probe.participant(participant_id)

        assert (standing.eligibility, standing.eligibility_decided_on) == ("rejected", dt.date(2024, 11, 1))

    async def test_a_decision_seen_before_the_recruitment_is_kept(self, grants, feed, probe):
        participant_id = "p_decidedfirst01"
        await feed.publish(
            ParticipantEligibilityConfirmed(participant_id=participant_id, confirmed_on=dt.date(2024, 9, 9))
        )
        await feed.applied_by(grants)
        assert (await probe.participant(participant_id)).recruited_on is None  # not yet a known participant

        await feed.recruited_only(participant_id)
        await feed.applied_by(grants)

        standing = await probe.participant(participant_id)
        assert (standing.eligibility, standing.recruited_on) == ("confirmed", dt.date(2024, 9, 2))

    async def test_the_same_event_delivered_twice_is_applied_once(self, grants, feed, probe):
        participant_id = await feed.recruited_only()
        [confirmation] = await feed.publish(
            ParticipantEligibilityConfirmed(participant_id=participant_id, confirmed_on=dt.date(2024, 9, 9))
        )
        await feed.publish(
            ParticipantEligibilityRejected(
                participant_id=participant_id, rejected_on=dt.date(2024, 9, 20), reason="Outside"
            )
        )
        duplicates = grants.runtime.consumer.outcomes[Outcome.DUPLICATE]

        await feed.send(confirmation)  # a redelivery, as after a lost offset commit
        await feed.applied_by(grants)

        assert grants.runtime.consumer.outcomes[Outcome.DUPLICATE] == duplicates + 1
        assert (await probe.participant(participant_id)).eligibility == "rejected"  # the old copy changed nothing


class TestApplicants:
    async def test_initiative_groups_and_organisations_are_known_from_their_events(self, grants, feed):
        members = await feed.eligible_participants(2)
        group_id = await feed.initiative_group(members)
        organisation_id = await feed.organisation()
        await feed.applied_by(grants)

        group = await row(grants, initiative_groups, group_id)
        organisation = await row(grants, organisations, organisation_id)

        assert (group.county, group.formed_on) == ("rybnicki", dt.date(2024, 10, 1))
        assert group.member_ids == members
        assert (organisation.organisation_type, organisation.is_social_enterprise) == ("association", True)
