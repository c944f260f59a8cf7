"""The staff pages as people use them, in Debian's Chromium, across the four services running as processes: a
recruiter registers a person (after a refused PESEL) and confirms eligibility, an adviser records a training, a
grant officer founds a cooperative and creates a job, the coordinator watches the dashboard update and prints the
report for the board to PDF. axe-core checks every page; a screenshot of each is kept in the test's folder."""

from __future__ import annotations

import datetime as dt
import random

import httpx
import pytest

from e2e.staff_browser import BROWSER_ARGS, CHROMIUM, assert_accessible, shot, sign_in, staff_system
from helpers import eventually, make_pesel, participant_form, remember_personal_data

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(900),  # four services and a browser on a shared two-core machine
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (/usr/bin/chromium): "
        "apt-get install -y chromium (scripts/test does it as root)",
    ),
]

PEOPLE_CARD = "[data-indicator=people_supported] .value"


def broken_check_digit(pesel: str) -> str:
    return pesel[:10] + str((int(pesel[10]) + 1) % 10)


async def eligible_participants(system, count: int) -> list[str]:
    """Participants registered and found eligible through the API (machines), to found a cooperative with."""
    ids = []
    async with httpx.AsyncClient(
        base_url=system.service("recruitment").url, headers=system.operator_headers("recruitment")
    ) as api:
        for _ in range(count):
            created = await api.post("/participants", json=participant_form(county="rybnicki"))
            assert created.status_code == 201, created.text
            pid = created.json()["participant_id"]
            decided = await api.post(f"/participants/{pid}/eligibility", json={"eligible": True})
            assert decided.status_code == 200, decided.text
            ids.append(pid)
    return ids


async def advisory_knows_eligible(system, participant_id: str) -> None:
    async with httpx.AsyncClient(
        base_url=system.service("advisory").url, headers=system.operator_headers("advisory")
    ) as api:

        async def known():
            response = await api.get(f"/participants/{participant_id}")
            assert response.status_code == 200 and response.json()["may_receive_support"], response.text

        await eventually(known, timeout=60, interval=0.3)


