"""A 2021–2027 project and a 2014–2020 project, each run end to end through the services' HTTP APIs and the real
broker: recruitment -> eligibility -> initiative group -> advisory -> grant (application, evaluation, award,
disbursement) -> social cooperative of three founders -> a job -> its support (2021–2027: the maintenance unit
rate; 2014–2020: monthly bridge support) -> the sustainability check at the end of the project's period. Then
reporting's indicators, the payment claim's sheet and recruitment's participant data sheet hold the numbers
computed by hand below. Every service runs the same project definition (a file, as each operator installs it)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import pytest
from openpyxl import load_workbook

from advisory.main import create_app as advisory_app
from advisory.settings import AdvisorySettings
from grants.main import create_app as grants_app
from grants.settings import GrantsSettings
from helpers import eventually, make_pesel, participant_form, running, settings_for
from owes_service.project import load_project
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

APPS = {
    "recruitment": (recruitment_app, RecruitmentSettings),
    "advisory": (advisory_app, AdvisorySettings),
    "grants": (grants_app, GrantsSettings),
    "reporting": (reporting_app, ReportingSettings),
}


@dataclass(frozen=True)
class Programme:
    """One project's definition and its scenario's dates and money, with the figures they give (by hand)."""

    name: str
    project: dict
    start: dt.date  # the day the three take part from
    award: dict  # the award's body (besides the date)
    per_job: str
    working_time: str
    support: list[tuple[str, dict]]  # (path under /jobs/{id}, body) after the job is created
    due_after_months: int
    figures: dict = field(default_factory=dict)


def day(start: dt.date, days: int) -> str:
    return (start + dt.timedelta(days=days)).isoformat()


PROGRAMMES = [
    Programme(
        "2021-2027",
        {},  # the shipped definition: unit rates indexed from 2024-07-01, 18 months of sustainability
        dt.date(2024, 9, 2),
        {"eur_rate": "4.3000"},  # the unit rate of job creation applies: 35212.00 from July 2024
        "35212.00",
        "half_time",
        [("maintenance", {"funded_on": "2024-12-03"})],  # half time from July 2024: 19350.00
        18,
        {"job_maintenance_funded_pln": "19350.00", "bridge_support_paid_pln": "0.00"},
    ),
    Programme(
        "2014-2020",
        {"programme": "2014-2020", "starts_on": "2019-01-01", "ends_on": "2023-12-31", "unit_rates": []},
        dt.date(2021, 3, 1),
        {"amount_per_job": "24000.00", "eur_rate": "4.5000"},
        "24000.00",
        "full_time",
        [
            ("bridge-support/instalments", {"instalment": n, "amount": "2000.00", "paid_on": paid})
            for n, paid in enumerate(
                ["2021-06-30", "2021-07-30", "2021-08-31", "2021-09-30", "2021-10-29", "2021-11-30"], 1
            )
        ],
        12,
        {"job_maintenance_funded_pln": "0.00", "bridge_support_paid_pln": "12000.00"},
    ),
]
# (birth, female, the form's ESF+ answers)
PEOPLE = [
    (
        dt.date(1990, 1, 1),
        True,
        {"labour_market_status": "unemployed", "unemployed_months": 13, "education": "isced_3_4"},
    ),
    (dt.date(2000, 2, 2), False, {"labour_market_status": "inactive", "education": "isced_0_2", "rural": True}),
    (
        dt.date(1965, 3, 3),
        True,
        {"labour_market_status": "unemployed", "unemployed_months": 3, "education": "isced_5_8", "disability": True},
    ),
]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("programme", PROGRAMMES, ids=lambda p: p.name)
async def test_a_project_from_recruitment_to_sustainability(
    programme, database_url, kafka_bootstrap, namespace, tmp_path
):
    project_file = tmp_path / "project.json"
    project_file.write_text(json.dumps(load_project().model_dump(mode="json") | programme.project), encoding="utf-8")
    start = programme.start
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
                        )
                    )
                )
            )
            for name, (create, settings) in APPS.items()
        }

        async def call(service: str, path: str, body: dict, status: int = 200) -> dict:
            response = await c[service].post(path, json=body)
            assert response.status_code == status, (path, response.text)
            return response.json()

        # recruitment: three people take part from the start day, found eligible, form a group
        ids = []
        for birth, female, answers in PEOPLE:
            form = participant_form(make_pesel(birth, female=female), recruited_on=start.isoformat(), **answers)
            ids.append((await call("recruitment", "/participants", form, 201))["participant_id"])
        for pid in ids:
            await call(
                "recruitment", f"/participants/{pid}/eligibility", {"eligible": True, "decided_on": day(start, 3)}
            )
        group = await call(
            "recruitment",
            "/initiative-groups",
            {"county": "rybnicki", "member_ids": ids, "group_name": "Grupa Razem", "formed_on": day(start, 7)},
            201,
        )

        # advisory, once it has heard: two hours of business advice for the one who will hold the job
        async def advised():
            return await call(
                "advisory",
                "/advisory-sessions",
                {
                    "kind": "business",
                    "hours": "2",
                    "adviser_id": "adv_1",
                    "participant_id": ids[0],
                    "held_on": day(start, 14),
                },
                201,
            )

        await eventually(advised)

        # grants, once it has heard of the group: one job planned, awarded, paid out in full
        async def applied():
            return await call(
                "grants",
                "/applications",
                {
                    "applicant_kind": "initiative_group",
                    "applicant_id": group["group_id"],
                    "summary": "Catering",
                    "jobs_planned": 1,
                    "amount_requested": programme.per_job,
                    "submitted_on": day(start, 21),
                },
                201,
            )

        app_id = (await eventually(applied))["application_id"]
        await call(
            "grants",
            f"/applications/{app_id}/evaluation",
            {"score": 80, "outcome": "positive", "evaluated_on": day(start, 30)},
        )
        awarded = await call(
            "grants", f"/applications/{app_id}/award", programme.award | {"awarded_on": day(start, 35)}
        )
        assert (awarded["amount_per_job"], awarded["total_awarded"]) == (programme.per_job, programme.per_job)
        await call(
            "grants",
            f"/applications/{app_id}/disbursements",
            {"amount": programme.per_job, "disbursed_on": day(start, 40)},
            201,
        )
        coop = await call(
            "grants",
            "/cooperatives",
            {
                "krs": "KRS 0000380128",
                "cooperative_name": "Spółdzielnia Socjalna Razem",
                "county": "rybnicki",
                "founder_ids": ids,
                "application_id": app_id,
                "founded_on": day(start, 63),
            },
            201,
        )
        assert (coop["founded_by"], coop["members"], coop["below_five_members"]) == ("natural_persons", 3, True)
        job_day = start + dt.timedelta(days=91)
        job = await call(
            "grants",
            "/jobs",
            {
                "cooperative_id": coop["cooperative_id"],
                "participant_id": ids[0],
                "created_on": job_day.isoformat(),
                "working_time": programme.working_time,
            },
            201,
        )
        for path, body in programme.support:
            await call("grants", f"/jobs/{job['job_id']}/{path}", body, 201 if "instalments" in path else 200)
        due = dt.date(
            job_day.year + (job_day.month - 1 + programme.due_after_months) // 12,
            (job_day.month - 1 + programme.due_after_months) % 12 + 1,
            job_day.day,
        )
        assert job["sustainability_due_on"] == due.isoformat()
        early = await c["grants"].post(
            f"/jobs/{job['job_id']}/sustainability-check", json={"checked_on": (due - dt.timedelta(days=1)).isoformat()}
        )
        assert early.status_code == 422 and early.json()["due_on"] == due.isoformat()
        sustained = await call("grants", f"/jobs/{job['job_id']}/sustainability-check", {"checked_on": due.isoformat()})
        assert sustained["sustained_on"] == due.isoformat()

        # reporting, from everyone's events: the figures counted by hand
        expected = {
            "people_supported": 3,
            "initiative_groups_supported": 1,
            "advisory_hours": "2.00",
            "grants_awarded": 1,
            "grants_awarded_pln": programme.per_job,
            "grants_disbursed_pln": programme.per_job,
            "new_social_enterprises": 1,
            "jobs_created": 1,
            "jobs_for_people_at_risk": 1,
            "jobs_sustained_12_months": 1,
            "jobs_not_sustained": 0,
            **programme.figures,
        }

        async def counted():
            figures = (await c["reporting"].get("/indicators")).json()
            assert {k: figures[k] for k in expected} == expected

        await eventually(counted, timeout=60)

        # the payment claim's sheet for the quarter the three started in, and cumulatively up to its end
        quarter_start = dt.date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
        quarter_end = (
            dt.date(start.year, 12, 31)
            if quarter_start.month == 10
            else dt.date(start.year, quarter_start.month + 3, 1) - dt.timedelta(days=1)
        )
        sheet = load_workbook(
            io.BytesIO(
                (
                    await c["reporting"].get(
                        "/esf-indicators",
                        params={"from": quarter_start.isoformat(), "to": quarter_end.isoformat(), "format": "xlsx"},
                    )
                ).content
            )
        )["ESF+ indicators"]
        rows = {(r[0], r[2]): r[3:] for r in sheet.iter_rows(min_row=4, values_only=True)}
        # women: the first (35, long-term unemployed: 13 months from 25) and the third (unemployed 3 months,
        # with a disability); men: the second (inactive, 18–29 at entry, rural)
        assert rows[("participants", "all")] == (2, 1, 3, 2, 1, 3)
        assert rows[("unemployed_incl_long_term", "all")] == (2, 0, 2, 2, 0, 2)
        assert rows[("long_term_unemployed", "all")] == (1, 0, 1, 1, 0, 1)
        assert rows[("inactive", "all")] == (0, 1, 1, 0, 1, 1)
        assert rows[("aged_18_29", "all")] == (0, 1, 1, 0, 1, 1)
        assert rows[("aged_55_plus", "all")] == (1, 0, 1, 1, 0, 1)
        assert [rows[(k, "all")][2] for k in ("isced_0_2", "isced_3_4", "isced_5_8")] == [1, 1, 1]
        assert (rows[("with_disabilities", "all")], rows[("rural", "all")]) == ((1, 0, 1, 1, 0, 1), (0, 1, 1, 0, 1, 1))
        assert rows[("participants", "jastrzebie-zdroj")] == (2, 1, 3, 2, 1, 3)

        # recruitment's participant data sheet: the three, with the form's fields
        sheet_csv = await c["recruitment"].get("/participants/data-sheet", params={"format": "csv"})
        people = list(csv.DictReader(io.StringIO(sheet_csv.content.decode("utf-8-sig"))))
        assert sorted(p["participant_id"] for p in people) == sorted(ids)
        by_id = {p["participant_id"]: p for p in people}
        age = start.year - 1990 - (start < dt.date(start.year, 1, 1))
        assert (by_id[ids[0]]["labour_market_status"], by_id[ids[0]]["age_at_entry"], by_id[ids[0]]["start_date"]) == (
            "long_term_unemployed",
            str(age),
            start.isoformat(),
        )
        assert (by_id[ids[1]]["rural"], by_id[ids[2]]["disability"], by_id[ids[2]]["education"]) == (
            "True",
            "True",
            "isced_5_8",
        )
