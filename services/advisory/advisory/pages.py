"""Advisory pages for the partner's advisers: trainings with their attendance lists. Thin: parse, call one use case
(service.py, as the API does), render."""

from __future__ import annotations

from collections.abc import Callable
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
    form_body,
    place_name,
)
from owes_service.problems import Problem

from . import service
from .schemas import AdvisorySessionRecord, AttendanceRecord, CompletionRecord, MentoringRecord, TrainingCreation

pages = StaffPages("advisory", N_("Advisory"), Path(__file__).parent)

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


TRAINING = Step(
    service.create_training,
    TrainingCreation,
    TRAINING_LABELS,
    N_("Training created. Next: record who attended."),
    then=lambda training_id: f"/panel/trainings/{training_id}",
    decimals=("hours",),
)


@pages.form_view("/trainings", "trainings.html", nav=N_("Trainings"))
async def _trainings_page(request: Request) -> dict[str, Any]:
    found = await call_use_case(service.list_trainings, request)
    return {"trainings": found, "form": {"required_attendance_percent": "80"}}


@pages.router.post("/trainings")
async def create_training(request: Request, staff: Writer, form: Posted) -> Response:
    return await pages.take_step(request, form, TRAINING, partial(_trainings_page, request))


@pages.form_view("/trainings/{training_id}", "training.html")
async def _training_page(request: Request, training_id: str) -> dict[str, Any]:
    return {"t": await call_use_case(service.get_training, request, training_id=training_id)}


pages.steps(
    "/trainings/{training_id}",
    _training_page,
    {
        "attendance": Step(
            service.record_attendance,
            AttendanceRecord,
            ATTENDANCE_LABELS,
            N_("Attendance recorded."),
            decimals=("hours",),
        )
    },
)


@pages.router.post("/trainings/{training_id}/completion")
async def complete_training(request: Request, staff: Writer, training_id: str, form: Posted) -> Response:
    return await pages.submit(
        request,
        service.complete_training,
        schema=CompletionRecord,
        body=form_body(form, ("participant_id",)),
        labels=ATTENDANCE_LABELS,
        refused=lambda errors: _training_page(request, training_id, errors=errors, order=ATTENDANCE_LABELS),
        done=N_("Completion recorded."),
        then=f"/panel/trainings/{training_id}",
        training_id=training_id,
    )


# --- advisory sessions and mentoring, per participant and per organisation ----------------------------------------

ADVISORY_KINDS = {
    "general": N_("general advice"),
    "legal": N_("legal advice"),
    "marketing": N_("marketing advice"),
    "accounting": N_("accounting advice"),
    "business": N_("business advice"),
}
BENEFICIARY_LABELS = {
    "participant_id": N_("Participant's identifier"),
    "organisation_id": N_("Organisation's identifier"),
}
SESSION_LABELS = {
    "kind": N_("Field of advice"),
    "hours": N_("Length in hours"),
    "adviser_id": N_("Adviser's identifier"),
    **BENEFICIARY_LABELS,
    "held_on": N_("Day of the session"),
}
MENTORING_LABELS = {
    "mentor_id": N_("Mentor's identifier"),
    "hours": N_("Length in hours"),
    **BENEFICIARY_LABELS,
    "provided_on": N_("Day of the mentoring"),
}


def _filters(participant: str, organisation: str) -> dict[str, str | None]:
    return {"participant_id": participant.strip() or None, "organisation_id": organisation.strip() or None}


def _one_beneficiary(request: Request, body: dict) -> FormErrors | None:
    """Support goes to one participant or one organisation: said next to the fields, before the schema says it."""
    if ("participant_id" in body) == ("organisation_id" in body):
        errors = FormErrors()
        errors.add(
            "participant_id",
            pages.gettext(request)("Give the participant's or the organisation's identifier: one of the two"),
        )
        return errors
    return None


async def _support_page(
    request: Request,
    template: str,
    use_case: Callable[..., Any],
    *,
    filters: dict[str, str],
    form: dict | None = None,
    errors: FormErrors | None = None,
    order: tuple[str, ...] = (),
) -> Response:
    found = await call_use_case(use_case, request, **_filters(filters["participant"], filters["organisation"]))
    ctx = {
        "sessions": found,
        "records": found,
        "kinds": ADVISORY_KINDS,
        "kind_options": pages.options(request, ADVISORY_KINDS),
        "filters": filters,
        "form": form or {},
    }
    return pages.form_page(request, template, ctx, errors=errors, order=order)


