"""A whole participant life across recruitment, advisory and grants, over the real broker and databases.

Recruited -> eligible -> initiative group -> training and advisory -> grant (submitted, evaluated, awarded,
disbursed) -> social cooperative of five founders -> a job -> its maintenance unit rate -> sustained 18 months
later (the shipped project runs under the 2021–2027 rules; tests/integration/programme runs both kinds), scripted
only through the services' HTTP APIs with dates in the past, each service on its own database and all on one topic
namespace. Advisory and grants learn who is eligible from recruitment's events alone; reporting counts it all from
everyone's events. The topics are then read back: every event expected, nothing else, each carrying the correlation
id of the request that caused it, the pseudonymous participant id throughout, and no personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx

from advisory.main import create_app as advisory_app
from advisory.settings import AdvisorySettings
from grants.main import create_app as grants_app
from grants.settings import GrantsSettings
from helpers import (
    event_name,
    eventually,
    header,
    make_pesel,
    outbox_drained,
    participant_form,
    read_topic,
    row_count,
    running,
    settings_for,
)
from owes_contracts import topic_for
from owes_messaging.consumer import Outcome
from owes_service.privacy import scan_record
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

SERVICES = {
    "recruitment": (recruitment_app, RecruitmentSettings),
    "advisory": (advisory_app, AdvisorySettings),
    "grants": (grants_app, GrantsSettings),
    "reporting": (reporting_app, ReportingSettings),
}
PRODUCERS = ("recruitment", "advisory", "grants")

# Five founders of a social cooperative: personal data that stays in recruitment.
PEOPLE = [
    ("Katarzyna", "Wójcik", dt.date(1988, 3, 14), True),
    ("Marek", "Zieliński", dt.date(1995, 7, 1), False),
    ("Zofia", "Kamińska", dt.date(1979, 11, 23), True),
    ("Tomasz", "Lewandowski", dt.date(2001, 5, 5), False),
    ("Ewa", "Dąbrowska", dt.date(1966, 2, 10), True),
]
ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def app_of(service: str, database_url, kafka_bootstrap: str, namespace: str):
    create_app, settings = SERVICES[service]
    return create_app(
        settings_for(settings, database_url=database_url(service), kafka_bootstrap=kafka_bootstrap, namespace=namespace)
    )


def form_of(first_name: str, last_name: str, born: dt.date, female: bool) -> dict:
    email = f"{first_name}.{last_name}".translate(ASCII).lower() + "@example.org"
    return participant_form(
        make_pesel(born, female=female),
        first_name=first_name,
        last_name=last_name,
        email=email,
        county="rybnicki",
        labour_market_status="long_term_unemployed",
        recruited_on="2024-09-02",
    )


@dataclass(frozen=True, order=True)
class Expected:
    """One event a step must publish: on whose topic, its type, its subject and the request's correlation id."""

    producer: str
    name: str
    subject: str
    correlation_id: str


@dataclass
class Life:
    """Calls the services step by step, each with its own correlation id, and notes the events each step owes."""

    clients: dict[str, httpx.AsyncClient]
    expected: list[Expected] = field(default_factory=list)
    steps: int = 0

    async def call(
        self,
        service: str,
        path: str,
        body: dict | None = None,
        *,
        status: int,
        method: str = "POST",
        publishes: str | None = None,
        about: str | Callable[[dict], str] | None = None,
    ) -> dict:
        """One request; the step must publish the event `publishes` on the service's topic, with subject `about`
        (an id, or a function of the response naming the id it created)."""
        self.steps += 1
        correlation_id = f"life-{self.steps:03d}-{path.strip('/').split('/')[0]}"
        response = await self.clients[service].request(
            method, path, json=body, headers={"X-Correlation-ID": correlation_id}
        )
        assert response.status_code == status, f"{method} {service}{path}: {response.status_code} {response.text}"
        assert response.headers["x-correlation-id"] == correlation_id
        if status >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        answer = response.json() if response.content else {}
        if publishes:
            subject = about(answer) if callable(about) else about
            self.expected.append(Expected(service, publishes, subject, correlation_id))
        return answer


