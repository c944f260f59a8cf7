"""Grants HTTP endpoints: thin, each parses, calls one use case and answers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, status

from owes_service.deps import CalendarDep, OutboxDep, SessionDep
from owes_service.problems import PROBLEMS

from . import schemas, service

CREATED = status.HTTP_201_CREATED

applications = APIRouter(prefix="/applications", tags=["grant applications"], responses=PROBLEMS)
cooperatives = APIRouter(prefix="/cooperatives", tags=["social cooperatives"], responses=PROBLEMS)
jobs = APIRouter(prefix="/jobs", tags=["jobs and bridge support"], responses=PROBLEMS)
de_minimis = APIRouter(prefix="/de-minimis", tags=["de minimis aid"], responses=PROBLEMS)
routers = [applications, cooperatives, jobs, de_minimis]


@applications.post("", status_code=CREATED, summary="Submit a grant application with its business plan")
async def submit_application(
    form: schemas.ApplicationSubmission, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.ApplicationView:
    return await service.submit_application(session=session, calendar=calendar, outbox=outbox, form=form)


@applications.get("/{application_id}", summary="Read an application, its award and disbursements")
async def read_application(application_id: str, session: SessionDep) -> schemas.ApplicationView:
    return await service.get_application(session=session, application_id=application_id)


@applications.post("/{application_id}/evaluation", summary="Evaluate an application (score and outcome)")
async def evaluate_application(
    application_id: str, form: schemas.Evaluation, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.ApplicationView:
    return await service.evaluate_application(
        session=session, calendar=calendar, outbox=outbox, application_id=application_id, form=form
    )


@applications.post("/{application_id}/award", summary="Award a grant after a positive evaluation")
async def award_grant(
    application_id: str, form: schemas.Award, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.ApplicationView:
    return await service.award_grant(
        session=session, calendar=calendar, outbox=outbox, application_id=application_id, form=form
    )


@de_minimis.get(
    "/{beneficiary_kind}/{beneficiary_id}",
    summary="An undertaking's de minimis headroom on a day (ceiling, window, aid granted, what remains)",
)
async def read_de_minimis_headroom(
    beneficiary_kind: Literal["initiative_group", "organisation"],
    beneficiary_id: str,
    session: SessionDep,
    calendar: CalendarDep,
    on: dt.date | None = None,
) -> schemas.DeMinimisView:
    return await service.de_minimis_headroom(
        session=session, calendar=calendar, beneficiary_kind=beneficiary_kind, beneficiary_id=beneficiary_id, on=on
    )


@applications.post("/{application_id}/disbursements", status_code=CREATED, summary="Disburse part of a grant")
async def disburse_grant(
    application_id: str, form: schemas.Disbursement, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.DisbursementView:
    return await service.disburse_grant(
        session=session, calendar=calendar, outbox=outbox, application_id=application_id, form=form
    )


@cooperatives.post(
    "", status_code=CREATED, summary="Record a social cooperative founded (KRS; 3+ participants or 2+ organisations)"
)
async def found_cooperative(
    form: schemas.CooperativeFoundation, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.CooperativeView:
    return await service.found_cooperative(session=session, calendar=calendar, outbox=outbox, form=form)


@cooperatives.get("/{cooperative_id}", summary="Read a cooperative, its founders, members and jobs")
async def read_cooperative(cooperative_id: str, session: SessionDep, calendar: CalendarDep) -> schemas.CooperativeView:
    return await service.get_cooperative(session=session, calendar=calendar, cooperative_id=cooperative_id)


@cooperatives.post("/{cooperative_id}/members", summary="Record a member who joined (at most 50 in all)")
async def admit_member(
    cooperative_id: str, form: schemas.MemberAdmission, session: SessionDep, calendar: CalendarDep
) -> schemas.CooperativeView:
    return await service.admit_member(session=session, calendar=calendar, cooperative_id=cooperative_id, form=form)


@jobs.post("", status_code=CREATED, summary="Record a job created in a cooperative")
async def create_job(
    form: schemas.JobCreation, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.JobView:
    return await service.create_job(session=session, calendar=calendar, outbox=outbox, form=form)


@jobs.get("/{job_id}", summary="Read a job, its bridge support and sustainability")
async def read_job(job_id: str, session: SessionDep, calendar: CalendarDep) -> schemas.JobView:
    return await service.get_job(session=session, calendar=calendar, job_id=job_id)


@jobs.post("/{job_id}/bridge-support/extension", summary="Extend the bridge-support schedule (up to 12 months)")
async def extend_bridge_support(
    job_id: str, form: schemas.BridgeSupportExtension, session: SessionDep, calendar: CalendarDep
) -> schemas.JobView:
    return await service.extend_bridge_support(session=session, calendar=calendar, job_id=job_id, form=form)


@jobs.post("/{job_id}/bridge-support/instalments", status_code=CREATED, summary="Record a bridge-support instalment")
async def pay_bridge_support(
    job_id: str, form: schemas.BridgeSupportPayment, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.BridgePaymentView:
    return await service.pay_bridge_support(session=session, calendar=calendar, outbox=outbox, job_id=job_id, form=form)


@jobs.post(
    "/{job_id}/maintenance", summary="Grant the 2021–2027 job maintenance unit rate (12 months, by working time)"
)
async def fund_job_maintenance(
    job_id: str, form: schemas.MaintenanceFunding, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.JobView:
    return await service.fund_job_maintenance(
        session=session, calendar=calendar, outbox=outbox, job_id=job_id, form=form
    )


@jobs.post("/{job_id}/sustainability-check", summary="Check the job at the end of the sustainability period")
async def check_job_sustainability(
    job_id: str, form: schemas.SustainabilityCheck, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.JobView:
    return await service.check_job_sustainability(
        session=session, calendar=calendar, outbox=outbox, job_id=job_id, form=form
    )


@jobs.post("/{job_id}/end", summary="Record that a job ended")
async def end_job(
    job_id: str, form: schemas.JobEnding, session: SessionDep, outbox: OutboxDep, calendar: CalendarDep
) -> schemas.JobView:
    return await service.end_job(session=session, calendar=calendar, outbox=outbox, job_id=job_id, form=form)
