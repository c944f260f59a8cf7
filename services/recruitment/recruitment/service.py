"""Recruitment use cases: each one transaction, the state change and its event together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any, cast

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from owes_contracts import Event
from owes_messaging.db import truncate_sqlite_wal
from owes_messaging.outbox import OutboxWriter
from owes_service.problems import Conflict, InvalidInput, found
from owes_service.project import county_key
from owes_service.project_calendar import ProjectCalendar
from owes_service.wording import Refusal, because, refusal

from . import domain, repository
from .domain import ParticipantStatus
from .schemas import (
    EconomicActivityStart,
    EligibilityDecision,
    InitiativeGroupFormation,
    InitiativeGroupSummary,
    InitiativeGroupView,
    OrganisationEnrolment,
    OrganisationView,
    ParticipantRecord,
    ParticipantRegistration,
    Withdrawal,
)

log = structlog.get_logger("owes.recruitment")


async def recruit_participant(
    *, session: AsyncSession, outbox: OutboxWriter, calendar: ProjectCalendar, form: ParticipantRegistration
) -> str:
    """Register a person; publish ParticipantRecruited with coarse attributes only."""
    if not form.consent:
        raise InvalidInput("Consent to the processing of personal data is required.", field="consent")
    try:
        birth = domain.pesel_birth_date(form.pesel)
    except domain.InvalidPesel as exc:
        raise InvalidInput(refusal("Invalid PESEL: %(reason)s.", reason=because(exc)), field="pesel") from None
    recruited_on = calendar.fact_date(form.recruited_on, field="recruited_on")
    county, teryt, outside = _residence(calendar, form.county, outside=form.outside_subregion)
    answers: dict[str, Any] = {
        "education": form.education,
        "third_country_national": form.third_country_national,
        "foreign_background": form.foreign_background,
        "minority": form.minority,
        "homeless": form.homeless,
        "rural": form.rural,
    }
    try:
        at_risk = domain.at_risk_of_exclusion(form.at_risk_of_exclusion, form.at_risk_categories)
    except domain.AtRiskCategoriesDisagree as exc:
        raise InvalidInput(str(exc), field="at_risk_categories") from None
    try:
        _, recruited = domain.Participant.recruit(
            domain.new_participant_id(),
            on=recruited_on,
            birth=birth,
            gender=domain.pesel_gender(form.pesel),
            county=county,
            county_teryt=teryt,
            outside_subregion=outside,
            labour_market_status=form.labour_market_status,
            unemployed_months=form.unemployed_months,
            disability=form.disability,
            at_risk_of_exclusion=at_risk,
            esf_answers=answers,
        )
    except domain.NotRecruitable as exc:
        raise InvalidInput(str(exc), field="pesel") from None
    participant_id = recruited.participant_id
    async with session.begin():
        added = await repository.add_participant(
            session,
            participant_id=participant_id,
            pesel=form.pesel,
            first_name=form.first_name,
            last_name=form.last_name,
            email=form.email,
            phone=form.phone,
            address=form.address,
            county=county,
            outside_subregion=outside,
            gender=recruited.gender.value,
            age_band=recruited.age_band.value,
            labour_market_status=recruited.labour_market_status.value,
            disability=form.disability,
            at_risk_of_exclusion=at_risk,
            at_risk_categories=[c.value for c in form.at_risk_categories],
            unemployed_months=form.unemployed_months,
            esf_age_group=recruited.esf_age_group,
            **answers,
            consent_given_at=calendar.now(),
            status="recruited",
            recruited_on=recruited_on,
        )
        if not added:
            raise Conflict("A participant with this PESEL is already registered.", field="pesel")
        await outbox.add(session, recruited)
    return participant_id


async def get_participant(*, session: AsyncSession, participant_id: str) -> ParticipantRecord:
    return found(
        await repository.get_participant(session, participant_id=participant_id), f"No participant {participant_id}."
    )


async def _participant_for_update(
    session: AsyncSession, participant_id: str, *, processing: bool = True
) -> domain.Participant:
    """The participant, locked; for processing (a decision about them) only while it is not restricted."""
    record = found(
        await repository.get_participant(session, participant_id=participant_id, for_update=True),
        f"No participant {participant_id}.",
    )
    if processing and record.restricted_on is not None and not record.erased:
        raise Conflict(
            refusal(
                "Processing of participant %(participant_id)s is restricted since %(restricted_on)s: their "
                "erasure was requested during the retention period.",
                participant_id=participant_id,
                restricted_on=record.restricted_on,
            )
        )
    return domain.Participant(
        record.participant_id, ParticipantStatus(record.status), record.recruited_on, record.erased
    )


def _residence(calendar: ProjectCalendar, written: str, *, outside: bool) -> tuple[str, str | None, bool]:
    """(county code, TERYT, outside the subregion) of where a participant lives: a county of the project's
    subregion however it is written, or, said to be outside it, the county as written (folded the same way)."""
    project = calendar.project
    county = project.county(written) if project is not None else None
    if county is not None:
        return county.code, county.teryt, False
    if outside or project is None:
        return county_key(written).replace(" ", "-"), None, project is not None
    listed = ", ".join(c.name for c in project.counties)
    raise InvalidInput(
        refusal(
            "County %(written)s is not in the project's subregion (%(listed)s); if the person lives "
            "outside it, say so with outside_subregion.",
            written=repr(written),
            listed=listed,
        ),
        field="county",
    )


def _subregion_county(calendar: ProjectCalendar, written: str, *, who: str) -> str:
    """The code of a county of the project's subregion, where an organisation or a group must be."""
    project = calendar.project
    county = project.county(written) if project is not None else None
    if county is not None:
        return county.code
    if project is None:
        return county_key(written).replace(" ", "-")
    listed = ", ".join(c.name for c in project.counties)
    raise InvalidInput(
        refusal(
            "County %(written)s is not in the project's subregion (%(listed)s): %(who)s the project "
            "supports are based there.",
            written=repr(written),
            listed=listed,
            who=who,
        ),
        field="county",
    )


