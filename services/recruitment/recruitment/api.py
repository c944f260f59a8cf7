"""Recruitment HTTP endpoints: thin, each parses, calls one use case and answers."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from owes_service.audit import audit_read
from owes_service.auth import require_operator
from owes_service.deps import CalendarDep, OutboxDep, SessionDep
from owes_service.problems import PROBLEMS

from . import data_sheet, retention, service
from .schemas import (
    EconomicActivityStart,
    EligibilityDecision,
    InitiativeGroupCreated,
    InitiativeGroupFormation,
    InitiativeGroupView,
    OrganisationCreated,
    OrganisationEnrolment,
    OrganisationView,
    ParticipantCreated,
    ParticipantRegistration,
    ParticipantStatusChanged,
    ParticipantView,
    Withdrawal,
)

router = APIRouter(prefix="/participants", tags=["participants"], responses=PROBLEMS)
organisations = APIRouter(prefix="/organisations", tags=["organisations"], responses=PROBLEMS)
initiative_groups = APIRouter(prefix="/initiative-groups", tags=["initiative groups"], responses=PROBLEMS)
routers = [router, organisations, initiative_groups]


@router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Register a participant", response_model=ParticipantCreated
)
async def register_participant(
    form: ParticipantRegistration, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> dict:
    """Validates the PESEL (checksum, birth date, adult) and publishes ParticipantRecruited with coarse
    attributes only (gender, age band, county, labour-market status, disability)."""
    participant_id = await service.recruit_participant(session=session, outbox=outbox, calendar=calendar, form=form)
    return {"participant_id": participant_id}


@router.get(
    "/data-sheet",
    summary="The participant data sheet for the central monitoring system (operating partner only, audited)",
    dependencies=[Depends(require_operator)],
)
async def participant_data_sheet(
    session: SessionDep, request: Request, format: Literal["xlsx", "csv"] = "xlsx"
) -> Response:
    """One row per participant with the participant form's fields, personal data included (CST2021 upload):
    only the partner operating recruitment may export it, and each export is a row of the audit log."""
    rows = await data_sheet.participant_rows(session)
    await audit_read(request, f"participant-data-sheet:{format}:{len(rows)}", session)
    body, media = (
        (data_sheet.as_csv(rows), "text/csv; charset=utf-8")
        if format == "csv"
        else (data_sheet.as_xlsx(rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="participants.{format}"'}
    )


@router.post("/{participant_id}/erasure-request", summary="Request erasure: restricted during the retention period")
async def request_erasure(
    participant_id: str, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep, response: Response
) -> dict:
    """Erased at once when the retention period is over (200, status erased); during it, processing is restricted
    and the answer says when erasure becomes possible (202, status restricted)."""
    answer = await retention.request_erasure(
        session=session, outbox=outbox, calendar=calendar, participant_id=participant_id
    )
    if answer["status"] == "restricted":
        response.status_code = status.HTTP_202_ACCEPTED
    return answer


@router.get("/{participant_id}", summary="Read a participant")
async def read_participant(participant_id: str, session: SessionDep, request: Request) -> ParticipantView:
    """Personal data included: each read is recorded in the audit log."""
    participant = await service.get_participant(session=session, participant_id=participant_id)
    await audit_read(request, participant_id, session)
    return participant


@router.post("/{participant_id}/eligibility", summary="Confirm or reject a participant's eligibility")
async def decide_eligibility(
    participant_id: str, decision: EligibilityDecision, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> ParticipantStatusChanged:
    """Decided once, for a recruited participant. Publishes ParticipantEligibilityConfirmed or
    ParticipantEligibilityRejected (with the reason). 409 when already decided, withdrawn or erased."""
    decided = await service.decide_eligibility(
        session=session, outbox=outbox, calendar=calendar, participant_id=participant_id, decision=decision
    )
    return ParticipantStatusChanged(participant_id=participant_id, status=decided)


@router.post("/{participant_id}/withdrawal", summary="Withdraw a participant from the project")
async def withdraw_participant(
    participant_id: str, withdrawal: Withdrawal, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> ParticipantStatusChanged:
    """Publishes ParticipantWithdrawn. 409 when already withdrawn or found not eligible."""
    withdrawn = await service.withdraw_participant(
        session=session, outbox=outbox, calendar=calendar, participant_id=participant_id, withdrawal=withdrawal
    )
    return ParticipantStatusChanged(participant_id=participant_id, status=withdrawn)


@router.delete(
    "/{participant_id}/personal-data",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a participant's personal data (GDPR), or restrict it during the retention period",
    responses={202: {"description": "Retention period: processing restricted, erasure from the date given"}},
)
async def erase_personal_data(
    participant_id: str, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> Response:
    """After the retention period: nulls PESEL, names, contact data, address and notes; keeps the pseudonymous id
    and the coarse attributes the indicators need; publishes ParticipantDataErased once (204; again: a no-op).
    During it, the same as POST erasure-request: processing restricted, 202 with when erasure becomes possible."""
    answer = await retention.request_erasure(
        session=session, outbox=outbox, calendar=calendar, participant_id=participant_id
    )
    if answer["status"] == "restricted":
        return JSONResponse(jsonable_encoder(answer), status_code=status.HTTP_202_ACCEPTED)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@organisations.post(
    "", status_code=status.HTTP_201_CREATED, summary="Enrol an organisation", response_model=OrganisationCreated
)
async def enrol_organisation(
    form: OrganisationEnrolment, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> dict:
    """Validates NIP, REGON (9 or 14 digits) and KRS (normalised to 10 digits); publishes OrganisationEnrolled.
    409 when an organisation with the same NIP is already enrolled."""
    organisation_id = await service.enrol_organisation(session=session, outbox=outbox, calendar=calendar, form=form)
    return {"organisation_id": organisation_id}


@organisations.get("/{organisation_id}", summary="Read an organisation")
async def read_organisation(organisation_id: str, session: SessionDep) -> OrganisationView:
    return await service.get_organisation(session=session, organisation_id=organisation_id)


@organisations.post("/{organisation_id}/economic-activity", summary="Record the start of economic activity")
async def start_economic_activity(
    organisation_id: str, start: EconomicActivityStart, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> OrganisationView:
    """For an NGO (association, foundation, church legal person) that did not run paid public-benefit or
    economic activity yet. Publishes OrganisationEconomicActivityStarted."""
    return await service.start_economic_activity(
        session=session, outbox=outbox, calendar=calendar, organisation_id=organisation_id, start=start
    )


@initiative_groups.post(
    "", status_code=status.HTTP_201_CREATED, summary="Form an initiative group", response_model=InitiativeGroupCreated
)
async def form_initiative_group(
    form: InitiativeGroupFormation, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> dict:
    """Every member must be a known, eligible participant who has not withdrawn (422 lists the others).
    Publishes InitiativeGroupFormed with the members' pseudonymous ids."""
    group_id = await service.form_initiative_group(session=session, outbox=outbox, calendar=calendar, form=form)
    return {"group_id": group_id}


@initiative_groups.get("/{group_id}", summary="Read an initiative group")
async def read_initiative_group(group_id: str, session: SessionDep) -> InitiativeGroupView:
    return await service.get_initiative_group(session=session, group_id=group_id)
