"""Free text never carries a person's identifiers (issue 13, "Personal data where it must not be"): a PESEL, an
e-mail address or a phone number in any free-text field of any service is refused with a 422 naming the field
(in Polish on the staff pages), nothing is stored and nothing is published; reasons travel as codes, and staff's
own words on them stay in the owning service."""

from __future__ import annotations

import re

import httpx
import pytest
import sqlalchemy as sa

from helpers import participant_form, row_count, running, settings_for
from owes_service.pages.accounts import create_account

PASSWORD = "hasło-do-testów-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PESEL = "02070803628"


def _app(service: str, database_url, kafka_bootstrap, namespace):
    if service == "recruitment":
        from recruitment.main import create_app
        from recruitment.settings import RecruitmentSettings as Settings
    elif service == "advisory":
        from advisory.main import create_app
        from advisory.settings import AdvisorySettings as Settings
    else:
        from grants.main import create_app
        from grants.settings import GrantsSettings as Settings
    return create_app(
        settings_for(Settings, database_url=database_url(service), kafka_bootstrap=kafka_bootstrap, namespace=namespace)
    )


# (service, path, body with the personal data, the free-text field, what it looks like, the table that stays empty)
REFUSED = [
    ("advisory", "/trainings", {"title": "Szkolenie, kontakt jan.nowak@example.org", "hours": "8"}, "title",
     "e-mail", "trainings"),
    ("recruitment", "/organisations", {"organisation_type": "association", "organisation_name": f"Jan {PESEL}",
     "county": "rybnicki", "nip": "1234563218", "regon": "123456785"}, "organisation_name", "PESEL",
     "organisations"),
    ("grants", "/applications", {"applicant_kind": "organisation", "applicant_id": "org_1",
     "summary": "Catering; dzwonić +48 600 100 200", "jobs_planned": 2, "amount_requested": "1000.00"}, "summary",
     "phone number", "applications"),
    ("grants", "/cooperatives", {"krs": "0000380128", "cooperative_name": "Spółdzielnia (tel. 32 123 45 67)",
     "county": "rybnik", "founder_ids": ["p_1", "p_2", "p_3", "p_4", "p_5"]}, "cooperative_name", "phone number",
     "cooperatives"),
]  # fmt: skip


@pytest.mark.parametrize(("service", "path", "body", "field", "looks_like", "table"), REFUSED)
async def test_personal_data_in_free_text_is_refused_everywhere(
    service, path, body, field, looks_like, table, database_url, kafka_bootstrap, namespace
):
    async with running(_app(service, database_url, kafka_bootstrap, namespace)) as client:
        response = await client.post(path, json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        errors = response.json()["errors"]
        assert [e["loc"] for e in errors if e["type"] == "personal_data"] == [["body", field]], errors
        assert looks_like in json_text(errors)
        assert await row_count(client, table) == 0
        assert await row_count(client, "outbox") == 0


def json_text(errors: list[dict]) -> str:
    return " ".join(e["msg"] for e in errors)


async def test_a_reason_note_with_personal_data_is_refused_on_the_staff_page_in_polish(
    database_url, kafka_bootstrap, namespace
):
    async with running(_app("recruitment", database_url, kafka_bootstrap, namespace)) as api:
        registered = await api.post("/participants", json=participant_form())
        pid = registered.json()["participant_id"]
        await create_account(
            api.runtime.engine, service="recruitment", login="osoba", role="recruiter", password=PASSWORD
        )
        async with httpx.AsyncClient(
            transport=api.asgi_transport, base_url="http://test", headers={"Accept-Language": "pl-PL,pl;q=0.9"}
        ) as browser:
            token = CSRF.search((await browser.get("/panel/sign-in")).text).group(1)
            signed = await browser.post(
                "/panel/sign-in", data={"csrf_token": token, "login": "osoba", "password": PASSWORD}
            )
            assert signed.status_code == 303
            token = CSRF.search((await browser.get(f"/panel/participants/{pid}")).text).group(1)
            page = await browser.post(
                f"/panel/participants/{pid}/eligibility",
                data={"csrf_token": token, "eligible": "no", "reason": f"PESEL siostry {PESEL}"},
            )
        assert page.status_code == 422
        assert "nie może zawierać numeru PESEL, adresu e-mail ani numeru telefonu" in page.text
        view = (await api.get(f"/participants/{pid}")).json()
        assert view["status"] == "recruited" and view["rejection_reason"] is None
        assert await row_count(api, "outbox") == 1  # ParticipantRecruited only


async def test_staff_choose_a_reason_code_and_their_note_stays_home(database_url, kafka_bootstrap, namespace):
    async with running(_app("recruitment", database_url, kafka_bootstrap, namespace)) as api:
        rejected = (await api.post("/participants", json=participant_form())).json()["participant_id"]
        leaving = (await api.post("/participants", json=participant_form())).json()["participant_id"]
        await create_account(
            api.runtime.engine, service="recruitment", login="osoba", role="recruiter", password=PASSWORD
        )
        async with httpx.AsyncClient(
            transport=api.asgi_transport, base_url="http://test", headers={"Accept-Language": "pl-PL,pl;q=0.9"}
        ) as browser:
            token = CSRF.search((await browser.get("/panel/sign-in")).text).group(1)
            await browser.post("/panel/sign-in", data={"csrf_token": token, "login": "osoba", "password": PASSWORD})

            async def post(pid: str, action: str, data: dict) -> httpx.Response:
                token = CSRF.search((await browser.get(f"/panel/participants/{pid}")).text).group(1)
                return await browser.post(f"/panel/participants/{pid}/{action}", data={"csrf_token": token, **data})

            decided = await post(
                rejected, "eligibility", {"eligible": "no", "reason_code": "outside_subregion", "reason": "Katowice"}
            )
            assert decided.status_code == 303, decided.text
            left = await post(leaving, "withdrawal", {"withdrawal_reason_code": "moved_away", "withdrawal_reason": ""})
            assert left.status_code == 303, left.text
            page = (await browser.get(f"/panel/participants/{rejected}")).text
        assert "Mieszka poza subregionem (Katowice)" in page
        assert (await api.get(f"/participants/{leaving}")).json()["withdrawal_reason_code"] == "moved_away"
        async with api.runtime.engine.connect() as conn:
            values = [r.value for r in await conn.execute(sa.text("SELECT value FROM outbox"))]
        assert not [v for v in values if "Katowice" in v]
        assert [
            v for v in values if '"reason_code": "outside_subregion"' in v or '"reason_code":"outside_subregion"' in v
        ]
