"""The dashboard in a real headless Chromium: served by the reporting service running as a process, it shows
a new event's effect on an indicator card without a reload (server-sent events)."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import httpx
import pytest

from helpers import eventually
from integration.reporting.reporting_scenario import envelope, publish, recruited
from owes_cli.embedded import free_port, wait_for_port
from owes_cli.system import LocalSystem

CHROMIUM = shutil.which("chromium") or next((p for p in ("/usr/bin/chromium",) if os.path.exists(p)), None)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PEOPLE_CARD = "[data-indicator=people_supported] .value"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (/usr/bin/chromium): "
        "apt-get install -y chromium (scripts/test does it as root)",
    ),
]


@pytest.fixture
def reporting_process(tmp_path, kafka_bootstrap, kafka_idempotence, namespace):
    """The reporting service as a uvicorn process on the test's broker; yields (base URL, lead's headers)."""
    system = LocalSystem(
        data_dir=tmp_path,
        external_bootstrap=kafka_bootstrap,
        namespace=namespace,
        extra_env={
            "REPORTING_KAFKA__ENABLE_IDEMPOTENCE": str(kafka_idempotence).lower(),
            "REPORTING_DASHBOARD_MIN_INTERVAL": "0.2",
        },
    )
    service = system.start_service("reporting", free_port())
    try:
        wait_for_port(service.port, timeout=60)
        yield service.url, system.headers("lead")
    finally:
        system.stop_service("reporting")


async def people_supported(url: str, headers: dict) -> int:
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:
        response = await client.get("/indicators")
    assert response.status_code == 200, response.text
    return response.json()["people_supported"]


class TestDashboardInABrowser:
    async def test_card_shows_a_new_event_without_a_reload(
        self, reporting_process, kafka_bootstrap, namespace, tmp_path
    ):
        from playwright.async_api import async_playwright

        url, headers = reporting_process
        await publish(
            kafka_bootstrap, namespace, [envelope(recruited(1, "female", "25-34", "rybnicki", dt.date(2026, 3, 2)))]
        )

        async def first_counted():
            assert await people_supported(url, headers) == 1

        await eventually(first_counted, timeout=60)

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(viewport={"width": 1440, "height": 900}, extra_http_headers=headers)
                page = await context.new_page()
                response = await page.goto(f"{url}/dashboard?lang=en")
                assert response.status == 200
                assert await page.text_content(PEOPLE_CARD) == "1"
                await page.wait_for_selector("#live-status.on", timeout=30_000)  # the event stream is open
                await page.evaluate("window.stillTheSamePage = true")

                await publish(
                    kafka_bootstrap, namespace, [envelope(recruited(2, "male", "35-49", "zory", dt.date(2026, 3, 3)))]
                )
                await page.wait_for_function(
                    f"document.querySelector('{PEOPLE_CARD}').textContent === '2'", timeout=30_000
                )

                assert await page.evaluate("window.stillTheSamePage") is True  # updated in place, no reload
                assert "last event" in await page.text_content("[data-producer=recruitment]")
                await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            finally:
                await browser.close()
