"""Languages of the staff pages: Polish first, English on request; Babel catalogues and Polish formats."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

DEFAULT_LANGUAGE = "pl"
WARSAW = ZoneInfo("Europe/Warsaw")  # staff read times on the project's wall clock
LANGUAGES = ("pl", "en")  # msgids are English: English needs no catalogue
SHARED_LOCALE = Path(__file__).parent / "locale"


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=language)


def catalog_path(locale_dir: Path, language: str, domain: str = "messages") -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{domain}.po"


def load_translations(locale_dirs: list[Path], language: str) -> NullTranslations:
    """The .po catalogues of these folders merged, compiled in memory at start-up (no build step, no .mo in git)."""
    if language == "en":
        return NullTranslations()
    merged: Translations | None = None
    for locale_dir in locale_dirs:
        path = catalog_path(locale_dir, language)
        if not path.exists():
            continue
        buffer = io.BytesIO()
        write_mo(buffer, read_catalog(path, language))
        buffer.seek(0)
        translations = Translations(buffer)
        merged = translations if merged is None else merged.merge(translations)
    return merged or NullTranslations()


def choose_language(*, asked: str | None, remembered: str | None, accept_language: str | None) -> str:
    """?lang= wins, then the language chosen before (session), then the browser's, then Polish."""
    for choice in (asked, remembered):
        if choice in LANGUAGES:
            return choice
    preferred = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag:
            preferred.append(tag)
    found = negotiate_locale(preferred, list(LANGUAGES)) if preferred else None
    if found is None:  # "en-US" matches "en" only through its language part
        found = next((p.split("_")[0] for p in preferred if p.split("_")[0] in LANGUAGES), None)
    return found or DEFAULT_LANGUAGE


class Formats:
    """Dates, money and numbers as people of this language write them (29.11.2026, 1 800,00 zł)."""

    def __init__(self, language: str) -> None:
        self.locale = Locale.parse("pl_PL" if language == "pl" else "en_GB")

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return "—"
        return format_date(value, "dd.MM.yyyy" if self.locale.language == "pl" else "d MMM yyyy", locale=self.locale)

    def datetime(self, value: dt.datetime | None) -> str:
        if value is None:
            return "—"
        return format_datetime(
            value,
            "dd.MM.yyyy HH:mm" if self.locale.language == "pl" else "d MMM yyyy HH:mm",
            tzinfo=WARSAW,
            locale=self.locale,
        )

    def money(self, value: Decimal | int | str | None) -> str:
        if value is None:
            return "—"
        # Babel writes Polish thousands with a no-break space, which is what a printed amount needs
        return format_currency(Decimal(value), "PLN", locale=self.locale)

    def number(self, value: Decimal | int | float | None) -> str:
        if value is None:
            return "—"
        return format_decimal(value, locale=self.locale)
