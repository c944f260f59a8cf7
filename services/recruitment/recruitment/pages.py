"""Recruitment pages for the partner's recruiters: find, register, decide, withdraw, erase. Thin: parse, call one
use case (service.py, as the API does), render."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from pydantic import ValidationError

from owes_service.audit import AuditTrail, audit_read
from owes_service.deps import AuditDep, CalendarDep, SessionDep
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
    problem_errors,
    read_date,
    read_identifiers,
    validation_errors,
)
from owes_service.problems import Problem
from owes_service.project_calendar import ProjectCalendar

from . import data_sheet, retention, service
from .schemas import (
    AtRiskCategory,
    EligibilityDecision,
    InitiativeGroupFormation,
    OrganisationEnrolment,
    ParticipantRegistration,
    Withdrawal,
)

pages = StaffPages("recruitment", N_("Recruitment"), Path(__file__).parent)

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
# Reasons travel as codes (issue 13): staff choose one; what they type beside it is a note that stays here.
REJECTION_REASONS = {
    "outside_subregion": N_("Lives outside the subregion"),
    "not_at_risk_of_exclusion": N_("Not at risk of poverty or social exclusion"),
    "not_in_target_group": N_("Not in the project's target group"),
    "already_supported": N_("Already supported by another project"),
    "incomplete_documents": N_("Documents incomplete"),
    "other": N_("Other reason"),
}
WITHDRAWAL_REASONS = {
    "employment": N_("Took up employment"),
    "education": N_("Took up education"),
    "health": N_("Health"),
    "family": N_("Family matters"),
    "moved_away": N_("Moved away"),
    "lost_contact": N_("Lost contact"),
    "own_decision": N_("Own decision"),
    "other": N_("Other reason"),
}
# The social economy act's categories (art. 2 pkt 6) as staff tick them; docs/services.md gives their sources.
AT_RISK_CATEGORIES: dict[str, str] = {
    AtRiskCategory.UNEMPLOYED: N_("Unemployed (registered at the county labour office)"),
    AtRiskCategory.LONG_TERM_UNEMPLOYED: N_("Long-term unemployed"),
    AtRiskCategory.JOB_SEEKER_UNDER_30_OR_OVER_50: N_("Job seeker without employment, under 30 or over 50"),
    AtRiskCategory.DISABILITY: N_("Person with a disability (certified)"),
    AtRiskCategory.MENTAL_DISORDER: N_("Person with mental disorders, including mental illness"),
    AtRiskCategory.HOMELESS: N_("Homeless, following an individual programme for leaving homelessness"),
    AtRiskCategory.ALCOHOL_ADDICTION: N_("Addicted to alcohol, after treatment"),
    AtRiskCategory.DRUG_ADDICTION: N_("Addicted to drugs or other intoxicants, after treatment"),
    AtRiskCategory.DEPRIVED_OF_LIBERTY: N_("Deprived of liberty, or released from prison"),
    AtRiskCategory.LEAVING_YOUTH_INSTITUTION: N_("Adult leaving a correctional facility or a youth educational centre"),
    AtRiskCategory.LEAVING_FOSTER_CARE: N_("Leaving foster care (becoming independent)"),
    AtRiskCategory.REFUGEE: N_("Granted refugee status or subsidiary protection in Poland"),
    AtRiskCategory.SOCIAL_INTEGRATION_GRADUATE: N_("Graduate of a social integration centre or club (CIS, KIS)"),
    AtRiskCategory.SPECIAL_CARE_ALLOWANCE: N_("Entitled to the special care allowance"),
    AtRiskCategory.OLDER_PERSON: N_("Older person (60 or over)"),
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
    "at_risk_categories": N_("the categories of risk of social exclusion"),
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
        elif name == "at_risk_categories":
            body[name] = _ticked(form.get(name))
        elif isinstance(form.get(name), str) and form[name].strip():
            body[name] = form[name].strip()
    body["pesel"] = body.get("pesel", "").replace(" ", "")
    if "recruited_on" in body:
        body["recruited_on"] = read_date(body["recruited_on"])
    return body


def _ticked(value: Any) -> list[str]:
    """The values of a group of checkboxes: none, one (a string) or several (a list)."""
    if isinstance(value, list):
        return [v for v in value if v]
    return [value] if isinstance(value, str) and value else []


def _context(calendar: ProjectCalendar) -> dict[str, Any]:
    return {
        "statuses": STATUSES,
        "at_risk_categories": AT_RISK_CATEGORIES,
        "ticked": _ticked,
        "labour_market": LABOUR_MARKET,
        "place_name": place_name,
        "counties": county_options(calendar.project),
    }


@pages.nav_page("/participants", N_("Participants"))
async def participants(
    request: Request, staff: Staff, calendar: CalendarDep, q: str = "", status: str = "", county: str = ""
) -> Response:
    found = await call_use_case(
        service.search_participants, request, text=q or None, status=status or None, county=county or None
    )
    await audit_read(request, None)  # names and PESELs listed: who searched is kept (the path holds no query)
    return pages.render(
        request,
        "participants.html",
        {**_context(calendar), "participants": found, "form": {"q": q, "status": status, "county": county}},
    )


@pages.router.get("/participants/new")
async def new_participant(request: Request, staff: Writer, calendar: CalendarDep) -> Response:
    return pages.render(request, "register.html", {**_context(calendar), "form": {"at_risk_of_exclusion": "yes"}})


@pages.router.post("/participants/new")
async def register(request: Request, staff: Writer, calendar: CalendarDep, form: Posted) -> Response:
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
        {**_context(calendar), "form": form, "errors": errors, "error_order": REGISTRATION_ORDER},
        status=422,
    )


async def _participant_page(
    request: Request,
    participant_id: str,
    *,
    calendar: ProjectCalendar,
    audit: AuditTrail,
    form: dict | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    row = await call_use_case(service.get_participant, request, participant_id=participant_id)
    entries = await audit.entries(limit=50, entity_id=participant_id)
    history = [e for e in entries if e["method"] != "GET"]  # the changes, not who looked (audit_read)
    _ = pages.gettext(request)
    ctx = {
        **_context(calendar),
        "p": row,
        "history": history,
        "form": form or {},
        "rejection_options": pages.options(request, REJECTION_REASONS),
        "withdrawal_options": pages.options(request, WITHDRAWAL_REASONS),
        "reason_labels": {**REJECTION_REASONS, **WITHDRAWAL_REASONS},
        "at_risk_names": "; ".join(_(AT_RISK_CATEGORIES.get(c, c)) for c in row.at_risk_categories or ()),
    }
    if errors is not None:
        ctx.update(
            errors=errors,
            error_order=("eligible", "reason_code", "reason", "withdrawal_reason_code", "withdrawal_reason"),
        )
    return pages.render(request, "participant.html", ctx, status=status)


@pages.router.get("/participants/{participant_id}")
async def participant(
    request: Request, staff: Staff, calendar: CalendarDep, audit: AuditDep, participant_id: str
) -> Response:
    page = await _participant_page(request, participant_id, calendar=calendar, audit=audit)
    await audit_read(request, participant_id)  # a person's record: who looked is kept
    return page


@pages.router.post("/participants/{participant_id}/eligibility")
async def decide(
    request: Request, staff: Writer, calendar: CalendarDep, audit: AuditDep, participant_id: str, form: Posted
) -> Response:
    _ = pages.gettext(request)
    choice = form.get("eligible")
    code = form.get("reason_code") or None
    reason = (form.get("reason") or "").strip() or None  # the note; alone (no code) it is taken as "other"
    errors = None
    if choice not in ("yes", "no"):
        errors = validation_errors(_missing("eligible"), {"eligible": N_("the decision")}, _)
    elif choice == "no" and not (code or reason):
        errors = validation_errors(_missing("reason_code"), {"reason_code": N_("The reason")}, _)
    else:
        try:
            if choice == "yes":
                decision = EligibilityDecision(eligible=True)
            elif code:
                decision = EligibilityDecision.model_validate({"eligible": False, "reason_code": code, "note": reason})
            else:
                decision = EligibilityDecision(eligible=False, reason=reason)
            decided = await call_use_case(
                service.decide_eligibility, request, participant_id=participant_id, decision=decision
            )
        except ValidationError as exc:
            errors = validation_errors(exc, {"reason": N_("The reason"), "reason_code": N_("The reason")}, _)
            if "note" in errors.messages:  # the note's field on the page is "reason"
                errors.messages["reason"] = errors.messages.pop("note")
        except Problem as exc:
            if exc.status == 404:
                raise
            errors = problem_errors(exc, _, fields=("eligible", "reason_code", "reason"))
        else:
            pages.flash(
                request, _("Eligibility confirmed.") if decided == "eligible" else _("Recorded as not eligible.")
            )
            return pages.redirect(f"/panel/participants/{participant_id}")
    return await _participant_page(
        request, participant_id, calendar=calendar, audit=audit, form=form, errors=errors, status=422
    )


@pages.router.post("/participants/{participant_id}/withdrawal")
async def withdraw(
    request: Request, staff: Writer, calendar: CalendarDep, audit: AuditDep, participant_id: str, form: Posted
) -> Response:
    _ = pages.gettext(request)
    code = form.get("withdrawal_reason_code") or None
    note = (form.get("withdrawal_reason") or "").strip()
    try:
        withdrawal = (
            Withdrawal.model_validate({"reason_code": code, "note": note or None})
            if code
            else Withdrawal(reason=note)  # a note alone is taken as "other"
        )
        await call_use_case(service.withdraw_participant, request, participant_id=participant_id, withdrawal=withdrawal)
    except ValidationError as exc:
        errors = validation_errors(exc, {"reason": N_("The reason for withdrawal")}, _)
        # the page's two fields: the code's select and the note
        field = "withdrawal_reason_code" if "reason_code" in errors.messages else "withdrawal_reason"
        errors.messages = {field: next(iter(errors.messages.values()))}
    except Problem as exc:
        if exc.status == 404:
            raise
        errors = problem_errors(exc, _, fields=())
    else:
        pages.flash(request, _("The participant has been withdrawn from the project."))
        return pages.redirect(f"/panel/participants/{participant_id}")
    return await _participant_page(
        request, participant_id, calendar=calendar, audit=audit, form=form, errors=errors, status=422
    )


@pages.router.get("/participants/{participant_id}/erase")
async def confirm_erasure(request: Request, staff: Writer, calendar: CalendarDep, participant_id: str) -> Response:
    row = await call_use_case(service.get_participant, request, participant_id=participant_id)
    return pages.render(request, "erase.html", {**_context(calendar), "p": row})


@pages.router.post("/participants/{participant_id}/erase")
async def erase(request: Request, staff: Writer, participant_id: str, form: Posted) -> Response:
    _ = pages.gettext(request)
    answer = await call_use_case(retention.request_erasure, request, participant_id=participant_id)
    if answer["status"] == "erased":
        message = _("Personal data erased. The pseudonymous record stays for the indicators.")
    elif answer["erasure_possible_from"] is not None:
        day = pages.context(request)["fmt"].date(answer["erasure_possible_from"])
        message = _(
            "The project's documents are kept until the retention period ends: processing is restricted and the "
            "personal data will be erased from %(day)s."
        ) % {"day": day}
    else:
        message = _(
            "The project's documents are kept until the retention period ends: processing is restricted and the "
            "personal data will be erased 5 years after the end of the year of the project's final payment."
        )
    pages.flash(request, message)
    return pages.redirect(f"/panel/participants/{participant_id}")


def _missing(name: str) -> ValidationError:
    return ValidationError.from_exception_data("form", [{"type": "missing", "loc": (name,), "input": None}])


# --- organisations and initiative groups -------------------------------------------------------------------------

ORGANISATION_TYPES = {
    "association": N_("association"),
    "foundation": N_("foundation"),
    "church_legal_person": N_("church legal person"),
    "social_cooperative": N_("social cooperative"),
    "work_cooperative": N_("work cooperative"),
    "zaz": N_("vocational activity establishment (ZAZ)"),
    "wtz": N_("occupational therapy workshop (WTZ)"),
    "cis": N_("social integration centre (CIS)"),
    "kis": N_("social integration club (KIS)"),
    "local_business": N_("local business"),
}
LEGAL_FORMS = {
    "legal_person": N_("legal person"),
    "sole_trader": N_("sole trader (its name names its owner)"),
    "civil_partnership": N_("civil partnership (named after its partners)"),
}
ORGANISATION_LABELS = {
    "organisation_name": N_("Name of the organisation"),
    "organisation_type": N_("Type of organisation"),
    "legal_form": N_("Legal form"),
    "county": N_("County"),
    "nip": N_("NIP number"),
    "regon": N_("REGON number"),
    "krs": N_("KRS number"),
    "is_social_enterprise": N_("Already a social enterprise"),
    "runs_economic_activity": N_("Already runs paid public-benefit or economic activity"),
    "enrolled_on": N_("Date of enrolment"),
}
GROUP_LABELS = {
    "group_name": N_("Name of the group"),
    "county": N_("County"),
    "member_ids": N_("Members"),
    "formed_on": N_("Date of forming"),
}


ENROLMENT = Step(
    service.enrol_organisation,
    OrganisationEnrolment,
    ORGANISATION_LABELS,
    N_("Organisation enrolled."),
    then="/panel/organisations",
    checkboxes=("is_social_enterprise", "runs_economic_activity"),
)


@pages.form_view("/organisations", "organisations.html", nav=N_("Organisations"))
async def _organisations_page(request: Request, *, calendar: ProjectCalendar) -> dict[str, Any]:
    return {
        **_context(calendar),
        "organisations": await call_use_case(service.list_organisations, request),
        "organisation_types": ORGANISATION_TYPES,
        "organisation_type_options": pages.options(request, ORGANISATION_TYPES),
        "legal_form_options": pages.options(request, LEGAL_FORMS),
        "form": {"legal_form": "legal_person"},
    }


@pages.router.post("/organisations")
async def enrol_organisation(request: Request, staff: Writer, form: Posted) -> Response:
    return await pages.take_step(request, form, ENROLMENT, partial(_organisations_page, request))


@pages.form_view("/initiative-groups", "initiative_groups.html", nav=N_("Initiative groups"))
async def _groups_page(request: Request, *, calendar: ProjectCalendar) -> dict[str, Any]:
    return {**_context(calendar), "groups": await call_use_case(service.list_initiative_groups, request)}


@pages.router.post("/initiative-groups")
async def form_initiative_group(request: Request, staff: Writer, form: Posted) -> Response:
    body = form_body(form, GROUP_LABELS)
    body["member_ids"] = read_identifiers(form.get("member_ids"))
    _ = pages.gettext(request)
    errors = None
    try:
        formation = InitiativeGroupFormation(**body)
        await call_use_case(service.form_initiative_group, request, form=formation)
    except ValidationError as exc:
        errors = validation_errors(exc, GROUP_LABELS, _)
    except Problem as exc:
        refused = exc.extra.get("refused")
        errors = problem_errors(exc, _, fields=GROUP_LABELS)
        if isinstance(refused, dict):  # each refused member with the domain's reason, in the page's language
            listed = "; ".join(f"{member}: {_(why)}" for member, why in refused.items())
            errors.messages["member_ids"] = (
                _("Only eligible participants can form an initiative group") + f" ({listed})"
            )
    if errors:
        return await _groups_page(request, form=form, errors=errors, order=GROUP_LABELS)
    pages.flash(request, N_("Initiative group formed."))
    return pages.redirect("/panel/initiative-groups")


# --- the participant data sheet (CST2021) -------------------------------------------------------------------------

SHEET_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@pages.router.get("/data-sheet.{fmt}")
async def participant_data_sheet(request: Request, staff: Writer, session: SessionDep, fmt: str) -> Response:
    """The data sheet for the central monitoring system, exactly as the API exports it: personal data included,
    so only the operating partner's recruiters (not read-only staff) download it, and each download is audited."""
    if fmt not in SHEET_TYPES:
        return Response(status_code=404)
    rows = await data_sheet.participant_rows(session)
    await audit_read(request, f"participant-data-sheet:{fmt}:{len(rows)}", session)
    body = data_sheet.as_csv(rows) if fmt == "csv" else data_sheet.as_xlsx(rows)
    return Response(
        body, media_type=SHEET_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="participants.{fmt}"'}
    )
