"""The project's calendar is Warsaw's, whatever the host's clock says (issue 22).

The four services run in-process on the real broker and databases, all on one clock pinned at the instants where
a UTC (or host-zone) date and a Warsaw date part: 23:30 UTC on 31 December (00:30 on 1 January in Warsaw) and the
nights of the spring and autumn clock changes. The host's time zone is set to UTC and to New York in turn. Every
use case is called without a date, so each takes the project's today; the test checks each default date in the
answers and in the events, each month bucket and payment-claim period in reporting (fed by those events), the
"12 months later" of job sustainability, and the instants people read on the dashboard and in the exports.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import time
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaProducer
from openpyxl import load_workbook

from advisory.main import create_app as advisory_app
from advisory.settings import AdvisorySettings
from grants.main import create_app as grants_app
from grants.settings import GrantsSettings
from helpers import (
    eventually,
    make_pesel,
    outbox_drained,
    participant_form,
    payloads,
    read_topic,
    running,
    settings_for,
)
from owes_contracts import ParticipantRecruited, topic_for
from owes_contracts.envelope import CloudEvent
from owes_service.project import load_project
from owes_service.project_calendar import FixedClock
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

UTC = dt.UTC
STRAY = "p_0123456789abcdef"  # a participant event dated before the project, sent straight to the topic


@dataclass(frozen=True)
class Night:
    """An instant where the host's date and the project's part, and what the project's calendar makes of it."""

    what: str
    instant: dt.datetime  # UTC
    day: str  # the date in Warsaw
    month: str
    quarter: str
    shown: str  # the instant on a Warsaw wall clock, as the dashboard shows it
    due: str  # 12 months later
    sustainability_check: dt.datetime  # 00:30 in Warsaw on the due day, in UTC
    sustained_month: str


# Computed by hand: Warsaw is UTC+1 in winter (CET), UTC+2 in summer (CEST); the clocks go forward at 01:00 UTC on
# the last Sunday of March (31 March 2024, 30 March 2025) and back at 01:00 UTC on the last Sunday of October
# (31 October 2027, 29 October 2028).
NIGHTS = [
    Night(
        "new year",
        dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
        "2026-01-01",
        "2026-01",
        "2026-Q1",
        "2026-01-01 00:30:00 CET",
        "2027-01-01",
        dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
        "2027-01",
    ),
    Night(
        "spring change, before it",
        dt.datetime(2024, 3, 30, 23, 30, tzinfo=UTC),
        "2024-03-31",
        "2024-03",
        "2024-Q1",
        "2024-03-31 00:30:00 CET",
        "2025-03-31",
        dt.datetime(2025, 3, 30, 22, 30, tzinfo=UTC),
        "2025-03",
    ),
    Night(
        "spring change, the night after",
        dt.datetime(2024, 3, 31, 22, 30, tzinfo=UTC),
        "2024-04-01",
        "2024-04",
        "2024-Q2",
        "2024-04-01 00:30:00 CEST",
        "2025-04-01",
        dt.datetime(2025, 3, 31, 22, 30, tzinfo=UTC),
        "2025-04",
    ),
    Night(
        "autumn change, before it",
        dt.datetime(2027, 10, 30, 22, 30, tzinfo=UTC),
        "2027-10-31",
        "2027-10",
        "2027-Q4",
        "2027-10-31 00:30:00 CEST",
        "2028-10-31",
        dt.datetime(2028, 10, 30, 23, 30, tzinfo=UTC),
        "2028-10",
    ),
    Night(
        "autumn change, the night after",
        dt.datetime(2027, 10, 31, 23, 30, tzinfo=UTC),
        "2027-11-01",
        "2027-11",
        "2027-Q4",
        "2027-11-01 00:30:00 CET",
        "2028-11-01",
        dt.datetime(2028, 10, 31, 23, 30, tzinfo=UTC),
        "2028-11",
    ),
]
# what each night's scenario adds to reporting, all in the night's month (sustained: 12 months later)
PER_NIGHT = {
    "people_supported": 6,
    "organisations_supported": 1,
    "ngos_started_economic_activity": 1,
    "initiative_groups_supported": 1,
    "trainings_completed": 1,
    "advisory_hours": "1.50",
    "mentoring_hours": "2.00",
    "grants_awarded": 1,
    "grants_awarded_pln": "117500.00",
    "grants_disbursed_pln": "117500.00",
    "new_social_enterprises": 1,
    "jobs_created": 1,
    "job_maintenance_funded_pln": "32400.00",
}
# The shipped 2021–2027 project with this test's own rules (rates and the sustainability period are configuration):
# one job-creation rate and a 12-month period, so the nights' figures and due days do not depend on indexation.
PROJECT_RULES = {
    "sustainability_months": 12,
    # a retention period over before the first night (2024): a leaver's personal data is erased at once
    "final_payment_on": "2018-06-30",
    "unit_rates": [
        {"kind": "job_creation", "amount": "23500.00", "applies_from": "2021-01-01"},
        {"kind": "job_maintenance_full_time", "amount": "32400.00", "applies_from": "2021-01-01"},
    ],
}


