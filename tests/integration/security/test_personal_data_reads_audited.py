"""Reads of personal data are audited (issue 13, accountability): a participant's record through the API or the
staff page, and the staff search that lists names and PESELs, each leave an audit row naming who looked."""

from __future__ import annotations

import re

import httpx
import sqlalchemy as sa

from helpers import participant_form, running, settings_for
from owes_service.pages.accounts import create_account
from recruitment.main import create_app
from recruitment.settings import RecruitmentSettings

PASSWORD = "hasło-do-testów-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def reads(client) -> list[tuple]:
    async with client.runtime.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT principal, role, path, entity_id FROM audit_log WHERE method = 'GET' ORDER BY id")
        )
        return [tuple(r) for r in rows]


async def test_reading_a_participant_or_searching_is_recorded(database_url, kafka_bootstrap, namespace):
    settings = settings_for(
        RecruitmentSettings,
        database_url=database_url("recruitment"),
        kafka_bootstrap=kafka_bootstrap,
        namespace=namespace,
    )
    async with running(create_app(settings)) as api:
        pid = (await api.post("/participants", json=participant_form())).json()["participant_id"]
        assert await reads(api) == []
        assert (await api.get(f"/participants/{pid}")).status_code == 200
        assert (await api.get("/participants/p_doesnotexist00")).status_code == 404  # nothing read, nothing kept
        [(principal, role, path, entity)] = await reads(api)
        assert (role, path, entity) == ("partner:recruitment", f"/participants/{pid}", pid) and principal

        await create_account(
            api.runtime.engine, service="recruitment", login="osoba", role="recruiter", password=PASSWORD
        )
        async with httpx.AsyncClient(transport=api.asgi_transport, base_url="http://test") as browser:
            token = CSRF.search((await browser.get("/panel/sign-in")).text).group(1)
            await browser.post("/panel/sign-in", data={"csrf_token": token, "login": "osoba", "password": PASSWORD})
            assert (await browser.get(f"/panel/participants/{pid}")).status_code == 200
            assert (await browser.get("/panel/participants", params={"q": "Nowak"})).status_code == 200
        staff_reads = (await reads(api))[1:]
        assert staff_reads == [
            ("osoba", "staff:recruiter", f"/panel/participants/{pid}", pid),
            ("osoba", "staff:recruiter", "/panel/participants", None),  # the query (a name, a PESEL) is not kept
        ]