class TestStaffJourney:
    async def test_from_registration_to_the_printed_report(
        self, tmp_path, kafka_bootstrap, kafka_idempotence, namespace
    ):
        from playwright.async_api import async_playwright

        shots = tmp_path / "screenshots"
        shots.mkdir()
        with staff_system(tmp_path / "system", kafka_bootstrap, namespace, kafka_idempotence) as system:
            urls = {s.name: s.url for s in system.services}
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                try:
                    context = await browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})
                    page = await context.new_page()

                    # --- the recruiter (Jastrzębie-Zdrój) -----------------------------------------------------
                    await page.goto(f"{urls['recruitment']}/panel/participants")
                    assert "/panel/sign-in" in page.url  # nobody gets in without signing in
                    assert await page.get_attribute("html", "lang") == "pl"
                    await assert_accessible(page, "sign-in")
                    await shot(page, shots, "01-recruitment-sign-in")
                    await sign_in(page, urls["recruitment"], "recruitment")
                    await page.wait_for_url("**/panel/participants")
                    await page.click("text=Zarejestruj uczestnika")
                    await assert_accessible(page, "register form")
                    await shot(page, shots, "02-recruitment-register")

                    pesel = make_pesel(dt.date(1984, 5, 17), female=True)
                    typed = remember_personal_data(
                        {
                            "pesel": pesel,
                            "first_name": "Zofia",
                            "last_name": "Wójcik-Żak",
                            "phone": "+48 600 700 800",
                            "address": "ul. Górnicza 7, 44-335 Jastrzębie-Zdrój",
                        }
                    )
                    await page.fill("#pesel", broken_check_digit(pesel))
                    await page.fill("#first_name", typed["first_name"])
                    await page.fill("#last_name", typed["last_name"])
                    await page.fill("#phone", typed["phone"])
                    await page.fill("#address", typed["address"])
                    await page.select_option("#county", label="powiat rybnicki")
                    await page.check("label:has-text('bezrobotny') >> nth=0")
                    await page.check("#at_risk_categories-1")  # at risk: a category of the act
                    await page.check("#consent")
                    await page.click("button:has-text('Zarejestruj')")

                    summary = page.locator(".error-summary")
                    await summary.wait_for()
                    expected = "Nieprawidłowy numer PESEL: błędna cyfra kontrolna"
                    assert expected in await summary.inner_text()
                    assert expected in await page.inner_text("#pesel-error")  # again next to the field
                    assert await page.get_attribute("#pesel", "aria-invalid") == "true"
                    # nothing typed is lost
                    assert await page.input_value("#first_name") == "Zofia"
                    assert await page.input_value("#address") == typed["address"]
                    assert await page.is_checked("#consent")
                    assert await page.is_checked("#at_risk_categories-1")
                    await assert_accessible(page, "register form with errors")
                    await shot(page, shots, "03-recruitment-pesel-refused")
                    await summary.locator("a[href='#pesel']").click()  # the summary leads to the field
                    assert await page.evaluate("document.activeElement.id") == "pesel"

                    await page.fill("#pesel", pesel)
                    await page.click("button:has-text('Zarejestruj')")
                    await page.wait_for_url("**/panel/participants/p_*")
                    participant_id = page.url.rsplit("/", 1)[1]
                    assert "Uczestnik zarejestrowany" in await page.inner_text(".banner")
                    await page.check("#eligible-yes")
                    await page.click("button:has-text('Zapisz decyzję')")
                    await page.wait_for_selector("text=Kwalifikowalność potwierdzona.")
                    assert await page.inner_text("h1 .tag") == "kwalifikowalny"
                    assert "powiat rybnicki" in await page.inner_text(".summary-list")
                    await assert_accessible(page, "participant")
                    await shot(page, shots, "04-recruitment-participant-eligible")
                    await page.goto(f"{urls['recruitment']}/panel/participants?q=W%C3%B3jcik")
                    assert "Znaleziono 1 uczestnika" in await page.inner_text("main")
                    await assert_accessible(page, "participants list")
                    await shot(page, shots, "05-recruitment-participants")
                    await page.click("button:has-text('Wyloguj')")
                    await page.wait_for_selector("text=Wylogowano.")

                    # --- the adviser (Żory) ----------------------------------------------------------------------
                    await advisory_knows_eligible(system, participant_id)
                    await sign_in(page, urls["advisory"], "advisory")
                    await page.wait_for_url("**/panel/trainings")
                    await page.fill("#title", "Zakładanie spółdzielni socjalnej")
                    await page.fill("#hours", "16")
                    await page.fill("#starts_on", "02.11.2026")  # as the hint shows: dd.mm.rrrr
                    await page.click("button:has-text('Utwórz szkolenie')")
                    await page.wait_for_url("**/panel/trainings/trn_*")
                    for day, hours in (("02.11.2026", "8"), ("03.11.2026", "6,5")):  # 6,5: a Polish decimal comma
                        await page.fill("#participant_id", participant_id)
                        await page.fill("#hours", hours)
                        await page.fill("#attended_on", day)
                        await page.click("button:has-text('Zapisz obecność')")
                        await page.wait_for_selector("text=Obecność zapisana.")
                    row = page.locator("table tbody tr", has_text=participant_id)
                    assert "14,5" in await row.inner_text()
                    await row.locator("button").click()  # 14.5 of 16 hours meets the 80 % required
                    await page.wait_for_selector("text=Ukończenie zapisane.")
                    await assert_accessible(page, "training")
                    await shot(page, shots, "06-advisory-training")
                    await page.goto(f"{urls['advisory']}/panel/trainings")
                    await assert_accessible(page, "trainings")
                    await shot(page, shots, "07-advisory-trainings")

                    # --- the grant officer (Rybnik) -----------------------------------------------------------
                    founders = [participant_id, *await eligible_participants(system, 4)]
                    await advisory_knows_eligible(system, founders[-1])  # the events have travelled
                    await sign_in(page, urls["grants"], "grants")
                    await page.wait_for_url("**/panel/cooperatives")
                    krs = f"{random.randint(100000, 999999):010d}"
                    await page.fill("#cooperative_name", "Spółdzielnia Socjalna „Żurawie”")
                    await page.fill("#krs", f"KRS {krs}")
                    await page.select_option("#county", label="powiat rybnicki")
                    await page.fill("#founder_ids", "\n".join(founders))

                    async def founded():
                        if "/panel/cooperatives/coop" not in page.url:
                            await page.click("button:has-text('Zapisz spółdzielnię')")
                            await page.wait_for_load_state()
                        # grants may hear of the last founders a moment after advisory: the form keeps them
                        assert "/panel/cooperatives/coop" in page.url, await page.inner_text("main")

                    await eventually(founded, timeout=60, interval=1)
                    assert krs in await page.inner_text(".summary-list")
                    await page.fill("#participant_id", participant_id)
                    await page.click("button:has-text('Utwórz miejsce pracy')")
                    await page.wait_for_selector("text=Miejsce pracy utworzone.")
                    assert "1 miejsce pracy w tej spółdzielni" in await page.inner_text("main")
                    await assert_accessible(page, "cooperative")
                    await shot(page, shots, "08-grants-cooperative-with-job")
                    await page.click("table a[href^='/panel/jobs/']")  # the job's own page: its funding and checks
                    await page.wait_for_url("**/panel/jobs/*")
                    assert participant_id in await page.inner_text(".summary-list")
                    await assert_accessible(page, "job")
                    await shot(page, shots, "08b-grants-job")
                    await page.goto(f"{urls['grants']}/panel/cooperatives")
                    await assert_accessible(page, "cooperatives")
                    await shot(page, shots, "09-grants-cooperatives")

                    # --- the coordinator (the lead organisation) ----------------------------------------------
                    coordinator = await context.new_page()
                    await sign_in(coordinator, urls["reporting"], "reporting")
                    await coordinator.wait_for_url("**/panel/dashboard")
                    await coordinator.wait_for_selector("#live-status.on", timeout=30_000)

                    async def counted(n: int):
                        await coordinator.wait_for_function(
                            f"document.querySelector('{PEOPLE_CARD}').textContent.trim() === '{n}'", timeout=30_000
                        )

                    await counted(5)
                    await coordinator.evaluate("window.stillTheSamePage = true")
                    await eligible_participants(system, 1)  # a sixth person arrives while she watches
                    await counted(6)
                    assert await coordinator.evaluate("window.stillTheSamePage") is True
                    assert "Jastrzębie-Zdrój" in await coordinator.inner_text("#partners")
                    await assert_accessible(coordinator, "dashboard")
                    await shot(coordinator, shots, "10-reporting-dashboard")
                    await coordinator.click("text=Tabele wskaźników >> nth=0")
                    await assert_accessible(coordinator, "indicator tables")
                    await shot(coordinator, shots, "11-reporting-indicators")
                    await coordinator.goto(f"{urls['reporting']}/panel/report")
                    await assert_accessible(coordinator, "report")
                    await shot(coordinator, shots, "12-reporting-report")
                    pdf = tmp_path / "raport-dla-zarzadu.pdf"
                    await coordinator.emulate_media(media="print")
                    assert not await coordinator.is_visible(".masthead")  # print CSS: the report alone
                    await coordinator.pdf(path=str(pdf), format="A4", print_background=True)
                    head = pdf.read_bytes()
                    assert head.startswith(b"%PDF-") and len(head) > 10_000
                    assert b"/MediaBox [0 0 595" in head  # A4: 595 x 842 points
                finally:
                    await browser.close()