@contextmanager
def host_time_zone(name: str):
    """Run as on a host whose clock is set to that zone (what date.today() and naive local times would use)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


async def send_event(bootstrap: str, topic: str, event: CloudEvent) -> None:
    """Publish one CloudEvent as a producing service's relay does (binary mode)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, event.kafka_value(), key=event.kafka_key(), headers=event.kafka_headers())
    finally:
        await producer.stop()


def make_nip(serial: int) -> str:
    """A valid NIP (weights 6,5,7,2,3,4,5,6,7 mod 11), one per serial: test data, independent of the services."""
    for n in range(serial * 10, serial * 10 + 10):
        body = [int(c) for c in f"{n:09d}"]
        check = sum(w * d for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), body, strict=True)) % 11
        if check < 10:
            return "".join(map(str, body)) + str(check)
    raise AssertionError("no NIP")


def add(a, b):
    from decimal import Decimal

    if isinstance(a, str) or isinstance(b, str):
        return str(Decimal(str(a)) + Decimal(str(b)))
    return a + b


@pytest.fixture(params=["UTC", "America/New_York"])
def host_zone(request):
    with host_time_zone(request.param):
        assert time.strftime("%Z") != "" and (request.param != "UTC" or time.timezone == 0)
        yield request.param


class TestProjectCalendar:
    @pytest.mark.timeout(900)  # five nights of a whole participant life through four services, on a shared machine
    async def test_every_default_date_month_and_period_is_warsaws_on_any_host(
        self, host_zone, database_url, kafka_bootstrap, namespace, tmp_path
    ):
        clock = FixedClock(NIGHTS[0].instant)
        project_file = tmp_path / "project.json"
        project_file.write_text(json.dumps(load_project().model_dump(mode="json") | PROJECT_RULES), encoding="utf-8")
        apps = {
            "recruitment": (recruitment_app, RecruitmentSettings),
            "advisory": (advisory_app, AdvisorySettings),
            "grants": (grants_app, GrantsSettings),
            "reporting": (reporting_app, ReportingSettings),
        }
        async with AsyncExitStack() as stack:
            c = {
                name: await stack.enter_async_context(
                    running(
                        create(
                            settings_for(
                                settings,
                                database_url=database_url(name),
                                kafka_bootstrap=kafka_bootstrap,
                                namespace=namespace,
                                project_file=project_file,
                            ),
                            clock=clock,
                        )
                    )
                )
                for name, (create, settings) in apps.items()
            }
            jobs = []
            for n, night in enumerate(NIGHTS, start=1):
                clock.set(night.instant)
                day = night.day
                # recruitment: every default is the Warsaw date
                ids = []
                for k in range(6):
                    created = await c["recruitment"].post(
                        "/participants", json=participant_form(make_pesel(dt.date(1985, 5, k + 1)), county="rybnicki")
                    )
                    assert created.status_code == 201, created.text
                    ids.append(created.json()["participant_id"])
                    assert (await c["recruitment"].get(f"/participants/{ids[-1]}")).json()["recruited_on"] == day
                for pid in ids:
                    decided = await c["recruitment"].post(f"/participants/{pid}/eligibility", json={"eligible": True})
                    assert decided.status_code == 200, decided.text
                    assert (await c["recruitment"].get(f"/participants/{pid}")).json()["eligibility_decided_on"] == day
                leaver = ids.pop()
                left = await c["recruitment"].post(f"/participants/{leaver}/withdrawal", json={"reason": "moved"})
                assert left.status_code == 200, left.text
                assert (await c["recruitment"].get(f"/participants/{leaver}")).json()["withdrawn_on"] == day
                erased = await c["recruitment"].delete(f"/participants/{leaver}/personal-data")
                assert erased.status_code == 204, erased.text
                group = await c["recruitment"].post(
                    "/initiative-groups", json={"county": "rybnicki", "member_ids": ids, "group_name": f"Grupa {n}"}
                )
                assert group.status_code == 201, group.text
                group_id = group.json()["group_id"]
                assert (await c["recruitment"].get(f"/initiative-groups/{group_id}")).json()["formed_on"] == day
                organisation = await c["recruitment"].post(
                    "/organisations",
                    json={
                        "organisation_type": "association",
                        "organisation_name": f"Stowarzyszenie {n}",
                        "county": "zory",
                        "nip": make_nip(7000 + n),
                        "regon": "123456785",
                        "is_social_enterprise": False,
                        "runs_economic_activity": False,
                    },
                )
                assert organisation.status_code == 201, organisation.text
                org_id = organisation.json()["organisation_id"]
                started = await c["recruitment"].post(
                    f"/organisations/{org_id}/economic-activity", json={"activity": "economic"}
                )
                assert started.status_code == 200, started.text
                assert (started.json()["enrolled_on"], started.json()["economic_activity_started_on"]) == (day, day)

                # advisory, once it has heard from recruitment
                holder = ids[0]

                async def advisory_knows(holder=holder):
                    known = await c["advisory"].get(f"/participants/{holder}")
                    assert known.status_code == 200 and known.json()["may_receive_support"] is True, known.text

                await eventually(advisory_knows)
                held = await c["advisory"].post(
                    "/advisory-sessions",
                    json={"kind": "business", "hours": "1.50", "adviser_id": "adv_1", "participant_id": holder},
                )
                assert held.status_code == 201, held.text
                session_view = await c["advisory"].get(f"/advisory-sessions/{held.json()['session_id']}")
                assert session_view.json()["held_on"] == day
                mentored = await c["advisory"].post(
                    "/mentoring", json={"mentor_id": "men_1", "hours": "2", "participant_id": holder}
                )
                assert mentored.status_code == 201, mentored.text
                mentoring_view = await c["advisory"].get(f"/mentoring/{mentored.json()['mentoring_id']}")
                assert mentoring_view.json()["provided_on"] == day
                training_id = (
                    await c["advisory"].post("/trainings", json={"title": "Księgowość", "hours": "4"})
                ).json()["training_id"]
                attended = await c["advisory"].post(
                    f"/trainings/{training_id}/attendance", json={"participant_id": holder, "hours": "4"}
                )
                assert attended.status_code == 201, attended.text
                completed = await c["advisory"].post(
                    f"/trainings/{training_id}/completions", json={"participant_id": holder}
                )
                assert completed.status_code == 201 and completed.json()["completed_on"] == day, completed.text
                trainees = (await c["advisory"].get(f"/trainings/{training_id}")).json()["trainees"]
                assert [t["completed_on"] for t in trainees] == [day]

                # grants, once it has heard of the group
                async def application_accepted(group_id=group_id):
                    submitted = await c["grants"].post(
                        "/applications",
                        json={
                            "applicant_kind": "initiative_group",
                            "applicant_id": group_id,
                            "summary": "Catering",
                            "jobs_planned": 5,
                            "amount_requested": "117500.00",
                        },
                    )
                    assert submitted.status_code == 201, submitted.text
                    return submitted.json()

                application = await eventually(application_accepted)
                app_id = application["application_id"]
                assert application["submitted_on"] == day
                evaluated = await c["grants"].post(
                    f"/applications/{app_id}/evaluation", json={"score": 80, "outcome": "positive"}
                )
                assert evaluated.status_code == 200 and evaluated.json()["evaluated_on"] == day, evaluated.text
                awarded = await c["grants"].post(
                    f"/applications/{app_id}/award", json={"amount_per_job": "23500.00", "eur_rate": "4.3000"}
                )
                assert awarded.status_code == 200 and awarded.json()["awarded_on"] == day, awarded.text
                disbursed = await c["grants"].post(
                    f"/applications/{app_id}/disbursements", json={"amount": "117500.00"}
                )
                assert disbursed.status_code == 201 and disbursed.json()["disbursed_on"] == day, disbursed.text

                async def founded(n=n, ids=ids, app_id=app_id):  # once grants has heard of every founder
                    cooperative = await c["grants"].post(
                        "/cooperatives",
                        json={
                            "krs": f"{380100 + n:010d}",
                            "cooperative_name": f"Spółdzielnia {n}",
                            "county": "rybnicki",
                            "founder_ids": ids,
                            "application_id": app_id,
                        },
                    )
                    assert cooperative.status_code == 201, cooperative.text
                    return cooperative

                cooperative = await eventually(founded)
                assert cooperative.json()["founded_on"] == day
                job = await c["grants"].post(
                    "/jobs", json={"cooperative_id": cooperative.json()["cooperative_id"], "participant_id": holder}
                )
                assert job.status_code == 201, job.text
                job_id = job.json()["job_id"]
                assert (job.json()["created_on"], job.json()["sustainability_due_on"]) == (day, night.due)
                paid = await c["grants"].post(f"/jobs/{job_id}/maintenance", json={})
                assert paid.status_code == 200 and paid.json()["maintenance_funded_on"] == day, paid.text
                jobs.append((night, job_id))

            # Dates are bounded at the edge: not after the project's today, not before the programme nor outside the
            # project period (2024-01-01 to 2029-12-31), each a 422 naming the field; nothing is recorded.
            clock.set(NIGHTS[0].instant)
            refusals = [
                (
                    "recruitment",
                    "/participants",
                    participant_form(make_pesel(dt.date(1985, 6, 1)), recruited_on="2026-01-02"),
                    "recruited_on",
                    "recruited_on (2026-01-02) is in the future (today is 2026-01-01)",
                ),
                (
                    "advisory",
                    "/advisory-sessions",
                    {
                        "kind": "business",
                        "hours": "1",
                        "adviser_id": "adv_1",
                        "participant_id": holder,
                        "held_on": "2023-12-31",
                    },
                    "held_on",
                    "held_on (2023-12-31) is outside the project period (2024-01-01 to 2029-12-31)",
                ),
                (
                    "grants",
                    f"/jobs/{jobs[0][1]}/end",
                    {"reason": "resigned", "ended_on": "2020-12-31"},
                    "ended_on",
                    "ended_on (2020-12-31) is before the 2021-2027 programme began (2021-01-01)",
                ),
            ]
            for service, path, body, field, why in refusals:
                refused = await c[service].post(path, json=body)
                assert refused.status_code == 422, refused.text
                assert refused.headers["content-type"] == "application/problem+json"
                assert refused.json()["field"] == field and why in refused.json()["detail"], refused.json()

            # The nights 12 months later: the check on the due day, 00:30 in Warsaw, is on time.
            for night, job_id in jobs:
                clock.set(night.sustainability_check - dt.timedelta(days=1))
                early = await c["grants"].post(f"/jobs/{job_id}/sustainability-check", json={})
                assert early.status_code == 422, early.text
                clock.set(night.sustainability_check)
                sustained = await c["grants"].post(f"/jobs/{job_id}/sustainability-check", json={})
                assert sustained.status_code == 200, sustained.text
                assert sustained.json()["sustained_on"] == night.due

            # Reporting, from the events: each night's figures in the night's month and payment-claim period.
            expected_months: dict[str, dict[str, object]] = {}
            for night in NIGHTS:
                for key, value in PER_NIGHT.items():
                    months = expected_months.setdefault(key, {})
                    months[night.month] = add(months.get(night.month, 0), value)
                sustained = expected_months.setdefault("jobs_sustained_12_months", {})
                sustained[night.sustained_month] = sustained.get(night.sustained_month, 0) + 1

            async def counted():
                report = (await c["reporting"].get("/indicators/report")).json()
                figures = {i["key"]: i for i in report["indicators"]}
                for key, months in expected_months.items():
                    got = {b["bucket"]: b["value"] for b in figures[key]["breakdowns"]["month"]}
                    assert got == months, (key, got)
                return report

            stray = CloudEvent.record(
                ParticipantRecruited(
                    participant_id=STRAY,
                    recruited_on=dt.date(2023, 6, 1),
                    gender="female",
                    age_band="25-34",
                    county="rybnicki",
                    labour_market_status="unemployed",
                    disability=False,
                    at_risk_of_exclusion=True,
                ),
                source="/owes/jastrzebie-zdroj/recruitment",
                partner="jastrzebie-zdroj",
            )
            await send_event(kafka_bootstrap, topic_for("recruitment", namespace), stray)
            expected_months["people_supported"]["2023-06"] = 1  # the read model keeps it; the series do not

            report = await eventually(counted, timeout=60)
            figures = {i["key"]: i for i in report["indicators"]}
            # the quarters hold their months: the two autumn nights share 2027-Q4, the spring ones part
            people = {p["period"]: p["value"] for p in figures["people_supported"]["periods"]}
            by_quarter: dict[str, int] = {}
            for night in NIGHTS:
                by_quarter[night.quarter] = by_quarter.get(night.quarter, 0) + PER_NIGHT["people_supported"]
            assert (
                {k: v for k, v in people.items() if v}
                == by_quarter
                == {"2024-Q1": 6, "2024-Q2": 6, "2026-Q1": 6, "2027-Q4": 12}
            )
            quarters = {p["period"]: (p["from"], p["to"]) for p in figures["people_supported"]["periods"]}
            assert quarters["2024-Q2"] == ("2024-04-01", "2024-06-30")
            sustained = {p["period"]: p["value"] for p in figures["jobs_sustained_12_months"]["periods"] if p["value"]}
            assert sustained == {"2025-Q1": 1, "2025-Q2": 1, "2027-Q1": 1, "2028-Q4": 2}
            assert report["months"][0] == "2024-03" and report["months"][-1] == "2028-11"  # not 2023-06
            assert "2023-Q2" not in people

            # People read instants on the Warsaw wall clock: the dashboard, the export's name and its About sheet.
            clock.set(NIGHTS[0].instant)
            page = await c["reporting"].get("/dashboard?lang=en")
            assert page.status_code == 200
            assert f"Figures as of {NIGHTS[0].shown}" in page.text
            export = await c["reporting"].get("/exports/indicators.xlsx")
            assert export.status_code == 200
            assert 'filename="owes-indicators-20260101-0030.xlsx"' in export.headers["content-disposition"]
            about = {
                row[0]: row[1] for row in load_workbook(io.BytesIO(export.content))["About"].iter_rows(values_only=True)
            }
            assert (about["generated_at"], about["time_zone"]) == ("2026-01-01T00:30:00+01:00", "Europe/Warsaw")
            clock.set(NIGHTS[3].instant)
            report = (await c["reporting"].get("/indicators/report")).json()
            assert report["generated_at"] == "2027-10-31T00:30:00+02:00"
            for producer in ("recruitment", "advisory", "grants"):
                await outbox_drained(c[producer])

        # The events carry the Warsaw dates (reporting read the same ones); the erasure is dated the same way.
        records = []
        for producer in ("recruitment", "advisory", "grants"):
            records += await read_topic(kafka_bootstrap, topic_for(producer, namespace), idle=0.5)
        days = sorted({n.day for n in NIGHTS})
        recruited = [p for p in payloads(records, "ParticipantRecruited") if p["participant_id"] != STRAY]
        assert sorted({p["recruited_on"] for p in recruited}) == days and len(recruited) == 6 * len(NIGHTS)
        assert sorted({p["withdrawn_on"] for p in payloads(records, "ParticipantWithdrawn")}) == days
        assert sorted(p["erased_on"] for p in payloads(records, "ParticipantDataErased")) == days
        assert sorted({p["formed_on"] for p in payloads(records, "InitiativeGroupFormed")}) == days
        assert sorted({p["held_on"] for p in payloads(records, "AdvisorySessionHeld")}) == days
        assert sorted({p["awarded_on"] for p in payloads(records, "GrantAwarded")}) == days
        assert sorted({p["created_on"] for p in payloads(records, "JobCreated")}) == days
        assert sorted(p["checked_on"] for p in payloads(records, "JobSustained")) == sorted(n.due for n in NIGHTS)
