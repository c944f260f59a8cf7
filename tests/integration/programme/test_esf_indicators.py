"""ESF+ common indicators end to end: recruitment records the participant form's answers and publishes only their
coarse values; reporting counts them by sex for a reporting period and cumulatively, per partner, as JSON and as
the payment claim's XLSX sheet. Every figure below is counted by hand from the four people registered."""

from __future__ import annotations

import datetime as dt
import io
import json

from openpyxl import load_workbook

from helpers import event_name, eventually, make_pesel, participant_form, read_topic, running, settings_for
from owes_contracts import topic_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

# (birth, female, form answers, day participation starts)
PEOPLE = [
    # 35 at entry, unemployed 13 months: long-term (over 12 from 25)
    (
        dt.date(1990, 1, 1),
        True,
        {"unemployed_months": 13, "education": "isced_3_4", "minority": "refused"},
        "2025-03-03",
    ),
    # 21 at entry, unemployed 7 months: long-term (over 6 under 25)
    (dt.date(2003, 5, 5), False, {"unemployed_months": 7, "education": "isced_0_2", "rural": True}, "2025-03-03"),
    # 60 at entry, employed, with a disability, a third-country national
    (
        dt.date(1965, 2, 2),
        True,
        {
            "labour_market_status": "employed",
            "education": "isced_5_8",
            "disability": True,
            "third_country_national": "yes",
            "homeless": "no",
        },
        "2025-03-03",
    ),
    # 40 at entry, unemployed 5 months: not long-term; enters in the second quarter
    (dt.date(1985, 6, 6), False, {"unemployed_months": 5}, "2025-05-06"),
]
SEXES = ("female", "male", "total")
# second quarter of 2025, and everything up to its end
EXPECTED = {
    "participants": ((0, 1, 1), (2, 2, 4)),
    "unemployed_incl_long_term": ((0, 1, 1), (1, 2, 3)),
    "long_term_unemployed": ((0, 0, 0), (1, 1, 2)),
    "inactive": ((0, 0, 0), (0, 0, 0)),
    "employed": ((0, 0, 0), (1, 0, 1)),
    "under_18": ((0, 0, 0), (0, 0, 0)),
    "aged_18_29": ((0, 0, 0), (0, 1, 1)),
    "aged_55_plus": ((0, 0, 0), (1, 0, 1)),
    "isced_0_2": ((0, 0, 0), (0, 1, 1)),
    "isced_3_4": ((0, 0, 0), (1, 0, 1)),
    "isced_5_8": ((0, 0, 0), (1, 0, 1)),
    "with_disabilities": ((0, 0, 0), (1, 0, 1)),
    "third_country_nationals": ((0, 0, 0), (1, 0, 1)),
    "foreign_background": ((0, 0, 0), (0, 0, 0)),
    "minorities": ((0, 0, 0), (0, 0, 0)),
    "homeless": ((0, 0, 0), (0, 0, 0)),
    "rural": ((0, 0, 0), (0, 1, 1)),
    "refused_sensitive": ((0, 0, 0), (1, 0, 1)),
}


class TestEsfIndicators:
    async def test_recruitment_to_the_payment_claim_sheet(self, database_url, kafka_bootstrap, namespace):
        def app(create, settings, name):
            return create(
                settings_for(
                    settings, database_url=database_url(name), kafka_bootstrap=kafka_bootstrap, namespace=namespace
                )
            )

        async with (
            running(app(recruitment_app, RecruitmentSettings, "recruitment")) as rec,
            running(app(reporting_app, ReportingSettings, "reporting")) as rep,
        ):
            ids = []
            for birth, female, answers, day in PEOPLE:
                form = participant_form(make_pesel(birth, female=female), recruited_on=day, **answers)
                response = await rec.post("/participants", json=form)
                assert response.status_code == 201, response.text
                ids.append(response.json()["participant_id"])
            refused = await rec.post("/participants", json=participant_form(make_pesel(), minority="maybe"))
            assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"

            params = {"from": "2025-04-01", "to": "2025-06-30"}

            async def counted():
                response = await rep.get("/esf-indicators", params=params)
                assert response.status_code == 200, response.text
                report = response.json()
                got = {
                    key: (
                        tuple(f["period"][s] for s in SEXES),
                        tuple(f["cumulative"][s] for s in SEXES),
                    )
                    for key, f in report["indicators"].items()
                }
                assert got == EXPECTED
                return report

            report = await eventually(counted, timeout=60)
            assert list(report["partners"]) == ["jastrzebie-zdroj"]
            assert report["partners"]["jastrzebie-zdroj"]["participants"]["cumulative"]["total"] == 4
            first_quarter = (await rep.get("/esf-indicators", params={"from": "2025-01-01", "to": "2025-03-31"})).json()
            assert first_quarter["indicators"]["long_term_unemployed"]["period"] == {"female": 1, "male": 1, "total": 2}

            sheet_response = await rep.get("/esf-indicators", params=params | {"format": "xlsx"})
            assert sheet_response.headers["content-type"].startswith("application/vnd.openxmlformats")
            sheet = load_workbook(io.BytesIO(sheet_response.content))["ESF+ indicators"]
            rows = {(r[0], r[2]): r[3:] for r in sheet.iter_rows(min_row=4, values_only=True)}
            for key, (period, cumulative) in EXPECTED.items():
                assert rows[(key, "all")] == (*period, *cumulative), key
                assert rows[(key, "jastrzebie-zdroj")] == (*period, *cumulative), key
            bad = await rep.get("/esf-indicators", params={"from": "2025-06-30", "to": "2025-04-01"})
            assert bad.status_code == 422 and "before it starts" in bad.json()["detail"]

        # the events carry the coarse values, fixed at entry, and nothing personal
        records = await read_topic(kafka_bootstrap, topic_for("recruitment", namespace))
        recruited = {
            p["participant_id"]: p
            for p in (json.loads(r.value) for r in records if event_name(r) == "ParticipantRecruited")
        }
        second = recruited[ids[1]]
        assert (second["labour_market_status"], second["esf_age_group"], second["education"], second["rural"]) == (
            "long_term_unemployed",
            "18_29",
            "isced_0_2",
            True,
        )
        assert (recruited[ids[0]]["minority"], recruited[ids[3]]["labour_market_status"]) == ("refused", "unemployed")
        assert not any(
            {"pesel", "first_name", "last_name", "email", "unemployed_months"} & set(p) for p in recruited.values()
        )
