"""HTTP request and response bodies of the recruitment API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from owes_common.contracts import AgeBand, Gender, LabourMarketStatus


class ParticipantRegistration(BaseModel):
    """A person registering for support, with consent to the processing of personal data."""

    model_config = ConfigDict(extra="forbid")

    pesel: str = Field(description="PESEL national id (11 digits, checksum and birth date validated).",
                       examples=["02070803628"], min_length=1, max_length=20)
    first_name: str = Field(min_length=1, max_length=100, examples=["Anna"])
    last_name: str = Field(min_length=1, max_length=100, examples=["Kowalska"])
    email: EmailStr | None = Field(default=None, examples=["anna@example.org"])
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{6,32}$", examples=["+48 600 100 200"])
    address: str | None = Field(default=None, max_length=300, examples=["ul. Wrzosowa 12A, Jastrzębie-Zdrój"])
    county: str = Field(min_length=1, max_length=64, pattern=r"^[\w .-]+$", examples=["rybnicki"])
    labour_market_status: LabourMarketStatus
    disability: bool = False
    at_risk_of_exclusion: bool = True
    consent: bool = Field(description="Consent to the processing of personal data; must be true.")
    recruited_on: dt.date | None = Field(default=None, description="Defaults to today.")


class ParticipantView(BaseModel):
    """A participant as the operating partner sees it (personal data included, this API is not public)."""

    participant_id: str
    status: str
    county: str
    gender: Gender
    age_band: AgeBand
    labour_market_status: LabourMarketStatus
    disability: bool
    at_risk_of_exclusion: bool
    recruited_on: dt.date
    first_name: str | None
    last_name: str | None
    erased: bool