async def consumed_every_recruitment_event(client, published: int) -> None:
    """Wait until a service's consumer has taken every recruitment event so far (applied or not its business)."""
    consumer = client.runtime.consumer

    async def caught_up():
        assert consumer.outcomes[Outcome.DEAD_LETTERED] == 0, consumer.outcomes
        assert consumer.outcomes[Outcome.APPLIED] + consumer.outcomes[Outcome.IGNORED] == published, consumer.outcomes

    await eventually(caught_up)


async def all_events(kafka_bootstrap: str, namespace: str) -> list:
    """Every record on the three producers' topics, in the order they were recorded."""
    records = []
    for producer in PRODUCERS:
        records += await read_topic(kafka_bootstrap, topic_for(producer, namespace), idle=0.5)
    return sorted(records, key=lambda r: dt.datetime.fromisoformat(header(r, "ce_time").replace("Z", "+00:00")))


def concerns(payload: dict, *, participant_id: str, group_id: str, application_id: str, job_id: str) -> bool:
    """Whether an event is about the participant: by their id, or their group's, application's or job's."""
    return (
        payload.get("participant_id") == participant_id
        or participant_id in payload.get("member_ids", [])
        or participant_id in payload.get("founder_ids", [])
        or payload.get("applicant_id") == group_id
        or payload.get("application_id") == application_id
        or payload.get("job_id") == job_id
    )


