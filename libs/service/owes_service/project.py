"""The project definition: what one OWES project is, shared by every partner's service.

A partnership runs one project under one programme (2014–2020 or 2021–2027), for a period, in a subregion (a
list of counties with their TERYT codes), with targets, unit rates that apply from given dates, a
sustainability period, payment-claim periods and a time zone. Every service loads the same definition (a file
each operator installs, `<SERVICE>_PROJECT_FILE`; the package ships the default below) and stamps its
fingerprint on every event it publishes, so reporting (the lead) sees which partner runs a different copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
import unicodedata
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .time_zones import PROJECT_TIME_ZONE, DateOutOfRange, time_zone
from .wording import refusal

if TYPE_CHECKING:
    from collections.abc import Iterable

    from owes_contracts.envelope import CloudEvent

DEFAULT_PROJECT_FILE = Path(__file__).with_name("project.toml")


class Programme(StrEnum):
    ESF_2014_2020 = "2014-2020"
    ESF_PLUS_2021_2027 = "2021-2027"


# Nothing is recorded before the programme began; expenditure is eligible until the end of its n+3 years.
PROGRAMME_PERIODS: dict[Programme, tuple[dt.date, dt.date]] = {
    Programme.ESF_2014_2020: (dt.date(2014, 1, 1), dt.date(2023, 12, 31)),
    Programme.ESF_PLUS_2021_2027: (dt.date(2021, 1, 1), dt.date(2029, 12, 31)),
}
# The job kept after support ends: 12 months (2014–2020); 12 funded plus 6 (2021–2027, per DOMAIN.md).
DEFAULT_SUSTAINABILITY_MONTHS = {Programme.ESF_2014_2020: 12, Programme.ESF_PLUS_2021_2027: 18}

UnitRateKind = Literal[
    "job_creation", "job_maintenance_full_time", "job_maintenance_three_quarters", "job_maintenance_half_time"
]


def county_key(name: str) -> str:
    """One spelling per county: case, Polish letters and spacing do not matter ("Żory", "ZORY", " żory ")."""
    folded = unicodedata.normalize("NFKD", name.strip().casefold().replace("ł", "l"))
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


class County(BaseModel):
    """A county (powiat, or a city with county rights) of the subregion."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    teryt: str = Field(
        pattern=r"^[0-9]{4}$", description="TERYT code of the county: voivodeship and county", examples=["2412"]
    )
    name: str = Field(min_length=1, max_length=64, examples=["rybnicki"])

    @property
    def code(self) -> str:
        """The county as the events carry it: lower case ASCII, hyphens kept ("jastrzebie-zdroj", "zory")."""
        return county_key(self.name).replace(" ", "-")


