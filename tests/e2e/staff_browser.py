"""What the staff pages' browser tests share: the four services as processes with staff accounts, Debian's Chromium,
axe-core injected into a page, screenshots."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "hasło-testowe-2026"  # one password for the test accounts: what a person would type
# One person per role the journey needs; the coordinator's account is in reporting only.
STAFF = {
    "recruitment": ("anna.rekruter", "recruiter", "Anna Nowak"),
    "advisory": ("piotr.doradca", "adviser", "Piotr Wiśniewski"),
    "grants": ("ewa.dotacje", "grant_officer", "Ewa Zielińska"),
    "reporting": ("marta.koordynator", "coordinator", "Marta Łukasik"),
}


def create_staff_account(system: LocalSystem, service: str, login: str, role: str, name: str) -> None:
    """`owes staff create`, as an operator runs it, with the password piped on stdin."""
    owes = Path(sys.executable).with_name("owes")
    done = subprocess.run(
        [
            str(owes),
            "staff",
            "create",
            "--service",
            service,
            "--login",
            login,
            "--role",
            role,
            "--name",
            name,
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        env={**os.environ, **system.service_env(service)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"account {login!r} ({role}) created" in done.stdout


# A Polish interface, as staff have it (days are typed as dd.mm.rrrr in text fields, whatever the browser's language).
BROWSER_ARGS = [*CHROMIUM_ARGS, "--lang=pl-PL"]


@contextmanager
def staff_system(data_dir: Path, bootstrap: str, namespace: str, idempotence: bool) -> Iterator[LocalSystem]:
    """All four services as processes on the test's broker, each with one member of staff."""
    system = LocalSystem(
        data_dir=data_dir,
        external_bootstrap=bootstrap,
        namespace=namespace,
        extra_env={
            **{f"{s.upper()}_KAFKA__ENABLE_IDEMPOTENCE": str(idempotence).lower() for s in STAFF},
            "REPORTING_DASHBOARD_MIN_INTERVAL": "0.2",
        },
    )
    try:
        system.lock_data_folder()
        for service in STAFF:  # ports of their own: other systems may hold the usual 8001-8004
            system.start_service(service, free_port())
        for process in system.services:
            wait_for_port(process.port, timeout=90)
        for service, (login, role, name) in STAFF.items():
            create_staff_account(system, service, login, role, name)
        yield system
    finally:
        system.stop()


async def assert_accessible(page, where: str) -> None:
    """axe-core on the page as it is now: no serious or critical WCAG 2.1 AA violation."""
    assert AXE.exists(), f"axe-core is missing: run `npm ci --prefix {AXE.parents[2]}` (scripts/test does)"
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',
                                                                            'wcag21aa', 'best-practice']},
                                           resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    grave = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not grave, f"{where}: {json.dumps(grave, ensure_ascii=False, indent=1)}"


async def shot(page, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def sign_in(page, url: str, service: str) -> None:
    login, _role, _name = STAFF[service]
    await page.goto(f"{url}/panel/")
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Zaloguj się')")
