"""Partners and counties as people write them: the codes events carry, shown with their Polish letters."""

from __future__ import annotations

from typing import Any

# Codes events and settings use (ASCII, stable) -> the name staff read. A code not listed is shown as it is.
PLACES = {
    "jastrzebie-zdroj": "Jastrzębie-Zdrój",
    "zory": "Żory",
    "rybnik": "Rybnik",
    "raciborz": "Racibórz",
    "wodzislaw-slaski": "Wodzisław Śląski",
    "rybnicki": "powiat rybnicki",
    "wodzislawski": "powiat wodzisławski",
    "raciborski": "powiat raciborski",
    "lead": "Lider partnerstwa (CRIS)",
}
# The subregion's counties offered in forms, in the order staff expect them.
SUBREGION_COUNTIES = ("jastrzebie-zdroj", "zory", "rybnik", "rybnicki", "wodzislawski", "raciborski")


def place_name(code: str | None) -> str:
    if not code:
        return "—"
    return PLACES.get(code, code)


def county_options(project: Any = None) -> list[tuple[str, str]]:
    """The counties a form offers: the project's subregion when the project is defined, else the seeds' one."""
    counties = getattr(project, "counties", None)
    if counties:
        return [(c.code, PLACES.get(c.code, c.name)) for c in counties]
    return [(code, PLACES[code]) for code in SUBREGION_COUNTIES]