class TestParticipantLife:
    async def test_five_people_go_from_recruitment_to_a_job_sustained_for_eighteen_months_across_the_services(
        self, database_url, kafka_bootstrap, namespace
    ):
        forms = [form_of(*person) for person in PEOPLE]
        async with AsyncExitStack() as stack:
            clients = {
                service: await stack.enter_async_context(
                    running(app_of(service, database_url, kafka_bootstrap, namespace))
                )
                for service in SERVICES
            }
            life = Life(clients)

            # Recruitment: five people recruited and confirmed eligible, then an initiative group of them.
            ids = [
                (
                    await life.call(
                        "recruitment",
                        "/participants",
                        form,
                        status=201,
                        publishes="ParticipantRecruited",
                        about=lambda created: created["participant_id"],
                    )
                )["participant_id"]
                for form in forms
            ]
            assert len(set(ids)) == 5 and all(pid.startswith("p_") for pid in ids)
            for pid in ids:
                decided = await life.call(
                    "recruitment",
                    f"/participants/{pid}/eligibility",
                    {"eligible": True, "decided_on": "2024-09-09"},
                    status=200,
                    publishes="ParticipantEligibilityConfirmed",
                    about=pid,
                )
                assert decided["status"] == "eligible"
            group = await life.call(
                "recruitment",
                "/initiative-groups",
                {"county": "rybnicki", "member_ids": ids, "group_name": "Grupa Razem", "formed_on": "2024-09-16"},
                status=201,
                publishes="InitiativeGroupFormed",
                about=lambda created: created["group_id"],
            )
            group_id = group["group_id"]
            holder = ids[0]  # the founder who will hold the job

            # Advisory and grants learn eligibility from recruitment's events, never by asking recruitment.
            for pid in ids:

                async def advisory_knows(pid=pid):
                    known = await clients["advisory"].get(f"/participants/{pid}")
                    assert known.status_code == 200, known.text
                    assert known.json()["eligibility"] == "eligible" and known.json()["may_receive_support"] is True

                await eventually(advisory_knows)
            await consumed_every_recruitment_event(
                clients["grants"], published=sum(e.producer == "recruitment" for e in life.expected)
            )

            # Advisory: every founder completes a 16-hour training; the job holder gets business advice.
            training = await life.call(
                "advisory",
                "/trainings",
                {
                    "title": "Zakładanie spółdzielni socjalnej",
                    "hours": "16",
                    "required_attendance_percent": 80,
                    "starts_on": "2024-10-01",
                },
                status=201,
            )
            training_id = training["training_id"]
            for pid in ids:
                for day in ("2024-10-01", "2024-10-02"):
                    attended = await life.call(
                        "advisory",
                        f"/trainings/{training_id}/attendance",
                        {"participant_id": pid, "hours": "7.5", "attended_on": day},
                        status=201,
                    )
                assert attended["attended_hours"] == "15.00" and attended["required_hours"] == "12.80"
                completed = await life.call(
                    "advisory",
                    f"/trainings/{training_id}/completions",
                    {"participant_id": pid, "completed_on": "2024-10-02"},
                    status=201,
                    publishes="TrainingCompleted",
                    about=training_id,
                )
                assert completed["completed_on"] == "2024-10-02"
            advice = await life.call(
                "advisory",
                "/advisory-sessions",
                {
                    "kind": "business",
                    "hours": "1.50",
                    "adviser_id": "adv_12",
                    "participant_id": holder,
                    "held_on": "2024-10-15",
                },
                status=201,
                publishes="AdvisorySessionHeld",
                about=lambda created: created["session_id"],
            )
            assert advice["session_id"]
            trainees = (await clients["advisory"].get(f"/trainings/{training_id}")).json()["trainees"]
            assert sorted(t["participant_id"] for t in trainees if t["completed_on"] == "2024-10-02") == sorted(ids)

            # Grants: the group's business plan is funded, 23 500 PLN for each of five jobs, paid out in two parts.
            application = await life.call(
                "grants",
                "/applications",
                {
                    "applicant_kind": "initiative_group",
                    "applicant_id": group_id,
                    "summary": "Catering cooperative serving schools in the county",
                    "jobs_planned": 5,
                    "amount_requested": "117500.00",
                    "submitted_on": "2024-10-21",
                },
                status=201,
                publishes="GrantApplicationSubmitted",
                about=lambda created: created["application_id"],
            )
            app_id = application["application_id"]
            assert application["status"] == "submitted"
            evaluated = await life.call(
                "grants",
                f"/applications/{app_id}/evaluation",
                {"score": 82, "outcome": "positive", "evaluated_on": "2024-11-05"},
                status=200,
                publishes="GrantApplicationEvaluated",
                about=app_id,
            )
            assert evaluated["status"] == "approved"
            awarded = await life.call(
                "grants",
                f"/applications/{app_id}/award",
                {
                    "awarded_on": "2024-11-15",
                    "eur_rate": "4.3000",
                },  # the job-creation unit rate in force: 35212.00 from July 2024
                status=200,
                publishes="GrantAwarded",
                about=app_id,
            )
            assert (awarded["status"], awarded["jobs_awarded"], awarded["total_awarded"]) == ("awarded", 5, "176060.00")
            for amount, day in (("100000.00", "2024-12-02"), ("76060.00", "2025-02-03")):
                await life.call(
                    "grants",
                    f"/applications/{app_id}/disbursements",
                    {"amount": amount, "disbursed_on": day},
                    status=201,
                    publishes="GrantDisbursed",
                    about=app_id,
                )
            paid_out = await life.call("grants", f"/applications/{app_id}", method="GET", status=200)
            assert (paid_out["disbursed"], paid_out["remaining"]) == ("176060.00", "0.00")

            # The five found a social cooperative registered in KRS, funded by the grant; one of them gets a job.
            cooperative = await life.call(
                "grants",
                "/cooperatives",
                {
                    "krs": "KRS 0000380128",
                    "cooperative_name": "Spółdzielnia Socjalna Razem",
                    "county": "rybnicki",
                    "founder_ids": ids,
                    "application_id": app_id,
                    "founded_on": "2024-12-16",
                },
                status=201,
                publishes="CooperativeFounded",
                about=lambda created: created["cooperative_id"],
            )
            coop_id = cooperative["cooperative_id"]
            assert cooperative["krs"] == "0000380128" and sorted(cooperative["founder_ids"]) == sorted(ids)
            job = await life.call(
                "grants",
                "/jobs",
                {"cooperative_id": coop_id, "participant_id": holder, "created_on": "2025-01-02"},
                status=201,
                publishes="JobCreated",
                about=lambda created: created["job_id"],
            )
            job_id = job["job_id"]
            assert (job["status"], job["working_time"], job["sustainability_due_on"]) == (
                "active",
                "full_time",
                "2026-07-02",
            )

            # The maintenance unit rate of a full-time job created in 2025 (38700.00 from July 2024); then the
            # 18-month check, refused a few days too early.
            maintained = await life.call(
                "grants",
                f"/jobs/{job_id}/maintenance",
                {"funded_on": "2025-01-31"},
                status=200,
                publishes="JobMaintenanceFunded",
                about=job_id,
            )
            assert maintained["maintenance_amount"] == "38700.00"
            too_early = await life.call(
                "grants", f"/jobs/{job_id}/sustainability-check", {"checked_on": "2026-06-30"}, status=422
            )
            assert (too_early["field"], too_early["due_on"]) == ("checked_on", "2026-07-02")
            sustained = await life.call(
                "grants",
                f"/jobs/{job_id}/sustainability-check",
                {"checked_on": "2026-07-06"},
                status=200,
                publishes="JobSustained",
                about=job_id,
            )
            assert sustained["sustained_on"] == "2026-07-06"

            # Reporting counts the life from the three services' events.
            async def counted():
                response = await clients["reporting"].get("/indicators")
                assert response.status_code == 200, response.text
                figures = response.json()
                assert {
                    key: figures[key]
                    for key in (
                        "people_supported",
                        "initiative_groups_supported",
                        "trainings_completed",
                        "advisory_hours",
                        "grants_awarded",
                        "grants_awarded_pln",
                        "grants_disbursed_pln",
                        "new_social_enterprises",
                        "jobs_created",
                        "jobs_for_people_at_risk",
                        "bridge_support_paid_pln",
                        "job_maintenance_funded_pln",
                        "jobs_sustained_12_months",
                    )
                } == {
                    "people_supported": 5,
                    "initiative_groups_supported": 1,
                    "trainings_completed": 5,
                    "advisory_hours": "1.50",
                    "grants_awarded": 1,
                    "grants_awarded_pln": "176060.00",
                    "grants_disbursed_pln": "176060.00",
                    "new_social_enterprises": 1,
                    "jobs_created": 1,
                    "jobs_for_people_at_risk": 1,
                    "bridge_support_paid_pln": "0.00",
                    "job_maintenance_funded_pln": "38700.00",
                    "jobs_sustained_12_months": 1,
                }

            await eventually(counted, timeout=30)
            for producer in PRODUCERS:
                await outbox_drained(clients[producer])

        records = await all_events(kafka_bootstrap, namespace)
        # Exactly the events the steps owe, none twice, none refused, each with its request's correlation id.
        found = [
            Expected(
                header(r, "ce_source").rsplit("/", 1)[-1],
                event_name(r),
                header(r, "ce_subject"),
                header(r, "ce_correlationid"),
            )
            for r in records
        ]
        assert sorted(found) == sorted(life.expected)
        assert {e.name for e in found} == {
            "ParticipantRecruited",
            "ParticipantEligibilityConfirmed",
            "InitiativeGroupFormed",
            "TrainingCompleted",
            "AdvisorySessionHeld",
            "GrantApplicationSubmitted",
            "GrantApplicationEvaluated",
            "GrantAwarded",
            "GrantDisbursed",
            "CooperativeFounded",
            "JobCreated",
            "JobMaintenanceFunded",
            "JobSustained",
        }

        # The job holder's life, followed through the events by the pseudonymous id alone.
        payloads = [(event_name(r), json.loads(r.value)) for r in records]
        life_of_holder = [
            name
            for name, payload in payloads
            if concerns(payload, participant_id=holder, group_id=group_id, application_id=app_id, job_id=job_id)
        ]
        assert life_of_holder == [
            "ParticipantRecruited",
            "ParticipantEligibilityConfirmed",
            "InitiativeGroupFormed",
            "TrainingCompleted",
            "AdvisorySessionHeld",
            "GrantApplicationSubmitted",
            "GrantApplicationEvaluated",
            "GrantAwarded",
            "GrantDisbursed",
            "GrantDisbursed",
            "CooperativeFounded",
            "JobCreated",
            "JobMaintenanceFunded",
            "JobSustained",
        ]
        by_name = {
            name: payload
            for name, payload in payloads
            if concerns(payload, participant_id=holder, group_id=group_id, application_id=app_id, job_id=job_id)
        }
        assert by_name["ParticipantRecruited"]["recruited_on"] == "2024-09-02"
        assert sorted(by_name["InitiativeGroupFormed"]["member_ids"]) == sorted(ids)
        assert by_name["TrainingCompleted"]["participant_id"] == holder
        assert (by_name["AdvisorySessionHeld"]["participant_id"], by_name["AdvisorySessionHeld"]["hours"]) == (
            holder,
            "1.50",
        )
        assert by_name["GrantApplicationSubmitted"]["applicant_id"] == group_id
        assert by_name["CooperativeFounded"]["application_id"] == app_id
        assert sorted(by_name["CooperativeFounded"]["founder_ids"]) == sorted(ids)
        assert (by_name["JobCreated"]["participant_id"], by_name["JobCreated"]["cooperative_id"]) == (holder, coop_id)
        assert by_name["JobSustained"] == {"job_id": job_id, "checked_on": "2026-07-06"}

        # No event carries a PESEL, a name or a contact: only the pseudonymous ids.
        personal = [form[f] for form in forms for f in ("pesel", "first_name", "last_name", "email")]
        assert [finding for r in records for finding in scan_record(r, personal)] == []
        assert not any(
            {"pesel", "first_name", "last_name", "email", "phone", "address"} & set(payload) for _, payload in payloads
        )

    async def test_advisory_refuses_a_participant_recruitment_has_not_confirmed_and_publishes_nothing(
        self, database_url, kafka_bootstrap, namespace
    ):
        async with (
            running(app_of("recruitment", database_url, kafka_bootstrap, namespace)) as rec,
            running(app_of("advisory", database_url, kafka_bootstrap, namespace)) as adv,
        ):
            pending = (await rec.post("/participants", json=form_of(*PEOPLE[0]))).json()["participant_id"]
            rejected = (await rec.post("/participants", json=form_of(*PEOPLE[1]))).json()["participant_id"]
            decision = await rec.post(
                f"/participants/{rejected}/eligibility",
                json={"eligible": False, "reason": "Lives outside the subregion", "decided_on": "2024-09-09"},
            )
            assert decision.status_code == 200, decision.text
            # advisory has taken all three events: two recruitments (not its business) and the rejection
            await consumed_every_recruitment_event(adv, published=3)
            training_id = (await adv.post("/trainings", json={"title": "Księgowość spółdzielni", "hours": "8"})).json()[
                "training_id"
            ]

            unknown = await adv.get(f"/participants/{pending}")
            assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
            assert (await adv.get(f"/participants/{rejected}")).json()["may_receive_support"] is False
            for pid, why in (
                (pending, "is not known to advisory as eligible: recruitment has not confirmed"),
                (rejected, "was found not eligible"),
            ):
                for path, body in (
                    (
                        "/advisory-sessions",
                        {
                            "kind": "legal",
                            "hours": "1",
                            "adviser_id": "adv_1",
                            "participant_id": pid,
                            "held_on": "2024-10-15",
                        },
                    ),
                    (
                        "/mentoring",
                        {"mentor_id": "mentor_1", "hours": "2", "participant_id": pid, "provided_on": "2024-10-15"},
                    ),
                    (
                        f"/trainings/{training_id}/attendance",
                        {"participant_id": pid, "hours": "8", "attended_on": "2024-10-15"},
                    ),
                    (f"/trainings/{training_id}/completions", {"participant_id": pid, "completed_on": "2024-10-15"}),
                ):
                    refused = await adv.post(path, json=body)
                    assert refused.status_code == 422, f"{path}: {refused.text}"
                    assert refused.headers["content-type"] == "application/problem+json"
                    problem = refused.json()
                    assert (problem["status"], problem["field"]) == (422, "participant_id")
                    assert f"participant {pid} {why}" in problem["detail"]

            for table in ("advisory_sessions", "mentoring", "training_attendance", "training_completions", "outbox"):
                assert await row_count(adv, table) == 0, table
        assert await read_topic(kafka_bootstrap, topic_for("advisory", namespace), idle=0.5) == []
