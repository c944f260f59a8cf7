"""Advisory pages for the partner's advisers: trainings with their attendance lists. Thin: parse, call one use case
(service.py, as the API does), render."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request, Response

from owes_service.pages import N_, FormErrors, Posted, Staff, StaffPages, Writer, call_use_case, form_body

from . import service
from .schemas import AttendanceRecord, CompletionRecord, TrainingCreation

pages = StaffPages("advisory", N_("Advisory"), Path(__file__).parent, nav=[("/panel/trainings", N_("Trainings"))])
router = pages.router
mount = pages.mount  # what the composition root calls: pages.mount(app)

TRAINING_LABELS = {
    "title": N_("Title"),
    "hours": N_("Length in hours"),
    "required_attendance_percent": N_("Attendance required to complete (%)"),
    "starts_on": N_("Start date"),
}
ATTENDANCE_LABELS = {
    "participant_id": N_("Participant's identifier"),
    "hours": N_("Hours attended"),
    "attended_on": N_("Day of attendance"),
}


async def _trainings_page(request: Request, *, form: dict | None = None, errors: FormErrors | None = None) -> Response:
    found = await call_use_case(service.list_trainings, request)
    ctx = {"trainings": found, "form": form or {"required_attendance_percent": "80"}}
    if errors:
        ctx.update(errors=errors, error_order=tuple(TRAINING_LABELS))
    return pages.render(request, "trainings.html", ctx, status=422 if errors else 200)


@router.get("/trainings")
async def trainings(request: Request, staff: Staff) -> Response:
    return await _trainings_page(request)


@router.post("/trainings")
async def create_training(request: Request, staff: Writer, form: Posted) -> Response:
    body = form_body(form, TRAINING_LABELS, decimals=("hours",))
    training_id, errors = await pages.attempt(
        request, service.create_training, schema=TrainingCreation, body=body, labels=TRAINING_LABELS
    )
    if errors:
        return await _trainings_page(request, form=form, errors=errors)
    pages.flash(request, N_("Training created. Next: record who attended."))
    return pages.redirect(f"/panel/trainings/{training_id}")


async def _training_page(
    request: Request, training_id: str, *, form: dict | None = None, errors: FormErrors | None = None
) -> Response:
    training = await call_use_case(service.get_training, request, training_id=training_id)
    ctx = {"t": training, "form": form or {}}
    if errors:
        ctx.update(errors=errors, error_order=tuple(ATTENDANCE_LABELS))
    return pages.render(request, "training.html", ctx, status=422 if errors else 200)


@router.get("/trainings/{training_id}")
async def training(request: Request, staff: Staff, training_id: str) -> Response:
    return await _training_page(request, training_id)


@router.post("/trainings/{training_id}/attendance")
async def record_attendance(request: Request, staff: Writer, training_id: str, form: Posted) -> Response:
    body = form_body(form, ATTENDANCE_LABELS, decimals=("hours",))
    _, errors = await pages.attempt(
        request,
        service.record_attendance,
        schema=AttendanceRecord,
        body=body,
        labels=ATTENDANCE_LABELS,
        training_id=training_id,
    )
    if errors:
        return await _training_page(request, training_id, form=form, errors=errors)
    pages.flash(request, N_("Attendance recorded."))
    return pages.redirect(f"/panel/trainings/{training_id}")


@router.post("/trainings/{training_id}/completion")
async def complete_training(request: Request, staff: Writer, training_id: str, form: Posted) -> Response:
    _, errors = await pages.attempt(
        request,
        service.complete_training,
        schema=CompletionRecord,
        body=form_body(form, ("participant_id",)),
        labels=ATTENDANCE_LABELS,
        training_id=training_id,
    )
    if errors:
        return await _training_page(request, training_id, errors=errors)
    pages.flash(request, N_("Completion recorded."))
    return pages.redirect(f"/panel/trainings/{training_id}")