def _not_before(day: dt.date, earliest: dt.date, *, field: str, what: str) -> None:
    if day < earliest:
        raise InvalidInput(
            refusal(
                "The %(field)s (%(day)s) is before the %(what)s (%(earliest)s).",
                field=field.replace("_", " "),
                day=day,
                what=what,
                earliest=earliest,
            ),
            field=field,
        )


async def _decide_on_participant(
    session: AsyncSession,
    outbox: OutboxWriter,
    participant_id: str,
    *,
    decide: Callable[[domain.Participant], Event],
    refused: Callable[[str], Refusal],
    on: dt.date,
    field: str,
    **changed: Any,
) -> ParticipantStatus:
    """One transaction for a decision about a participant: taken on them locked (a status that does not allow it
    is a 409 in the words of `refused`), its day not before their recruitment, what it changed stored and its
    event published; their status now."""
    async with session.begin():
        participant = await _participant_for_update(session, participant_id)
        try:
            decided = decide(participant)
        except domain.StateConflict as exc:
            raise Conflict(refused(because(exc))) from None
        _not_before(on, participant.recruited_on, field=field, what=refusal("recruitment date"))
        await repository.update_participant(
            session, participant_id=participant_id, status=participant.status.value, **changed
        )
        await outbox.add(session, decided)
    return participant.status


async def decide_eligibility(
    *,
    session: AsyncSession,
    outbox: OutboxWriter,
    calendar: ProjectCalendar,
    participant_id: str,
    decision: EligibilityDecision,
) -> ParticipantStatus:
    """Confirm or reject a recruited participant's eligibility; publish the decision."""
    decided_on = calendar.fact_date(decision.decided_on, field="decided_on")
    return await _decide_on_participant(
        session,
        outbox,
        participant_id,
        decide=partial(
            domain.Participant.decide_eligibility,
            eligible=decision.eligible,
            on=decided_on,
            reason_code=decision.reason_code,
        ),
        refused=lambda reason: refusal(
            "Cannot decide the eligibility of %(participant_id)s: %(reason)s.",
            participant_id=participant_id,
            reason=reason,
        ),
        on=decided_on,
        field="decided_on",
        eligibility_decided_on=decided_on,
        rejection_reason_code=decision.reason_code.value if decision.reason_code else None,
        rejection_reason=decision.note,
    )