class UnitRate(BaseModel):
    """An amount per job, from the day it applies (rates are indexed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: UnitRateKind
    amount: Decimal = Field(gt=0, decimal_places=2)
    applies_from: dt.date


class ProjectDefinition(BaseModel):
    """One project: its programme, period, subregion, rules and calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    programme: Programme
    starts_on: dt.date
    ends_on: dt.date
    time_zone: str = PROJECT_TIME_ZONE
    counties: tuple[County, ...] = Field(min_length=1)
    # Participants from outside the subregion may be at most this share of all (reported against it).
    outside_subregion_limit_percent: Decimal = Field(default=Decimal(20), ge=0, le=100)
    sustainability_months: int | None = Field(default=None, ge=1, le=60)
    reporting_period_months: Literal[1, 2, 3, 4, 6, 12] = 3
    targets: dict[str, Decimal] = Field(default_factory=dict)
    unit_rates: tuple[UnitRate, ...] = ()
    # Retention (art. 82 of Regulation (EU) 2021/1060): project documents, participants' data included, are kept
    # this many years from 31 December of the year of the final payment; unknown until that payment is made.
    final_payment_on: dt.date | None = None
    retention_years: int = Field(default=5, ge=1, le=20)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        time_zone(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ProjectDefinition:
        first, last = PROGRAMME_PERIODS[self.programme]
        if not first <= self.starts_on <= self.ends_on <= last:
            raise ValueError(
                f"the project period {self.starts_on}..{self.ends_on} must lie within the "
                f"{self.programme.value} programme ({first}..{last}) and end after it starts"
            )
        keys = [county_key(c.name) for c in self.counties]
        if len(set(keys)) != len(keys) or len({c.teryt for c in self.counties}) != len(self.counties):
            raise ValueError("each county of the subregion is listed once (by name and by TERYT code)")
        if self.programme is Programme.ESF_2014_2020 and self.unit_rates:
            kinds = {r.kind for r in self.unit_rates}
            if kinds - {"job_creation"}:
                raise ValueError("job maintenance unit rates belong to 2021–2027 projects (2014–2020: bridge support)")
        return self

    @property
    def sustainability(self) -> int:
        """Months a funded job must last."""
        return self.sustainability_months or DEFAULT_SUSTAINABILITY_MONTHS[self.programme]

    @property
    def bridge_support(self) -> bool:
        """Monthly bridge support exists only in 2014–2020 projects."""
        return self.programme is Programme.ESF_2014_2020

    @property
    def erasure_possible_from(self) -> dt.date | None:
        """The first day after the retention period (None while the final payment is not known)."""
        if self.final_payment_on is None:
            return None
        return dt.date(self.final_payment_on.year + self.retention_years + 1, 1, 1)

    @property
    def fingerprint(self) -> str:
        """A short digest of the definition: two services with the same one apply the same rules."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def county(self, name: str) -> County | None:
        """The subregion's county of that name (any case, with or without Polish letters) or TERYT code."""
        key = county_key(name)
        return next((c for c in self.counties if key in (county_key(c.name), c.code, c.teryt)), None)

    def unit_rate(self, kind: UnitRateKind, on: dt.date) -> Decimal | None:
        """The rate of that kind in force on a day: the one with the latest start not after it."""
        rates = sorted(
            (r for r in self.unit_rates if r.kind == kind and r.applies_from <= on), key=lambda r: r.applies_from
        )
        return rates[-1].amount if rates else None

    def check_fact_date(self, day: dt.date, *, today: dt.date, what: str) -> dt.date:
        """A date a fact is recorded for: within the programme and the project period, and not after today."""
        first, _last = PROGRAMME_PERIODS[self.programme]
        if day < first:
            raise DateOutOfRange(
                refusal(
                    "%(what)s (%(day)s) is before the %(value)s programme began (%(first)s)",
                    what=what,
                    day=day,
                    value=self.programme.value,
                    first=first,
                )
            )
        if day > today:
            raise DateOutOfRange(
                refusal("%(what)s (%(day)s) is in the future (today is %(today)s)", what=what, day=day, today=today)
            )
        if not self.starts_on <= day <= self.ends_on:
            raise DateOutOfRange(
                refusal(
                    "%(what)s (%(day)s) is outside the project period (%(starts_on)s to %(ends_on)s)",
                    what=what,
                    day=day,
                    starts_on=self.starts_on,
                    ends_on=self.ends_on,
                )
            )
        return day


def load_project(path: Path | None = None) -> ProjectDefinition:
    """The project definition in a TOML or JSON file (default: the one shipped with the package)."""
    path = path or DEFAULT_PROJECT_FILE
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    return ProjectDefinition.model_validate(data.get("project", data))


# The CloudEvents extension every published event carries: the fingerprint of its publisher's project definition.
EXT_PROJECT_FINGERPRINT = "projectfingerprint"


class ProjectCopies:
    """Which project definition each partner's service runs, as the fingerprints on their events say.

    A service that reads others' events (reporting, the lead's, reads everyone's) notes the fingerprint of each
    producer's latest event; one that differs from its own is a partner applying other rules.
    """

    def __init__(self, own: ProjectDefinition) -> None:
        self.own = own
        self.seen: dict[tuple[str, str], str] = {}  # (partner, producing service) -> fingerprint

    def observe(self, observed: Iterable[tuple[CloudEvent | None, object]]) -> None:
        """Note the fingerprints consumed events carry (a consumer's outcome observer); the latest one counts."""
        for event, _outcome in observed:
            fingerprint = event.extra.get(EXT_PROJECT_FINGERPRINT) if event is not None else None
            if event is not None and fingerprint:
                producer = event.type.split(".")[2] if event.type.count(".") >= 3 else event.source
                self.seen[(event.partner or event.source, producer)] = fingerprint

    def differing(self) -> dict[str, str]:
        """'<producer> (<partner>)' -> fingerprint, for every partner whose latest event names another definition."""
        own = self.own.fingerprint
        return {f"{producer} ({partner})": fp for (partner, producer), fp in sorted(self.seen.items()) if fp != own}

    def summary(self) -> dict:
        """What /readyz says of the project definition."""
        return {
            "name": self.own.name,
            "programme": self.own.programme.value,
            "fingerprint": self.own.fingerprint,
            "differs_at": self.differing(),
        }
