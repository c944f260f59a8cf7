"""A scripted scenario across the three producing services, and the figures it must give, counted by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from aiokafka import AIOKafkaProducer

from helpers import publish_events
from owes_contracts import (
    AdvisorySessionHeld,
    BridgeSupportPaid,
    CooperativeFounded,
    Event,
    GrantApplicationEvaluated,
    GrantApplicationSubmitted,
    GrantAwarded,
    GrantDisbursed,
    InitiativeGroupFormed,
    JobCreated,
    JobEnded,
    JobSustained,
    MentoringProvided,
    OrganisationEconomicActivityStarted,
    OrganisationEnrolled,
    ParticipantDataErased,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantRecruited,
    ParticipantWithdrawn,
    TrainingCompleted,
)
from owes_contracts.envelope import CloudEvent
from owes_messaging.broker import ensure_topics
from owes_messaging.settings import KafkaSettings

PARTNERS = {"recruitment": "jastrzebie-zdroj", "advisory": "zory", "grants": "rybnik"}
D = dt.date
PLN = Decimal


def pid(n: int) -> str:
    return f"p_scenario{n:04d}"


def envelope(payload: Event, *, occurred_at: dt.datetime | None = None) -> CloudEvent:
    partner = PARTNERS[payload.producer]
    return CloudEvent.record(
        payload, source=f"/owes/{partner}/{payload.producer}", partner=partner, occurred_at=occurred_at
    )


async def publish(bootstrap: str, namespace: str, events: list[CloudEvent]) -> None:
    """Publish CloudEvents as the producing services' relays do, each on its producer's topic."""
    await publish_events(bootstrap, events, namespace=namespace)


async def publish_raw(bootstrap: str, topic: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
    await ensure_topics(KafkaSettings(bootstrap_servers=bootstrap), [topic])  # no auto-creation on Kafka
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"poison", headers=headers)
    finally:
        await producer.stop()


def recruited(n, gender, age_band, county, on, *, at_risk=True):
    return ParticipantRecruited(
        participant_id=pid(n),
        recruited_on=on,
        gender=gender,
        age_band=age_band,
        county=county,
        labour_market_status="unemployed",
        disability=False,
        at_risk_of_exclusion=at_risk,
    )


def recruitment_events() -> list[Event]:
    return [
        recruited(1, "female", "25-34", "rybnicki", D(2026, 1, 10)),
        recruited(2, "male", "35-49", "rybnicki", D(2026, 1, 15)),
        recruited(3, "female", "18-24", "wodzislawski", D(2026, 2, 3)),
        recruited(4, "female", "50-64", "raciborski", D(2026, 2, 20), at_risk=False),
        recruited(5, "male", "25-34", "zory", D(2026, 2, 21)),
        recruited(6, "male", "18-24", "rybnicki", D(2026, 3, 1)),
        recruited(7, "female", "35-49", "wodzislawski", D(2026, 3, 5)),
        *[ParticipantEligibilityConfirmed(participant_id=pid(n), confirmed_on=D(2026, 3, 6)) for n in (1, 2, 3, 4, 7)],
        ParticipantEligibilityRejected(
            participant_id=pid(5), rejected_on=D(2026, 2, 25), reason="Lives outside the subregion"
        ),
        ParticipantWithdrawn(participant_id=pid(4), withdrawn_on=D(2026, 5, 1), reason="Took up employment"),
        ParticipantDataErased(participant_id=pid(6), erased_on=D(2026, 6, 1)),
        OrganisationEnrolled(
            organisation_id="org_1",
            enrolled_on=D(2026, 1, 5),
            organisation_type="association",
            organisation_name="Stowarzyszenie Razem",
            county="rybnicki",
            is_social_enterprise=False,
            runs_economic_activity=False,
        ),
        OrganisationEnrolled(
            organisation_id="org_2",
            enrolled_on=D(2026, 1, 8),
            organisation_type="foundation",
            organisation_name="Fundacja Pomocna Dłoń",
            county="zory",
            is_social_enterprise=False,
            runs_economic_activity=True,
        ),
        OrganisationEnrolled(
            organisation_id="org_3",
            enrolled_on=D(2026, 1, 20),
            organisation_type="social_cooperative",
            organisation_name="Spółdzielnia Socjalna Most",
            county="raciborski",
            is_social_enterprise=True,
            runs_economic_activity=True,
        ),
        OrganisationEnrolled(
            organisation_id="org_4",
            enrolled_on=D(2026, 2, 1),
            organisation_type="cis",
            organisation_name="CIS Rybnik",
            county="rybnicki",
            is_social_enterprise=True,
            runs_economic_activity=True,
        ),
        OrganisationEnrolled(
            organisation_id="org_5",
            enrolled_on=D(2026, 2, 5),
            organisation_type="wtz",
            organisation_name="WTZ Wodzisław",
            county="wodzislawski",
            is_social_enterprise=True,
            runs_economic_activity=False,
        ),
        OrganisationEnrolled(
            organisation_id="org_6",
            enrolled_on=D(2026, 3, 1),
            organisation_type="local_business",
            organisation_name="Piekarnia Lokalna",
            county="rybnicki",
            is_social_enterprise=False,
            runs_economic_activity=True,
        ),
        OrganisationEconomicActivityStarted(organisation_id="org_1", started_on=D(2026, 4, 10), activity="economic"),
        OrganisationEconomicActivityStarted(
            organisation_id="org_2", started_on=D(2026, 4, 15), activity="paid_public_benefit"
        ),
        InitiativeGroupFormed(
            group_id="grp_1", formed_on=D(2026, 3, 10), county="rybnicki", member_ids=[pid(n) for n in (1, 2, 3, 6, 7)]
        ),
        InitiativeGroupFormed(
            group_id="grp_2", formed_on=D(2026, 4, 1), county="wodzislawski", member_ids=[pid(3), pid(7)]
        ),
    ]


def advisory_events() -> list[Event]:
    return [
        AdvisorySessionHeld(
            session_id="s_1",
            held_on=D(2026, 2, 1),
            kind="general",
            hours=PLN("2.00"),
            adviser_id="adv_1",
            participant_id=pid(1),
        ),
        AdvisorySessionHeld(
            session_id="s_2",
            held_on=D(2026, 2, 10),
            kind="legal",
            hours=PLN("3.00"),
            adviser_id="adv_2",
            organisation_id="org_3",
        ),
        AdvisorySessionHeld(
            session_id="s_3",
            held_on=D(2026, 3, 15),
            kind="marketing",
            hours=PLN("1.50"),
            adviser_id="adv_1",
            participant_id=pid(2),
        ),
        AdvisorySessionHeld(
            session_id="s_4",
            held_on=D(2026, 4, 2),
            kind="accounting",
            hours=PLN("4.25"),
            adviser_id="adv_3",
            participant_id=pid(7),
        ),
        AdvisorySessionHeld(
            session_id="s_5",
            held_on=D(2026, 4, 20),
            kind="general",
            hours=PLN("1.00"),
            adviser_id="adv_1",
            participant_id=pid(3),
        ),
        *[
            TrainingCompleted(
                training_id="tr_1",
                participant_id=pid(n),
                completed_on=D(2026, 3, 20),
                title="Zakładanie spółdzielni socjalnej",
                hours=PLN("8.00"),
            )
            for n in (1, 2, 3)
        ],
        TrainingCompleted(
            training_id="tr_2", participant_id=pid(1), completed_on=D(2026, 4, 5), title="Marketing", hours=PLN("4.00")
        ),
        MentoringProvided(
            mentoring_id="m_1",
            provided_on=D(2026, 3, 12),
            hours=PLN("2.50"),
            mentor_id="mentor_1",
            organisation_id="org_4",
        ),
        MentoringProvided(
            mentoring_id="m_2",
            provided_on=D(2026, 5, 2),
            hours=PLN("1.25"),
            mentor_id="mentor_1",
            participant_id=pid(7),
        ),
    ]


def grants_events() -> list[Event]:
    return [
        GrantApplicationSubmitted(
            application_id="app_1",
            submitted_on=D(2026, 4, 10),
            applicant_kind="initiative_group",
            applicant_id="grp_1",
            jobs_planned=5,
            amount_requested=PLN("150000.00"),
        ),
        GrantApplicationSubmitted(
            application_id="app_2",
            submitted_on=D(2026, 4, 12),
            applicant_kind="organisation",
            applicant_id="org_4",
            jobs_planned=2,
            amount_requested=PLN("47000.00"),
        ),
        GrantApplicationSubmitted(
            application_id="app_3",
            submitted_on=D(2026, 4, 15),
            applicant_kind="organisation",
            applicant_id="org_6",
            jobs_planned=1,
            amount_requested=PLN("23500.00"),
        ),
        GrantApplicationEvaluated(application_id="app_1", evaluated_on=D(2026, 4, 25), score=82, outcome="positive"),
        GrantApplicationEvaluated(application_id="app_2", evaluated_on=D(2026, 4, 28), score=75, outcome="positive"),
        GrantApplicationEvaluated(application_id="app_3", evaluated_on=D(2026, 4, 30), score=40, outcome="negative"),
        GrantAwarded(
            application_id="app_1",
            awarded_on=D(2026, 5, 5),
            jobs=5,
            amount_per_job=PLN("23500.00"),
            total_amount=PLN("117500.00"),
        ),
        GrantAwarded(
            application_id="app_2",
            awarded_on=D(2026, 5, 20),
            jobs=2,
            amount_per_job=PLN("23500.00"),
            total_amount=PLN("47000.00"),
        ),
        GrantDisbursed(
            application_id="app_1", disbursement_id="dis_1", disbursed_on=D(2026, 5, 10), amount=PLN("100000.00")
        ),
        GrantDisbursed(
            application_id="app_1", disbursement_id="dis_2", disbursed_on=D(2026, 6, 10), amount=PLN("17500.00")
        ),
        GrantDisbursed(
            application_id="app_2", disbursement_id="dis_3", disbursed_on=D(2026, 5, 25), amount=PLN("47000.00")
        ),
        CooperativeFounded(
            cooperative_id="coop_1",
            founded_on=D(2026, 5, 15),
            krs="0000380128",
            cooperative_name="Spółdzielnia Socjalna Razem",
            county="rybnicki",
            founder_ids=[pid(n) for n in (1, 2, 3, 6, 7)],
            application_id="app_1",
        ),
        *[
            JobCreated(job_id=f"job_{n}", created_on=on, cooperative_id="coop_1", participant_id=pid(n))
            for n, on in (
                (1, D(2026, 6, 1)),
                (2, D(2026, 6, 1)),
                (3, D(2026, 6, 1)),
                (4, D(2026, 6, 15)),
                (6, D(2026, 6, 15)),
            )
        ],
        BridgeSupportPaid(job_id="job_1", instalment=1, paid_on=D(2026, 7, 5), amount=PLN("2800.00")),
        BridgeSupportPaid(job_id="job_1", instalment=2, paid_on=D(2026, 8, 5), amount=PLN("2800.00")),
        BridgeSupportPaid(job_id="job_2", instalment=1, paid_on=D(2026, 7, 5), amount=PLN("2800.00")),
        BridgeSupportPaid(job_id="job_4", instalment=1, paid_on=D(2026, 7, 20), amount=PLN("2800.50")),
        JobSustained(job_id="job_1", checked_on=D(2027, 6, 1)),
        JobEnded(job_id="job_3", ended_on=D(2026, 12, 31), reason="Moved away"),
    ]


def scenario() -> list[CloudEvent]:
    """Every event of the scenario, each service's in its own order (as their topics keep them)."""
    return [envelope(e) for e in (*recruitment_events(), *advisory_events(), *grants_events())]


