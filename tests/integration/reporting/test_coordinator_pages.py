"""The coordinator's pages in reporting, in-process on a real database and broker: the dashboard, the indicator
tables, the board report and an export, each reached through the pages' typed dependencies (the live report),
and none without signing in."""

from __future__ import annotations

import re

import httpx
import pytest

from helpers import running
from owes_service.pages.accounts import create_account

PASSWORD = "hasło-koordynatora-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)


async def test_the_coordinator_reads_every_page_and_an_export(reporting_app):
    app = reporting_app()
    async with running(app) as api:
        anonymous = await api.get("/panel/dashboard", headers={"Authorization": ""}, follow_redirects=False)
        assert anonymous.status_code == 303 and "/panel/sign-in" in anonymous.headers["location"]

        await create_account(
            api.runtime.engine, service="reporting", login="marta", role="coordinator", password=PASSWORD
        )
        async with httpx.AsyncClient(
            transport=api.asgi_transport, base_url="http://test", headers={"Accept-Language": "pl-PL"}
        ) as browser:
            token = CSRF.search((await browser.get("/panel/sign-in")).text).group(1)
            signed = await browser.post(
                "/panel/sign-in", data={"csrf_token": token, "login": "marta", "password": PASSWORD}
            )
            assert signed.status_code == 303, signed.text
            for path, heading in [
                ("/panel/dashboard", "Osoby objęte wsparciem"),
                ("/panel/indicators", "Osoby objęte wsparciem"),
                ("/panel/report", "Osoby objęte wsparciem"),
            ]:
                page = await browser.get(path)
                assert page.status_code == 200, (path, page.text[:300])
                assert heading in page.text, path
            export = await browser.get("/panel/exports/indicators.csv")
            assert export.status_code == 200
            assert export.headers["content-type"].startswith("text/csv")
            assert "people_supported" in export.text
            assert (await browser.get("/panel/exports/nothing.csv")).status_code == 404
