"""Reporting under the 2021–2027 rules: maintenance unit rates, failed sustainability checks, cooperatives founded
by legal persons (CooperativeFounded v2) and which supported cooperatives meet a social enterprise's employment
conditions on a given day, all from the events (figures counted by hand below)."""

from __future__ import annotations

from decimal import Decimal

from helpers import assert_problem, eventually, running
from integration.reporting.reporting_scenario import EXPECTED_FIGURES, D, envelope, pid, publish, scenario
from owes_contracts import CooperativeFoundedV2, JobCreated, JobMaintenanceFunded, JobNotSustained, WorkingTime

# Beyond the shared scenario (coop_1: p1, p2, p3 from 2026-06-01, p4 (not at risk) and p6 from 2026-06-15; p3's
# job ended 2026-12-31): coop_2, founded by two organisations, employs p7 full time and p5 half time.
EXTRA = [
    CooperativeFoundedV2(
        cooperative_id="coop_2",
        founded_on=D(2026, 9, 1),
        krs="0000380129",
        cooperative_name="Spółdzielnia Socjalna Dwóch Stowarzyszeń",
        county="raciborski",
        founded_by="legal_persons",
        founding_organisation_ids=["org_4", "org_6"],
    ),
    JobCreated(
        job_id="job_7",
        created_on=D(2026, 9, 1),
        cooperative_id="coop_2",
        participant_id=pid(7),
        working_time="full_time",
    ),
    JobCreated(
        job_id="job_5",
        created_on=D(2026, 9, 1),
        cooperative_id="coop_2",
        participant_id=pid(5),
        working_time=WorkingTime.HALF_TIME,
    ),
    JobMaintenanceFunded(
        job_id="job_7", funded_on=D(2026, 9, 2), working_time="full_time", amount=Decimal("38700.00"), months=12
    ),
    JobMaintenanceFunded(
        job_id="job_5", funded_on=D(2026, 9, 2), working_time="half_time", amount=Decimal("19350.00"), months=12
    ),
    JobNotSustained(job_id="job_3", checked_on=D(2027, 1, 4), ended_on=D(2026, 12, 31), due_on=D(2027, 6, 1)),
]


class TestProgrammeRules:
    async def test_maintenance_failed_sustainability_and_social_enterprise_conditions(
        self, reporting_app, kafka_bootstrap, namespace
    ):
        async with running(reporting_app()) as rep:
            await publish(kafka_bootstrap, namespace, [*scenario(), *[envelope(e) for e in EXTRA]])
            expected = EXPECTED_FIGURES | {
                "new_social_enterprises": 2,
                "jobs_created": 7,
                "jobs_for_people_at_risk": 6,  # 4, and p7 and p5 (recruited at risk; p5 found ineligible later)
                "job_maintenance_funded_pln": "58050.00",  # 38700.00 + 19350.00
                "jobs_not_sustained": 1,
            }

            async def applied():
                assert (await rep.get("/indicators")).json() == expected

            await eventually(applied, timeout=60)

            async def status(on: str) -> dict:
                response = await rep.get("/social-enterprises", params={"on": on})
                assert response.status_code == 200, response.text
                body = response.json()
                return {
                    e["cooperative_id"]: (e["employees"], e["at_risk"], e["meets_conditions"]) for e in body["entities"]
                }

            # before any job; three at risk of three; five with four at risk (80 %); coop_2 with two only
            assert await status("2026-05-20") == {"coop_1": (0, 0, False)}
            assert await status("2026-06-10") == {"coop_1": (3, 3, True)}
            assert await status("2026-09-01") == {"coop_1": (5, 4, True), "coop_2": (2, 2, False)}
            # p3's job ended on 2026-12-31: four employed, three at risk (75 %)
            january = (await rep.get("/social-enterprises", params={"on": "2027-01-04"})).json()
            assert [(e["cooperative_id"], e["employees"], e["at_risk_percent"]) for e in january["entities"]] == [
                ("coop_1", 4, "75.0"),
                ("coop_2", 2, "100.0"),
            ]
            assert january["meeting_conditions"] == ["coop_1"]
            assert_problem(await rep.get("/social-enterprises", params={"on": "not-a-day"}), 422)