async def withdraw_participant(
    *,
    session: AsyncSession,
    outbox: OutboxWriter,
    calendar: ProjectCalendar,
    participant_id: str,
    withdrawal: Withdrawal,
) -> ParticipantStatus:
    """Record that a participant left the project; publish ParticipantWithdrawn."""
    withdrawn_on = calendar.fact_date(withdrawal.withdrawn_on, field="withdrawn_on")
    code = withdrawal.reason_code
    assert code is not None  # noqa: S101  Withdrawal requires it
    return await _decide_on_participant(
        session,
        outbox,
        participant_id,
        decide=partial(domain.Participant.withdraw, on=withdrawn_on, reason_code=code),
        refused=lambda reason: refusal(
            "Cannot withdraw %(participant_id)s: %(reason)s.", participant_id=participant_id, reason=reason
        ),
        on=withdrawn_on,
        field="withdrawn_on",
        withdrawn_on=withdrawn_on,
        withdrawal_reason_code=code.value,
        withdrawal_reason=withdrawal.note,
    )


async def erase_personal_data(
    *, session: AsyncSession, outbox: OutboxWriter, calendar: ProjectCalendar, participant_id: str
) -> bool:
    """GDPR erasure: null the personal data, keep the pseudonymous id and coarse attributes; publish
    ParticipantDataErased. Erasing again changes nothing and publishes nothing; return whether it erased now."""
    async with session.begin():
        participant = await _participant_for_update(session, participant_id, processing=False)
        now = calendar.now()
        erased = participant.erase(on=calendar.local(now).date())
        erased_now = erased is not None
        if erased is not None:
            await repository.erase_personal_data(session, participant_id=participant_id, erased_at=now)
            await repository.scrub_outbox(session, participant_id=participant_id)
            await outbox.add(session, erased)
    # SQLite's WAL still holds the erased values until a checkpoint; a repeated erasure tries again
    if not await truncate_sqlite_wal(cast(AsyncEngine, session.bind)):
        log.warning("erasure_wal_not_truncated", participant_id=participant_id)
    return erased_now


def _identifier(normalise: Callable[[str], str], value: str, field: str) -> str:
    try:
        return normalise(value)
    except domain.InvalidIdentifier as exc:
        raise InvalidInput(
            refusal("Invalid %(identifier)s: %(reason)s.", identifier=field.upper(), reason=because(exc)), field=field
        ) from None


async def enrol_organisation(
    *, session: AsyncSession, outbox: OutboxWriter, calendar: ProjectCalendar, form: OrganisationEnrolment
) -> str:
    """Enrol a social-economy entity after validating its NIP, REGON and KRS; publish OrganisationEnrolled."""
    nip = _identifier(domain.normalise_nip, form.nip, "nip")
    regon = _identifier(domain.normalise_regon, form.regon, "regon")
    krs = _identifier(domain.normalise_krs, form.krs, "krs") if form.krs is not None else None
    enrolled_on = calendar.fact_date(form.enrolled_on, field="enrolled_on")
    county = _subregion_county(calendar, form.county, who=refusal("the organisations"))
    name = form.organisation_name.strip()
    _, enrolled = domain.Organisation.enrol(
        domain.new_organisation_id(),
        on=enrolled_on,
        organisation_type=form.organisation_type,
        legal_form=form.legal_form,
        name=name,
        county=county,
        is_social_enterprise=form.is_social_enterprise,
        runs_economic_activity=form.runs_economic_activity,
    )
    organisation_id = enrolled.organisation_id
    async with session.begin():
        if await repository.nip_taken(session, nip=nip):
            raise Conflict("An organisation with this NIP is already enrolled.", field="nip")
        if krs is not None and await repository.krs_taken(session, krs=krs):
            raise Conflict("An organisation with this KRS number is already enrolled.", field="krs")
        await repository.add_organisation(
            session,
            organisation_id=organisation_id,
            organisation_type=form.organisation_type.value,
            legal_form=form.legal_form.value,
            organisation_name=name,
            county=county,
            nip=nip,
            regon=regon,
            krs=krs,
            is_social_enterprise=form.is_social_enterprise,
            runs_economic_activity=form.runs_economic_activity,
            enrolled_on=enrolled_on,
        )
        await outbox.add(session, enrolled)
    return organisation_id


