"""Recruitment use cases: each one transaction, the state change and its event together."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from owes_common.contracts import ParticipantRecruited
from owes_common.outbox import OutboxWriter
from owes_common.problems import Conflict, InvalidInput, NotFound

from . import domain, repository
from .schemas import ParticipantRegistration


async def recruit_participant(*, session: AsyncSession, outbox: OutboxWriter, form: ParticipantRegistration) -> str:
    """Register a person; publish ParticipantRecruited with coarse attributes only."""
    if not form.consent:
        raise InvalidInput("Consent to the processing of personal data is required.", field="consent")
    try:
        birth = domain.pesel_birth_date(form.pesel)
    except domain.InvalidPesel as exc:
        raise InvalidInput(f"Invalid PESEL: {exc}.", field="pesel") from None
    today = dt.date.today()
    recruited_on = form.recruited_on or today
    if birth > recruited_on:
        raise InvalidInput("Invalid PESEL: the birth date is after the recruitment date.", field="pesel")
    age = domain.age_on(birth, recruited_on)
    if age < 18:
        raise InvalidInput("Participants must be adults (18 or older).", field="pesel")
    participant_id = domain.new_participant_id()
    band = domain.age_band(age)
    gender = domain.pesel_gender(form.pesel)
    async with session.begin():
        if await repository.pesel_taken(session, pesel=form.pesel):
            raise Conflict("A participant with this PESEL is already registered.", field="pesel")
        await repository.add_participant(
            session, participant_id=participant_id, pesel=form.pesel, first_name=form.first_name,
            last_name=form.last_name, email=form.email, phone=form.phone, address=form.address,
            county=form.county, gender=gender.value, age_band=band.value,
            labour_market_status=form.labour_market_status.value, disability=form.disability,
            at_risk_of_exclusion=form.at_risk_of_exclusion, consent_given_at=dt.datetime.now(dt.UTC),
            status="recruited", recruited_on=recruited_on,
        )
        await outbox.add(session, ParticipantRecruited(
            participant_id=participant_id, recruited_on=recruited_on, gender=gender, age_band=band,
            county=form.county, labour_market_status=form.labour_market_status, disability=form.disability,
            at_risk_of_exclusion=form.at_risk_of_exclusion,
        ))
    return participant_id


async def get_participant(*, session: AsyncSession, participant_id: str):
    row = await repository.get_participant(session, participant_id=participant_id)
    if row is None:
        raise NotFound(f"No participant {participant_id}.")
    return row
