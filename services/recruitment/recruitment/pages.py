"""Recruitment pages for the partner's recruiters: find, register, decide, withdraw, erase. Thin: parse, call one
use case (service.py, as the API does), render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request, Response
from pydantic import ValidationError

from owes_service.pages import (
    N_,
    FormErrors,
    Posted,
    Staff,
    StaffPages,
    Writer,
    call_use_case,
    county_options,
    place_name,
    problem_errors,
    validation_errors,
)
from owes_service.problems import Problem

from . import service
from .schemas import EligibilityDecision, ParticipantRegistration, Withdrawal

pages = StaffPages(
    "recruitment", N_("Recruitment"), Path(__file__).parent, nav=[("/panel/participants", N_("Participants"))]
)
router = pages.router
mount = pages.mount  # what the composition root calls: pages.mount(app)

STATUSES = {
    "recruited": N_("recruited"),
    "eligible": N_("eligible"),
    "rejected": N_("not eligible"),
    "withdrawn": N_("withdrawn"),
}
LABOUR_MARKET = {
    "unemployed": N_("unemployed"),
    "long_term_unemployed": N_("long-term unemployed"),
    "inactive": N_("economically inactive"),
    "employed": N_("employed (including self-employed)"),
}
REGISTRATION_LABELS = {
    "pesel": N_("PESEL number"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "email": N_("E-mail address"),
    "phone": N_("Telephone"),
    "address": N_("Address"),
    "county": N_("County"),
    "labour_market_status": N_("the situation on the labour market"),
    "disability": N_("Disability"),
    "at_risk_of_exclusion": N_("At risk of poverty or social exclusion"),
    "consent": N_("Consent to the processing of personal data"),
    "recruited_on": N_("Date of recruitment"),
}
REGISTRATION_ORDER = tuple(REGISTRATION_LABELS)
CHECKBOXES = ("disability", "at_risk_of_exclusion", "consent")


def _registration(form: dict[str, Any]) -> dict[str, Any]:
    """Form fields as the API's body: ticked boxes are true, empty optional fields are absent."""
    body: dict[str, Any] = {}
    for name in REGISTRATION_ORDER:
        if name in CHECKBOXES:
            body[name] = form.get(name) == "yes"
        elif isinstance(form.get(name), str) and form[name].strip():
            body[name] = form[name].strip()
    body["pesel"] = body.get("pesel", "").replace(" ", "")
    return body


def _context(request: Request) -> dict[str, Any]:
    return {
        "statuses": STATUSES,
        "labour_market": LABOUR_MARKET,
        "place_name": place_name,
        "counties": county_options(getattr(request.app.state.runtime.calendar, "project", None)),
    }


@router.get("/participants")
async def participants(request: Request, staff: Staff, q: str = "", status: str = "", county: str = "") -> Response:
    found = await call_use_case(
        service.search_participants, request, text=q or None, status=status or None, county=county or None
    )
    return pages.render(
        request,
        "participants.html",
        {**_context(request), "participants": found, "form": {"q": q, "status": status, "county": county}},
    )


@router.get("/participants/new")
async def new_participant(request: Request, staff: Writer) -> Response:
    return pages.render(request, "register.html", {**_context(request), "form": {"at_risk_of_exclusion": "yes"}})


@router.post("/participants/new")
async def register(request: Request, staff: Writer, form: Posted) -> Response:
    _ = pages.gettext(request)
    try:
        registration = ParticipantRegistration(**_registration(form))
        participant_id = await call_use_case(service.recruit_participant, request, form=registration)
    except ValidationError as exc:
        errors = validation_errors(exc, REGISTRATION_LABELS, _)
    except Problem as exc:
        errors = problem_errors(exc, _, fields=REGISTRATION_ORDER)
    else:
        pages.flash(request, _("Participant registered. Next: decide their eligibility."))
        return pages.redirect(f"/panel/participants/{participant_id}")
    return pages.render(
        request,
        "register.html",
        {**_context(request), "form": form, "errors": errors, "error_order": REGISTRATION_ORDER},
        status=422,
    )