@pages.nav_page("/sessions", N_("Advisory sessions"))
async def advisory_sessions(request: Request, staff: Staff, participant: str = "", organisation: str = "") -> Response:
    filters = {"participant": participant, "organisation": organisation}
    return await _support_page(request, "sessions.html", service.list_advisory_sessions, filters=filters)


SESSION = Step(
    service.hold_advisory_session,
    AdvisorySessionRecord,
    SESSION_LABELS,
    N_("Advisory session recorded."),
    decimals=("hours",),
)
MENTORING = Step(
    service.provide_mentoring, MentoringRecord, MENTORING_LABELS, N_("Mentoring recorded."), decimals=("hours",)
)


async def _record_support(
    request: Request, form: dict, step: Step, template: str, listed: Callable[..., Any]
) -> Response:
    """An advisory session or mentoring given to one participant or organisation: the form, its use case (as the
    API calls it), the list again (with the errors) or the beneficiary's page."""
    body = form_body(form, step.labels, decimals=step.decimals)
    page = partial(_support_page, request, template, listed, filters={"participant": "", "organisation": ""})
    errors = _one_beneficiary(request, body)
    if errors:
        return await page(form=form, errors=errors, order=tuple(step.labels))
    return await pages.take_step(request, form, step, page, body=body, then=_beneficiary_path(body))


@pages.router.post("/sessions")
async def record_advisory_session(request: Request, staff: Writer, form: Posted) -> Response:
    return await _record_support(request, form, SESSION, "sessions.html", service.list_advisory_sessions)


@pages.nav_page("/mentoring", N_("Mentoring"))
async def mentoring(request: Request, staff: Staff, participant: str = "", organisation: str = "") -> Response:
    filters = {"participant": participant, "organisation": organisation}
    return await _support_page(request, "mentoring.html", service.list_mentoring, filters=filters)


@pages.router.post("/mentoring")
async def record_mentoring(request: Request, staff: Writer, form: Posted) -> Response:
    return await _record_support(request, form, MENTORING, "mentoring.html", service.list_mentoring)


def _beneficiary_path(body: dict) -> str:
    if body.get("participant_id"):
        return f"/panel/participants/{body['participant_id']}"
    return f"/panel/organisations/{body['organisation_id']}"


def _field(view: Any, name: str) -> Any:
    """A field of what the use case returns, whether a mapping or a view model (the API's response shape)."""
    return view.get(name) if isinstance(view, dict) else getattr(view, name, None)


async def _beneficiary_page(request: Request, *, participant_id: str | None, organisation_id: str | None) -> Response:
    _ = pages.gettext(request)
    fmt = pages.context(request)["fmt"]
    known: list[tuple[str, str]] | None = None
    try:
        if participant_id:
            p = await call_use_case(service.get_known_participant, request, participant_id=participant_id)
            known = [
                (_("May receive support"), _("yes") if _field(p, "may_receive_support") else _("no")),
                (_("Eligibility decided on"), fmt.date(_field(p, "eligibility_decided_on"))),
            ]
        else:
            o = await call_use_case(service.get_known_organisation, request, organisation_id=organisation_id)
            known = [
                (_("Name"), _field(o, "organisation_name") or "—"),
                (_("County"), place_name(_field(o, "county"))),
                (_("Enrolled on"), fmt.date(_field(o, "enrolled_on"))),
            ]
    except Problem as exc:
        if exc.status != 404:
            raise
    filters = _filters(participant_id or "", organisation_id or "")
    ctx = {
        "caption": _("Participant") if participant_id else _("Organisation"),
        "heading": participant_id or organisation_id,
        "known": known,
        "sessions": await call_use_case(service.list_advisory_sessions, request, **filters),
        "records": await call_use_case(service.list_mentoring, request, **filters),
        "kinds": ADVISORY_KINDS,
    }
    return pages.render(request, "beneficiary.html", ctx)


@pages.router.get("/participants/{participant_id}")
async def participant_support(request: Request, staff: Staff, participant_id: str) -> Response:
    return await _beneficiary_page(request, participant_id=participant_id, organisation_id=None)


@pages.router.get("/organisations/{organisation_id}")
async def organisation_support(request: Request, staff: Staff, organisation_id: str) -> Response:
    return await _beneficiary_page(request, participant_id=None, organisation_id=organisation_id)
