"""Grants pages for the partner's grant officers: social cooperatives with their founders and KRS, and the jobs
created in them. Thin: parse, call one use case (service.py, as the API does), render."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request, Response

from owes_service.pages import (
    N_,
    FormErrors,
    Posted,
    Staff,
    StaffPages,
    Writer,
    call_use_case,
    county_options,
    form_body,
    place_name,
)

from . import service
from .schemas import CooperativeFoundation, JobCreation

pages = StaffPages(
    "grants", N_("Grants"), Path(__file__).parent, nav=[("/panel/cooperatives", N_("Social cooperatives"))]
)
router = pages.router
mount = pages.mount  # what the composition root calls: pages.mount(app)

COOPERATIVE_LABELS = {
    "cooperative_name": N_("Name of the cooperative"),
    "krs": N_("KRS number"),
    "county": N_("County"),
    "founder_ids": N_("Founders"),
    "application_id": N_("Grant application that funds it"),
    "founded_on": N_("Date of founding"),
}
JOB_LABELS = {"participant_id": N_("Participant who holds the job"), "created_on": N_("Date the job was created")}
JOB_STATUSES = {"active": N_("active"), "ended": N_("ended")}


def _founders(text: str) -> list[str]:
    """One identifier a line (commas and spaces also separate them), as staff paste them."""
    return [part for part in text.replace(",", " ").split() if part]


async def _cooperatives_page(
    request: Request, *, form: dict | None = None, errors: FormErrors | None = None
) -> Response:
    found = await call_use_case(service.list_cooperatives, request)
    ctx = {
        "cooperatives": found,
        "form": form or {},
        "place_name": place_name,
        "counties": county_options(getattr(request.app.state.runtime.calendar, "project", None)),
    }
    if errors:
        ctx.update(errors=errors, error_order=tuple(COOPERATIVE_LABELS))
    return pages.render(request, "cooperatives.html", ctx, status=422 if errors else 200)


@router.get("/cooperatives")
async def cooperatives(request: Request, staff: Staff) -> Response:
    return await _cooperatives_page(request)


@router.post("/cooperatives")
async def found_cooperative(request: Request, staff: Writer, form: Posted) -> Response:
    body = form_body(form, COOPERATIVE_LABELS)
    body["founder_ids"] = _founders(form.get("founder_ids") or "")
    cooperative, errors = await pages.attempt(
        request, service.found_cooperative, schema=CooperativeFoundation, body=body, labels=COOPERATIVE_LABELS
    )
    if errors:
        return await _cooperatives_page(request, form=form, errors=errors)
    pages.flash(request, N_("Cooperative recorded. Next: create the jobs in it."))
    return pages.redirect(f"/panel/cooperatives/{cooperative.cooperative_id}")


async def _cooperative_page(
    request: Request, cooperative_id: str, *, form: dict | None = None, errors: FormErrors | None = None
) -> Response:
    cooperative = await call_use_case(service.get_cooperative, request, cooperative_id=cooperative_id)
    jobs = [await call_use_case(service.get_job, request, job_id=job_id) for job_id in cooperative.job_ids]
    ctx = {"c": cooperative, "jobs": jobs, "job_statuses": JOB_STATUSES, "place_name": place_name, "form": form or {}}
    if errors:
        ctx.update(errors=errors, error_order=tuple(JOB_LABELS))
    return pages.render(request, "cooperative.html", ctx, status=422 if errors else 200)


@router.get("/cooperatives/{cooperative_id}")
async def cooperative(request: Request, staff: Staff, cooperative_id: str) -> Response:
    return await _cooperative_page(request, cooperative_id)


@router.post("/cooperatives/{cooperative_id}/jobs")
async def create_job(request: Request, staff: Writer, cooperative_id: str, form: Posted) -> Response:
    body = {**form_body(form, JOB_LABELS), "cooperative_id": cooperative_id}
    _, errors = await pages.attempt(request, service.create_job, schema=JobCreation, body=body, labels=JOB_LABELS)
    if errors:
        return await _cooperative_page(request, cooperative_id, form=form, errors=errors)
    pages.flash(request, N_("Job created. Bridge support and the sustainability check follow."))
    return pages.redirect(f"/panel/cooperatives/{cooperative_id}")
