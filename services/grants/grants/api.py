"""Grants HTTP endpoints: thin, each parses, calls one use case and answers. Most are a route and the use case it
serves (owes_service.endpoints.serve: the use case's parameters are the endpoint's)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, status

from owes_service.deps import CalendarDep, SessionDep
from owes_service.endpoints import serve
from owes_service.problems import PROBLEMS

from . import schemas, service

CREATED = status.HTTP_201_CREATED

applications = APIRouter(prefix="/applications", tags=["grant applications"], responses=PROBLEMS)
cooperatives = APIRouter(prefix="/cooperatives", tags=["social cooperatives"], responses=PROBLEMS)
jobs = APIRouter(prefix="/jobs", tags=["jobs and bridge support"], responses=PROBLEMS)
de_minimis = APIRouter(prefix="/de-minimis", tags=["de minimis aid"], responses=PROBLEMS)
routers = [applications, cooperatives, jobs, de_minimis]


serve(
    applications.post("", status_code=CREATED, summary="Submit a grant application with its business plan"),
    service.submit_application,
)
serve(
    applications.get(
        "/{application_id}", summary="Read an application, its award and disbursements", name="read_application"
    ),
    service.get_application,
)
serve(
    applications.post("/{application_id}/evaluation", summary="Evaluate an application (score and outcome)"),
    service.evaluate_application,
)
serve(
    applications.post("/{application_id}/award", summary="Award a grant after a positive evaluation"),
    service.award_grant,
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


serve(
    applications.post("/{application_id}/disbursements", status_code=CREATED, summary="Disburse part of a grant"),
    service.disburse_grant,
)
serve(
    cooperatives.post(
        "",
        status_code=CREATED,
        summary="Record a social cooperative founded (KRS; 3+ participants or 2+ organisations)",
    ),
    service.found_cooperative,
)
serve(
    cooperatives.get(
        "/{cooperative_id}", summary="Read a cooperative, its founders, members and jobs", name="read_cooperative"
    ),
    service.get_cooperative,
)
serve(
    cooperatives.post("/{cooperative_id}/members", summary="Record a member who joined (at most 50 in all)"),
    service.admit_member,
)
serve(jobs.post("", status_code=CREATED, summary="Record a job created in a cooperative"), service.create_job)
serve(
    jobs.get("/{job_id}", summary="Read a job, its bridge support and sustainability", name="read_job"), service.get_job
)
serve(
    jobs.post("/{job_id}/bridge-support/extension", summary="Extend the bridge-support schedule (up to 12 months)"),
    service.extend_bridge_support,
)
serve(
    jobs.post(
        "/{job_id}/bridge-support/instalments", status_code=CREATED, summary="Record a bridge-support instalment"
    ),
    service.pay_bridge_support,
)
serve(
    jobs.post(
        "/{job_id}/maintenance", summary="Grant the 2021–2027 job maintenance unit rate (12 months, by working time)"
    ),
    service.fund_job_maintenance,
)
serve(
    jobs.post("/{job_id}/sustainability-check", summary="Check the job at the end of the sustainability period"),
    service.check_job_sustainability,
)
serve(jobs.post("/{job_id}/end", summary="Record that a job ended"), service.end_job)
