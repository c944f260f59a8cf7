"""WCAG 2.1 AA on the staff pages (the Polish digital accessibility act): axe-core finds no serious or critical
violation on any page, in Polish and in English, with and without errors; every field has a visible label; the main
form works with the keyboard alone, with the focus always visible."""

from __future__ import annotations

import datetime as dt

import pytest

from e2e.staff_browser import BROWSER_ARGS, CHROMIUM, assert_accessible, shot, sign_in, staff_system
from helpers import make_pesel, remember_personal_data

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(900),  # four services and a browser on a shared two-core machine
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (/usr/bin/chromium): "
        "apt-get install -y chromium (scripts/test does it as root)",
    ),
]

# Fields without a label, or whose label is not shown: any is a failure (hidden inputs carry no person's answer).
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(f => !(f.labels && [...f.labels].some(l => l.offsetParent !== null && l.textContent.trim())))
    .map(f => f.id || f.name)"""
SEND = "button[type=submit]:not(.link-button)"  # a form's own button, not a row's or the header's sign-out
FOCUS_VISIBLE = """() => { const s = getComputedStyle(document.activeElement);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'; }"""


async def check_page(page, where: str) -> None:
    await assert_accessible(page, where)
    assert await page.evaluate(UNLABELLED) == [], f"{where}: fields without a visible label"


async def tab_to(page, selector: str, *, limit: int = 40) -> None:
    """Press Tab until the element is focused, checking that the focus is visible at every stop."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement === document.body"):
            continue  # between the parts of a date field Chromium reports no focused element: nothing to show
        focused = await page.evaluate("document.activeElement.outerHTML")
        assert await page.evaluate(FOCUS_VISIBLE), f"focus not visible on {focused}"
        if await page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
            return
    raise AssertionError(f"{selector} never got the focus with Tab")


class TestAccessibility:
    async def test_pages_pass_axe_have_labels_and_the_register_form_works_by_keyboard(
        self, tmp_path, kafka_bootstrap, kafka_idempotence, namespace
    ):
        from playwright.async_api import async_playwright

        shots = tmp_path / "screenshots"  # every page as a person sees it, with and without errors
        shots.mkdir()
        with staff_system(tmp_path / "system", kafka_bootstrap, namespace, kafka_idempotence) as system:
            urls = {s.name: s.url for s in system.services}
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                try:
                    context = await browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})
                    page = await context.new_page()

                    # The recruiter's main form, by keyboard alone: sign in, open the form, fill it, send it.
                    await page.goto(f"{urls['recruitment']}/panel/sign-in")
                    await check_page(page, "sign-in")
                    await tab_to(page, "#login")
                    await page.keyboard.type("anna.rekruter")
                    await page.keyboard.press("Tab")
                    from e2e.staff_browser import PASSWORD

                    await page.keyboard.type(PASSWORD)
                    await page.keyboard.press("Enter")
                    await page.wait_for_url("**/panel/participants")
                    await tab_to(page, "a[href='/panel/participants/new']")
                    await page.keyboard.press("Enter")
                    await page.wait_for_url("**/panel/participants/new")
                    await page.keyboard.press("Tab")  # the first stop is the skip link, shown when focused
                    assert await page.evaluate("document.activeElement.className") == "skip-link"
                    assert await page.is_visible(".skip-link")
                    await page.keyboard.press("Enter")
                    assert await page.evaluate("location.hash") == "#main"

                    person = remember_personal_data(
                        {
                            "pesel": make_pesel(dt.date(1979, 3, 8), female=False),
                            "first_name": "Łukasz",
                            "last_name": "Ślęzak",
                        }
                    )
                    await tab_to(page, "#pesel")
                    await page.keyboard.type(person["pesel"])
                    await tab_to(page, "#first_name")
                    await page.keyboard.type(person["first_name"])
                    await tab_to(page, "#last_name")
                    await page.keyboard.type(person["last_name"])
                    await tab_to(page, "#county")
                    await page.keyboard.press("ArrowDown")  # the first county of the list
                    await tab_to(page, "#labour_market_status-1")
                    await page.keyboard.press("Space")
                    # at risk (ticked by default) needs a category of the act: the first, by keyboard too
                    await tab_to(page, "#at_risk_categories-1")
                    await page.keyboard.press("Space")
                    await tab_to(page, "#consent")
                    await page.keyboard.press("Space")
                    await tab_to(page, "main button[type=submit]")  # not the header's sign-out button
                    await page.keyboard.press("Enter")
                    await page.wait_for_url("**/panel/participants/p_*")
                    assert "Łukasz Ślęzak" in await page.inner_text("h1")
                    await check_page(page, "participant")
                    participant_id = page.url.rsplit("/", 1)[1]

                    # A form that failed: the summary takes the focus's place at the top, each field says why.
                    await page.goto(f"{urls['recruitment']}/panel/participants/new")
                    await page.click("main button[type=submit]")
                    await page.wait_for_selector(".error-summary")
                    assert await page.locator(".error-message").count() >= 4
                    await check_page(page, "register form, every required field missing")

                    await page.goto(f"{urls['recruitment']}/panel/participants?lang=en")
                    assert await page.get_attribute("html", "lang") == "en"
                    assert "Register a participant" in await page.inner_text("main")
                    await check_page(page, "participants, in English")
                    await page.goto(f"{urls['recruitment']}/panel/participants/new?lang=pl")
                    await check_page(page, "register form")

                    # Every other page, each service with its own member of staff: as it opens, and (where it has
                    # a form) after that form was sent empty. A screenshot of each is kept for a person to look at.
                    for service, paths in (
                        ("recruitment", ["/panel/participants", "/panel/organisations", "/panel/initiative-groups"]),
                        ("advisory", ["/panel/trainings", "/panel/sessions", "/panel/mentoring"]),
                        ("grants", ["/panel/cooperatives", "/panel/applications", "/panel/de-minimis"]),
                        ("reporting", ["/panel/dashboard", "/panel/indicators", "/panel/report"]),
                    ):
                        if service != "recruitment":  # the recruiter is signed in already
                            await sign_in(page, urls[service], service)
                            await page.wait_for_url(f"**{paths[0]}")
                        for path in paths:
                            await page.goto(f"{urls[service]}{path}")
                            await check_page(page, f"{service}{path}")
                            await shot(page, shots, f"{service}{path.replace('/', '-')}")
                            sends = page.locator(f"main form[method=post] {SEND}")
                            if service != "reporting" and path != "/panel/participants" and await sends.count():
                                await sends.first.click()  # the page's form, sent empty
                                await page.wait_for_selector(".error-summary")
                                await check_page(page, f"{service}{path} with errors")
                                await shot(page, shots, f"{service}{path.replace('/', '-')}-errors")
                    await page.goto(f"{urls['advisory']}/panel/participants/{participant_id}")
                    await check_page(page, "advisory: one participant's support")
                    await shot(page, shots, "advisory-participant")

                    # Accounts belong to one service: the coordinator cannot sign in to recruitment.
                    await page.goto(f"{urls['recruitment']}/panel/sign-in")
                    await page.fill("#login", "marta.koordynator")
                    await page.fill("#password", PASSWORD)
                    await page.click("main button[type=submit]")
                    await page.wait_for_selector(".error-summary")
                    assert "Nieprawidłowy login lub hasło" in await page.inner_text(".error-summary")
                finally:
                    await browser.close()