async def get_organisation(*, session: AsyncSession, organisation_id: str) -> OrganisationView:
    return found(
        await repository.get_organisation(session, organisation_id=organisation_id),
        f"No organisation {organisation_id}.",
    )


async def start_economic_activity(
    *,
    session: AsyncSession,
    outbox: OutboxWriter,
    calendar: ProjectCalendar,
    organisation_id: str,
    start: EconomicActivityStart,
) -> OrganisationView:
    """Record that an enrolled NGO started paid public-benefit or economic activity; publish the fact."""
    started_on = calendar.fact_date(start.started_on, field="started_on")
    async with session.begin():
        record = found(
            await repository.get_organisation(session, organisation_id=organisation_id, for_update=True),
            f"No organisation {organisation_id}.",
        )
        organisation = domain.Organisation(organisation_id, record.organisation_type, record.runs_economic_activity)
        try:
            started = organisation.start_economic_activity(activity=start.activity, on=started_on)
        except domain.NotAnNgo as exc:
            raise InvalidInput(refusal("Cannot start economic activity: %(reason)s.", reason=because(exc))) from None
        except domain.StateConflict as exc:
            raise Conflict(refusal("Cannot start economic activity: %(reason)s.", reason=because(exc))) from None
        _not_before(started_on, record.enrolled_on, field="started_on", what=refusal("enrolment date"))
        await repository.update_organisation(
            session,
            organisation_id=organisation_id,
            runs_economic_activity=organisation.runs_economic_activity,
            economic_activity=start.activity,
            economic_activity_started_on=started_on,
        )
        await outbox.add(session, started)
    return record.model_copy(
        update={
            "runs_economic_activity": True,
            "economic_activity": start.activity,
            "economic_activity_started_on": started_on,
        }
    )


async def form_initiative_group(
    *, session: AsyncSession, outbox: OutboxWriter, calendar: ProjectCalendar, form: InitiativeGroupFormation
) -> str:
    """Form a group of eligible participants; publish InitiativeGroupFormed with their pseudonymous ids."""
    formed_on = calendar.fact_date(form.formed_on, field="formed_on")
    county = _subregion_county(calendar, form.county, who=refusal("the initiative groups"))
    group_id = domain.new_group_id()
    async with session.begin():
        statuses = await repository.participant_statuses(session, participant_ids=form.member_ids)
        try:
            _, formed = domain.InitiativeGroup.form(
                group_id, on=formed_on, county=county, member_ids=form.member_ids, statuses=statuses
            )
        except domain.MembersCannotJoin as exc:
            raise InvalidInput(
                refusal("Only eligible participants can form an initiative group (%(reason)s).", reason=because(exc)),
                field="member_ids",
                refused=exc.refused,
            ) from None
        await repository.add_initiative_group(
            session,
            group_id=group_id,
            group_name=form.group_name,
            county=county,
            formed_on=formed_on,
            member_ids=form.member_ids,
        )
        await outbox.add(session, formed)
    return group_id


async def get_initiative_group(*, session: AsyncSession, group_id: str) -> InitiativeGroupView:
    return found(await repository.get_initiative_group(session, group_id=group_id), f"No initiative group {group_id}.")


async def search_participants(
    *, session: AsyncSession, text: str | None = None, status: str | None = None, county: str | None = None
) -> list[ParticipantRecord]:
    """Participants found by name or PESEL, status and county (the staff pages' list)."""
    return await repository.search_participants(session, text=text, status=status, county=county)


async def list_organisations(*, session: AsyncSession) -> list[OrganisationView]:
    """Enrolled organisations (the staff pages' list)."""
    return await repository.list_organisations(session)


async def list_initiative_groups(*, session: AsyncSession) -> list[InitiativeGroupSummary]:
    """Initiative groups with their number of members (the staff pages' list)."""
    return await repository.list_initiative_groups(session)
