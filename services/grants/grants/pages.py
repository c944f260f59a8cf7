"""Grants pages for the partner's grant officers: social cooperatives with their founders and KRS, and the jobs
created in them. Thin: parse, call one use case (service.py, as the API does), render."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request, Response

from owes_service.pages import (
    N_,
    FormErrors,
    Posted,
    Staff,
    StaffPages,
    Step,
    Writer,
    call_use_case,
    county_options,
    form_body,
    place_name,
    problem_message,
    read_date,
    read_identifiers,
)
from owes_service.pages.web import VALIDATION_MESSAGES  # the shared wording of refused fields
from owes_service.problems import Problem
from owes_service.project_calendar import ProjectCalendar

from . import service
from .schemas import (
    ApplicationSubmission,
    Award,
    BridgeSupportExtension,
    BridgeSupportPayment,
    CooperativeFoundation,
    Disbursement,
    Evaluation,
    JobCreation,
    JobEnding,
    MaintenanceFunding,
    SustainabilityCheck,
)

pages = StaffPages("grants", N_("Grants"), Path(__file__).parent)

COOPERATIVE_LABELS = {
    "cooperative_name": N_("Name of the cooperative"),
    "krs": N_("KRS number"),
    "county": N_("County"),
    "founder_ids": N_("Founders"),
    "founding_organisation_ids": N_("Founding organisations"),
    "application_id": N_("Grant application that funds it"),
    "founded_on": N_("Date of founding"),
}
JOB_LABELS = {
    "participant_id": N_("Participant who holds the job"),
    "working_time": N_("Working time"),
    "created_on": N_("Date the job was created"),
}
WORKING_TIMES = {
    "full_time": N_("full time"),
    "three_quarters": N_("three quarters of full time"),
    "half_time": N_("half time"),
}
JOB_STATUSES = {"active": N_("active"), "ended": N_("ended")}
FOUNDING = Step(
    service.found_cooperative,
    CooperativeFoundation,
    COOPERATIVE_LABELS,
    N_("Cooperative recorded. Next: create the jobs in it."),
    then=lambda cooperative: f"/panel/cooperatives/{cooperative.cooperative_id}",
)
JOB_CREATION = Step(
    service.create_job, JobCreation, JOB_LABELS, N_("Job created. Bridge support and the sustainability check follow.")
)


@pages.form_view("/cooperatives", "cooperatives.html", nav=N_("Social cooperatives"))
async def _cooperatives_page(request: Request, *, calendar: ProjectCalendar) -> dict[str, Any]:
    return {
        "cooperatives": await call_use_case(service.list_cooperatives, request),
        "place_name": place_name,
        "counties": county_options(calendar.project),
    }


@pages.router.post("/cooperatives")
async def found_cooperative(request: Request, staff: Writer, form: Posted) -> Response:
    body = form_body(form, COOPERATIVE_LABELS)
    body["founder_ids"] = read_identifiers(form.get("founder_ids"))
    body["founding_organisation_ids"] = read_identifiers(form.get("founding_organisation_ids"))
    return await pages.take_step(request, form, FOUNDING, partial(_cooperatives_page, request), body=body)


@pages.form_view("/cooperatives/{cooperative_id}", "cooperative.html")
async def _cooperative_page(request: Request, cooperative_id: str) -> dict[str, Any]:
    cooperative = await call_use_case(service.get_cooperative, request, cooperative_id=cooperative_id)
    return {
        "c": cooperative,
        "jobs": [await call_use_case(service.get_job, request, job_id=job_id) for job_id in cooperative.job_ids],
        "job_statuses": JOB_STATUSES,
        "place_name": place_name,
        "working_time_options": pages.options(request, WORKING_TIMES),
        "form": {"working_time": "full_time"},
    }


@pages.router.post("/cooperatives/{cooperative_id}/jobs")
async def create_job(request: Request, staff: Writer, cooperative_id: str, form: Posted) -> Response:
    body = {**form_body(form, JOB_LABELS), "cooperative_id": cooperative_id}
    page = partial(_cooperative_page, request, cooperative_id)
    return await pages.take_step(
        request, form, JOB_CREATION, page, body=body, then=f"/panel/cooperatives/{cooperative_id}"
    )


# --- grant applications: submission, evaluation, award, disbursement ----------------------------------------------

APPLICANT_KINDS = {"initiative_group": N_("initiative group"), "organisation": N_("organisation")}
APPLICATION_STATUSES = {
    "submitted": N_("submitted"),
    "rejected": N_("evaluated negatively"),
    "approved": N_("evaluated positively"),
    "awarded": N_("grant awarded"),
}
OUTCOMES = {"positive": N_("positive: the grant may be awarded"), "negative": N_("negative")}
APPLICATION_LABELS = {
    "applicant_kind": N_("Who applies"),
    "applicant_id": N_("Applicant's identifier"),
    "summary": N_("Business plan in brief"),
    "jobs_planned": N_("Jobs planned"),
    "amount_requested": N_("Amount requested (PLN)"),
    "submitted_on": N_("Date of submission"),
}
EVALUATION_LABELS = {
    "score": N_("Score"),
    "outcome": N_("Outcome of the evaluation"),
    "evaluated_on": N_("Date of evaluation"),
}
AWARD_LABELS = {
    "amount_per_job": N_("Amount per job (PLN)"),
    "eur_rate": N_("EUR exchange rate (PLN for one euro)"),
    "jobs": N_("Jobs funded"),
    "awarded_on": N_("Date of the award"),
}
DISBURSEMENT_LABELS = {"amount": N_("Amount (PLN)"), "disbursed_on": N_("Date of payment")}
SUBMISSION = Step(
    service.submit_application,
    ApplicationSubmission,
    APPLICATION_LABELS,
    N_("Application recorded. Next: its evaluation."),
    then=lambda submitted: f"/panel/applications/{submitted.application_id}",
    decimals=("amount_requested",),
)


@pages.form_view("/applications", "applications.html", nav=N_("Grant applications"))
async def _applications_page(request: Request) -> dict[str, Any]:
    return {
        "applications": await call_use_case(service.list_applications, request),
        "applicant_kinds": APPLICANT_KINDS,
        "applicant_kind_options": pages.options(request, APPLICANT_KINDS),
        "application_statuses": APPLICATION_STATUSES,
    }


@pages.router.post("/applications")
async def submit_application(request: Request, staff: Writer, form: Posted) -> Response:
    return await pages.take_step(request, form, SUBMISSION, partial(_applications_page, request))


@pages.form_view("/applications/{application_id}", "application.html")
async def _application_page(request: Request, application_id: str) -> dict[str, Any]:
    return {
        "a": await call_use_case(service.get_application, request, application_id=application_id),
        "applicant_kinds": APPLICANT_KINDS,
        "application_statuses": APPLICATION_STATUSES,
        "outcome_options": pages.options(request, OUTCOMES),
    }


# --- a job: the monthly bridge support, its extension, the sustainability check, its end ------------------------

INSTALMENT_LABELS = {
    "instalment": N_("Month of the schedule"),
    "amount": N_("Amount (PLN)"),
    "paid_on": N_("Date of payment"),
}
EXTENSION_LABELS = {"months": N_("New length of the schedule in months")}
CHECK_LABELS = {"checked_on": N_("Date of the check")}
MAINTENANCE_LABELS = {"funded_on": N_("Date of funding")}
ENDING_LABELS = {
    "reason_code": N_("Why the job ended"),
    "note": N_("Note"),
    "ended_on": N_("Date the job ended"),
}
END_REASONS = {
    "cooperative_dissolved": N_("the cooperative was dissolved"),
    "employee_resigned": N_("the employee resigned"),
    "dismissed": N_("the employee was dismissed"),
    "contract_ended": N_("the contract ended"),
    "other": N_("another reason (say which in the note)"),
}


@pages.form_view("/jobs/{job_id}", "job.html")
async def _job_page(request: Request, job_id: str) -> dict[str, Any]:
    return {
        "j": await call_use_case(service.get_job, request, job_id=job_id),
        "job_statuses": JOB_STATUSES,
        "working_times": WORKING_TIMES,
        "end_reasons": END_REASONS,
        "end_reason_options": pages.options(request, END_REASONS),
    }


# --- the steps of an application's and a job's life: each a form on its page, posted below it --------------------


pages.steps(
    "/applications/{application_id}",
    _application_page,
    {
        "evaluation": Step(service.evaluate_application, Evaluation, EVALUATION_LABELS, N_("Evaluation recorded.")),
        "award": Step(
            service.award_grant,
            Award,
            AWARD_LABELS,
            N_("Grant awarded. Next: disburse it."),
            decimals=("amount_per_job", "eur_rate"),
        ),
        "disbursements": Step(
            service.disburse_grant,
            Disbursement,
            DISBURSEMENT_LABELS,
            N_("Disbursement recorded."),
            decimals=("amount",),
        ),
    },
)
pages.steps(
    "/jobs/{job_id}",
    _job_page,
    {
        "instalments": Step(
            service.pay_bridge_support,
            BridgeSupportPayment,
            INSTALMENT_LABELS,
            N_("Instalment of bridge support recorded."),
            decimals=("amount",),
        ),
        "extension": Step(
            service.extend_bridge_support, BridgeSupportExtension, EXTENSION_LABELS, N_("Bridge support extended.")
        ),
        "sustainability": Step(
            service.check_job_sustainability,
            SustainabilityCheck,
            CHECK_LABELS,
            N_("The job lasted 12 months: recorded."),
        ),
        "end": Step(
            service.end_job,
            JobEnding,
            ENDING_LABELS,
            N_("The end of the job recorded."),
            choices={"reason_code": END_REASONS},
        ),
        "maintenance": Step(
            service.fund_job_maintenance, MaintenanceFunding, MAINTENANCE_LABELS, N_("Maintenance unit rate granted.")
        ),
    },
)


# --- de minimis: what an undertaking may still receive ----------------------------------------------------------

BENEFICIARY_KINDS = {"organisation": N_("organisation"), "initiative_group": N_("initiative group")}


@pages.nav_page("/de-minimis", N_("De minimis"))
async def de_minimis(request: Request, staff: Staff, kind: str = "", id: str = "", on: str = "") -> Response:
    """One undertaking's de minimis headroom on a day, asked with a plain GET form (the API's use case)."""
    _ = pages.gettext(request)
    form = {"kind": kind, "id": id.strip(), "on": on.strip()}
    errors = FormErrors()
    headroom = None
    if kind or id or on:
        if kind not in BENEFICIARY_KINDS:
            errors.add("kind", _(VALIDATION_MESSAGES["enum"]) % {"label": _("Who applies")})
        if not form["id"]:
            errors.add("id", _(VALIDATION_MESSAGES["missing"]) % {"label": _("Applicant's identifier")})
        when = None
        if form["on"]:
            try:
                when = dt.date.fromisoformat(read_date(form["on"]))
            except ValueError:
                errors.add("on", _(VALIDATION_MESSAGES["date_parsing"]) % {"label": _("On the day")})
        if not errors:
            try:
                headroom = await call_use_case(
                    service.de_minimis_headroom, request, beneficiary_kind=kind, beneficiary_id=form["id"], on=when
                )
            except Problem as exc:
                unknown = _("Grants has not heard of this applicant from recruitment")
                errors.add("id", unknown if exc.status == 404 else problem_message(exc, _))
    ctx = {
        "form": form,
        "headroom": headroom,
        "kind_options": pages.options(request, BENEFICIARY_KINDS),
        "errors": errors,
        "error_order": ("kind", "id", "on"),
    }
    return pages.render(request, "de_minimis.html", ctx, status=422 if errors else 200)
