"""Advisory learns who may be supported only from recruitment's events, over the real broker: it never calls
recruitment's API or reads its database."""

from __future__ import annotations

from helpers import event_name, participant_form, read_topic, running, settings_for
from owes_contracts import topic_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings


class TestLearningFromRecruitment:
    async def test_eligibility_enrolment_and_withdrawal_in_recruitment_decide_who_advisory_serves(
        self, advisory_app, advisory_knows, database_url, kafka_bootstrap, namespace, published
    ):
        recruitment = recruitment_app(
            settings_for(
                RecruitmentSettings,
                database_url=database_url("recruitment"),
                kafka_bootstrap=kafka_bootstrap,
                namespace=namespace,
            )
        )
        async with running(recruitment) as rec, running(advisory_app) as adv:
            participant_id = (await rec.post("/participants", json=participant_form())).json()["participant_id"]
            session = {"kind": "business", "hours": 2, "adviser_id": "adv_1", "participant_id": participant_id}
            not_yet = await adv.post("/advisory-sessions", json=session)
            assert not_yet.status_code == 422  # recruited, but eligibility not confirmed

            assert (
                await rec.post(f"/participants/{participant_id}/eligibility", json={"eligible": True})
            ).status_code == 200
            await advisory_knows(
                adv, f"/participants/{participant_id}", eligibility="eligible", may_receive_support=True
            )
            assert (await adv.post("/advisory-sessions", json=session)).status_code == 201

            enrolled = await rec.post(
                "/organisations",
                json={
                    "organisation_type": "foundation",
                    "organisation_name": "Fundacja Pomocna Dłoń",
                    "county": "raciborski",
                    "nip": "5260250274",
                    "regon": "000331501",
                },
            )
            organisation_id = enrolled.json()["organisation_id"]
            known = await advisory_knows(adv, f"/organisations/{organisation_id}")
            assert known["organisation_type"] == "foundation" and known["county"] == "raciborski"
            assert (
                await adv.post(
                    "/mentoring", json={"mentor_id": "mentor_1", "hours": 1, "organisation_id": organisation_id}
                )
            ).status_code == 201

            assert (
                await rec.post(
                    f"/participants/{participant_id}/withdrawal", json={"reason": "Took up employment elsewhere"}
                )
            ).status_code == 200
            await advisory_knows(adv, f"/participants/{participant_id}", withdrawn=True, may_receive_support=False)
            refused = await adv.post("/advisory-sessions", json=session)
            assert refused.status_code == 422 and "has withdrawn" in refused.json()["detail"]
            records = await published(adv)

        assert sorted(event_name(r) for r in records) == ["AdvisorySessionHeld", "MentoringProvided"]
        recruitment_records = await read_topic(kafka_bootstrap, topic_for("recruitment", namespace), idle=0.5)
        assert {event_name(r) for r in recruitment_records} >= {
            "ParticipantEligibilityConfirmed",
            "OrganisationEnrolled",
            "ParticipantWithdrawn",
        }