async def _participant_page(
    request: Request,
    participant_id: str,
    *,
    form: dict | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    row = await call_use_case(service.get_participant, request, participant_id=participant_id)
    history = await request.app.state.runtime.audit.entries(limit=50, entity_id=participant_id)
    ctx = {**_context(request), "p": row, "history": history, "form": form or {}}
    if errors is not None:
        ctx.update(errors=errors, error_order=("eligible", "reason", "withdrawal_reason"))
    return pages.render(request, "participant.html", ctx, status=status)


@router.get("/participants/{participant_id}")
async def participant(request: Request, staff: Staff, participant_id: str) -> Response:
    return await _participant_page(request, participant_id)


@router.post("/participants/{participant_id}/eligibility")
async def decide(request: Request, staff: Writer, participant_id: str, form: Posted) -> Response:
    _ = pages.gettext(request)
    choice = form.get("eligible")
    reason = (form.get("reason") or "").strip() or None
    errors = None
    if choice not in ("yes", "no"):
        errors = validation_errors(_missing("eligible"), {"eligible": N_("the decision")}, _)
    elif choice == "no" and not reason:
        errors = validation_errors(_missing("reason"), {"reason": N_("The reason")}, _)
    else:
        try:
            decision = EligibilityDecision(eligible=choice == "yes", reason=reason if choice == "no" else None)
            decided = await call_use_case(
                service.decide_eligibility, request, participant_id=participant_id, decision=decision
            )
        except ValidationError as exc:
            errors = validation_errors(exc, {"reason": N_("The reason")}, _)
        except Problem as exc:
            if exc.status == 404:
                raise
            errors = problem_errors(exc, _, fields=("eligible", "reason"))
        else:
            pages.flash(
                request, _("Eligibility confirmed.") if decided == "eligible" else _("Recorded as not eligible.")
            )
            return pages.redirect(f"/panel/participants/{participant_id}")
    return await _participant_page(request, participant_id, form=form, errors=errors, status=422)


@router.post("/participants/{participant_id}/withdrawal")
async def withdraw(request: Request, staff: Writer, participant_id: str, form: Posted) -> Response:
    _ = pages.gettext(request)
    try:
        withdrawal = Withdrawal(reason=(form.get("withdrawal_reason") or "").strip())
        await call_use_case(service.withdraw_participant, request, participant_id=participant_id, withdrawal=withdrawal)
    except ValidationError as exc:
        errors = validation_errors(exc, {"reason": N_("The reason for withdrawal")}, _)
        errors.messages = {"withdrawal_reason": next(iter(errors.messages.values()))}  # the form's one field
    except Problem as exc:
        if exc.status == 404:
            raise
        errors = problem_errors(exc, _, fields=())
    else:
        pages.flash(request, _("The participant has been withdrawn from the project."))
        return pages.redirect(f"/panel/participants/{participant_id}")
    return await _participant_page(request, participant_id, form=form, errors=errors, status=422)


@router.get("/participants/{participant_id}/erase")
async def confirm_erasure(request: Request, staff: Writer, participant_id: str) -> Response:
    row = await call_use_case(service.get_participant, request, participant_id=participant_id)
    return pages.render(request, "erase.html", {**_context(request), "p": row})


@router.post("/participants/{participant_id}/erase")
async def erase(request: Request, staff: Writer, participant_id: str, form: Posted) -> Response:
    _ = pages.gettext(request)
    erased_now = await call_use_case(service.erase_personal_data, request, participant_id=participant_id)
    pages.flash(
        request,
        _("Personal data erased. The pseudonymous record stays for the indicators.")
        if erased_now
        else _("The personal data had already been erased."),
    )
    return pages.redirect(f"/panel/participants/{participant_id}")


def _missing(name: str) -> ValidationError:
    return ValidationError.from_exception_data("form", [{"type": "missing", "loc": (name,), "input": None}])