# --- the figures, counted by hand -------------------------------------------------------------------------------
# People: p1..p7 recruited; p5 found ineligible, so 6 supported (p4 withdrawn and p6 erased still count).
# Jobs: p1, p2, p3, p4, p6 got jobs; p4 was not at risk of exclusion: 4 jobs for people at risk.
# Organisations: org_1 (association, no activity at enrolment) started one; org_2 already ran one.
# Social enterprises: org_3 (advisory), org_4 (mentoring, grant) strengthened; org_5 got no support.
EXPECTED_FIGURES = {
    "people_supported": 6,
    "ngos_started_economic_activity": 1,
    "social_enterprises_strengthened": 2,
    "new_social_enterprises": 1,
    "jobs_for_people_at_risk": 4,
    "joint_cross_sector_initiatives": 1,
    "initiative_groups_supported": 2,
    "organisations_supported": 6,
    "jobs_created": 5,
    "jobs_sustained_12_months": 1,
    "advisory_hours": "11.75",  # 2 + 3 + 1.5 + 4.25 + 1
    "mentoring_hours": "3.75",  # 2.5 + 1.25
    "trainings_completed": 4,  # tr_1 by p1, p2, p3; tr_2 by p1
    "bridge_support_paid_pln": "11200.50",  # 3 x 2800.00 + 2800.50
    "job_maintenance_funded_pln": "0.00",  # a 2014–2020 scenario: bridge support, no maintenance unit rate
    "jobs_not_sustained": 0,
    "grants_awarded": 2,
    "grants_awarded_pln": "164500.00",  # 117500.00 + 47000.00
    "grants_disbursed_pln": "164500.00",  # 100000.00 + 17500.00 + 47000.00
}
EXPECTED_BREAKDOWNS = {
    ("people_supported", "gender"): {"female": 4, "male": 2},
    ("people_supported", "county"): {"rybnicki": 3, "wodzislawski": 2, "raciborski": 1},
    ("people_supported", "age_band"): {"18-24": 2, "25-34": 1, "35-49": 2, "50-64": 1},
    ("people_supported", "month"): {"2026-01": 2, "2026-02": 2, "2026-03": 2},
    ("people_supported", "partner"): {"jastrzebie-zdroj": 6},
    ("jobs_for_people_at_risk", "gender"): {"female": 2, "male": 2},
    ("jobs_for_people_at_risk", "partner"): {"rybnik": 4},
    ("advisory_hours", "kind"): {"general": "3.00", "legal": "3.00", "marketing": "1.50", "accounting": "4.25"},
    ("advisory_hours", "month"): {"2026-02": "5.00", "2026-03": "1.50", "2026-04": "5.25"},
    ("advisory_hours", "county"): {"rybnicki": "3.50", "raciborski": "3.00", "wodzislawski": "5.25"},
    ("organisations_supported", "county"): {"rybnicki": 3, "zory": 1, "raciborski": 1, "wodzislawski": 1},
    ("social_enterprises_strengthened", "month"): {"2026-02": 1, "2026-03": 1},
    ("grants_awarded_pln", "county"): {"rybnicki": "164500.00"},
    ("bridge_support_paid_pln", "gender"): {"female": "8400.50", "male": "2800.00"},
}
EXPECTED_PARTICIPANTS = {"recruited": 7, "eligible": 5, "rejected": 1, "pending": 1, "withdrawn": 1, "erased": 1}
