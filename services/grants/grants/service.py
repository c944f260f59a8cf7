"""Grants use cases: each one transaction, the state change and its event in the outbox together."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts import CooperativeFoundedV2, Event, GrantApplicationSubmitted, JobCreated
from owes_messaging.outbox import OutboxWriter
from owes_service.problems import Conflict, InvalidInput, NotFound, found
from owes_service.project import ProjectDefinition, load_project
from owes_service.project_calendar import ProjectCalendar
from owes_service.wording import refusal

from . import domain, repository
from .schemas import (
    ApplicationSubmission,
    ApplicationView,
    Award,
    BridgePaymentView,
    BridgeSupportExtension,
    BridgeSupportPayment,
    CooperativeFoundation,
    CooperativeView,
    DeMinimisView,
    Disbursement,
    DisbursementView,
    Evaluation,
    JobCreation,
    JobEnding,
    JobView,
    MaintenanceFunding,
    MemberAdmission,
    SustainabilityCheck,
)


def _project(calendar: ProjectCalendar) -> ProjectDefinition:
    """The project whose rules apply (the runtime's calendar always carries it; the shipped one otherwise)."""
    return calendar.project or load_project()


@contextmanager
def _rules() -> Iterator[None]:
    """Domain refusals become problem details: a broken rule is 422, a clash with the current state 409."""
    try:
        yield
    except domain.RuleBroken as exc:
        raise InvalidInput(str(exc), **exc.extra) from None
    except domain.WrongState as exc:
        raise Conflict(str(exc), **exc.extra) from None


Aggregate = TypeVar("Aggregate", domain.Application, domain.Job)


@asynccontextmanager
async def _deciding(
    session: AsyncSession, load: Callable[[], Awaitable[Aggregate | None]], missing: str
) -> AsyncIterator[Aggregate]:
    """A decision on an application or a job: in one transaction, it loaded and locked (404 saying `missing` when
    there is none); a domain refusal inside it becomes a problem (_rules)."""
    async with session.begin():
        aggregate = found(await load(), missing)
        with _rules():
            yield aggregate


# --- applications --------------------------------------------------------------------------------------------


async def submit_application(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, form: ApplicationSubmission
) -> ApplicationView:
    """Record an application with its business plan; publish GrantApplicationSubmitted."""
    submitted_on = calendar.fact_date(form.submitted_on, field="submitted_on")
    with _rules():
        amount_requested = domain.money(form.amount_requested, field_name="amount_requested")
    application_id = domain.new_id("app")
    async with session.begin():
        if not await repository.applicant_exists(
            session, applicant_kind=form.applicant_kind, applicant_id=form.applicant_id
        ):
            what = "initiative group" if form.applicant_kind == "initiative_group" else "organisation"
            raise InvalidInput(
                refusal(
                    "No %(what)s %(applicant_id)s is known to grants (recruitment has not published it).",
                    what=what,
                    applicant_id=form.applicant_id,
                ),
                field="applicant_id",
            )
        await repository.add_application(
            session,
            application_id=application_id,
            applicant_kind=form.applicant_kind,
            applicant_id=form.applicant_id,
            summary=form.summary,
            jobs_planned=form.jobs_planned,
            amount_requested=amount_requested,
            submitted_on=submitted_on,
            status=domain.ApplicationStatus.SUBMITTED.value,
        )
        await outbox.add(
            session,
            GrantApplicationSubmitted(
                application_id=application_id,
                submitted_on=submitted_on,
                applicant_kind=form.applicant_kind,
                applicant_id=form.applicant_id,
                jobs_planned=form.jobs_planned,
                amount_requested=amount_requested,
            ),
        )
        return await _application_view(session, application_id)


def _deciding_on_application(
    session: AsyncSession, application_id: str
) -> AbstractAsyncContextManager[domain.Application]:
    """A decision on an application (its decisions and payments queue up on its lock)."""
    load = partial(repository.load_application, session, application_id)
    return _deciding(session, load, refusal("No application %(application_id)s.", application_id=application_id))


async def evaluate_application(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, application_id: str, form: Evaluation
) -> ApplicationView:
    """Record the evaluation (score and outcome); publish GrantApplicationEvaluated."""
    evaluated_on = calendar.fact_date(form.evaluated_on, field="evaluated_on")
    async with _deciding_on_application(session, application_id) as application:
        event = application.evaluate(score=form.score, outcome=form.outcome, on=evaluated_on)
        return await _record_application(
            session, outbox, application, event, score=form.score, evaluated_on=evaluated_on
        )


async def award_grant(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, application_id: str, form: Award
) -> ApplicationView:
    """Award an amount per job after a positive evaluation (the unit rate in 2021–2027); publish GrantAwarded."""
    awarded_on = calendar.fact_date(form.awarded_on, field="awarded_on")
    async with _deciding_on_application(session, application_id) as application:
        event = application.award(
            amount_per_job=form.amount_per_job, jobs=form.jobs, on=awarded_on, project=_project(calendar)
        )
        row = await _application_row(session, application_id)  # loaded and locked just above
        beneficiary = {"beneficiary_kind": row.applicant_kind, "beneficiary_id": row.applicant_id}
        await repository.lock_beneficiary(session, **beneficiary)
        aid = await repository.de_minimis_aid_of(session, **beneficiary)
        amount_eur = domain.check_de_minimis(aid, on=awarded_on, amount_pln=event.total_amount, eur_rate=form.eur_rate)
        await repository.add_de_minimis_aid(
            session,
            application_id=application_id,
            granted_on=awarded_on,
            amount_pln=event.total_amount,
            eur_rate=str(form.eur_rate),
            amount_eur=amount_eur,
            **beneficiary,
        )
        return await _record_application(
            session,
            outbox,
            application,
            event,
            jobs_awarded=event.jobs,
            amount_per_job=event.amount_per_job,
            total_awarded=event.total_amount,
            awarded_on=awarded_on,
        )


async def de_minimis_headroom(
    *, session: AsyncSession, calendar: ProjectCalendar, beneficiary_kind: str, beneficiary_id: str, on: dt.date | None
) -> DeMinimisView:
    """What an undertaking (an applicant) may still receive as de minimis aid on a day (default: today)."""
    day = on or calendar.today()
    async with session.begin():
        if not await repository.applicant_exists(session, applicant_kind=beneficiary_kind, applicant_id=beneficiary_id):
            raise NotFound(
                refusal(
                    "No %(kind)s %(beneficiary_id)s is known to grants.",
                    kind=beneficiary_kind.replace("_", " "),
                    beneficiary_id=beneficiary_id,
                )
            )
        aid = await repository.de_minimis_aid_of(
            session, beneficiary_kind=beneficiary_kind, beneficiary_id=beneficiary_id
        )
    room = domain.de_minimis_headroom(aid, day)
    return DeMinimisView(
        beneficiary_kind=beneficiary_kind,
        beneficiary_id=beneficiary_id,
        on=day,
        ceiling_eur=room.ceiling_eur,
        window_from=room.window_from,
        granted_eur=room.granted_eur,
        headroom_eur=room.headroom_eur,
    )


async def disburse_grant(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, application_id: str, form: Disbursement
) -> DisbursementView:
    """Pay out part of an awarded grant, never beyond the total; publish GrantDisbursed."""
    disbursed_on = calendar.fact_date(form.disbursed_on, field="disbursed_on")
    disbursement_id = domain.new_id("disb")
    async with _deciding_on_application(session, application_id) as application:
        event = application.disburse(amount=form.amount, on=disbursed_on, disbursement_id=disbursement_id)
        await repository.add_disbursement(
            session,
            disbursement_id=disbursement_id,
            application_id=application_id,
            amount=event.amount,
            disbursed_on=disbursed_on,
        )
        await outbox.add(session, event)
    return DisbursementView(disbursement_id=disbursement_id, amount=event.amount, disbursed_on=disbursed_on)


async def get_application(*, session: AsyncSession, application_id: str) -> ApplicationView:
    return await _application_view(session, application_id)


async def _record_application(
    session: AsyncSession, outbox: OutboxWriter, application: domain.Application, event: Event, **changed: Any
) -> ApplicationView:
    """Store what an application's decision changed and publish its event (in the caller's transaction); the
    application as it is now."""
    await repository.update_application(session, application.application_id, status=application.status.value, **changed)
    await outbox.add(session, event)
    return await _application_view(session, application.application_id)


async def _application_row(session: AsyncSession, application_id: str) -> Row[*tuple[Any, ...]]:
    row = await repository.get_application(session, application_id)
    if row is None:
        raise NotFound(refusal("No application %(application_id)s.", application_id=application_id))
    return row


async def _application_view(session: AsyncSession, application_id: str) -> ApplicationView:
    row = await _application_row(session, application_id)
    paid = await repository.list_disbursements(session, application_id)
    disbursed = sum((p.amount for p in paid), Decimal("0.00"))
    remaining = row.total_awarded - disbursed if row.total_awarded is not None else Decimal("0.00")
    return ApplicationView(
        application_id=row.application_id,
        applicant_kind=row.applicant_kind,
        applicant_id=row.applicant_id,
        summary=row.summary,
        jobs_planned=row.jobs_planned,
        amount_requested=row.amount_requested,
        submitted_on=row.submitted_on,
        status=row.status,
        score=row.score,
        evaluated_on=row.evaluated_on,
        jobs_awarded=row.jobs_awarded,
        amount_per_job=row.amount_per_job,
        total_awarded=row.total_awarded,
        awarded_on=row.awarded_on,
        disbursed=disbursed,
        remaining=remaining,
        disbursements=[
            DisbursementView(disbursement_id=p.disbursement_id, amount=p.amount, disbursed_on=p.disbursed_on)
            for p in paid
        ],
    )


# --- cooperatives --------------------------------------------------------------------------------------------


async def found_cooperative(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, form: CooperativeFoundation
) -> CooperativeView:
    """Record a social cooperative registered in KRS by 3+ eligible participants or 2+ enrolled organisations;
    publish CooperativeFounded (v2)."""
    founded_on = calendar.fact_date(form.founded_on, field="founded_on")
    with _rules():
        krs = domain.normalise_krs(form.krs)
    cooperative_id = domain.new_id("coop")
    try:
        async with session.begin():
            with _rules():
                founded_by = domain.founded_by(form.founder_ids, form.founding_organisation_ids)
            founder_ids: list[str] = []
            organisation_ids: list[str] = []
            if founded_by == "natural_persons":
                standings = await repository.standings(session, form.founder_ids)
                with _rules():
                    founder_ids = domain.check_founders(form.founder_ids, standings)
            else:
                known = await repository.known_organisations(session, form.founding_organisation_ids)
                with _rules():
                    organisation_ids = domain.check_founding_organisations(form.founding_organisation_ids, known)
            if form.application_id is not None:
                await _check_funding(session, form.application_id)
            if await repository.krs_taken(session, krs):
                raise Conflict(refusal("A cooperative with KRS %(krs)s is already recorded.", krs=krs), field="krs")
            await repository.add_cooperative(
                session,
                founder_ids=founder_ids,
                cooperative_id=cooperative_id,
                krs=krs,
                cooperative_name=form.cooperative_name,
                county=form.county,
                founded_on=founded_on,
                application_id=form.application_id,
                founded_by=founded_by,
            )
            if organisation_ids:
                await repository.add_members(
                    session,
                    cooperative_id=cooperative_id,
                    member_kind="organisation",
                    member_ids=organisation_ids,
                    joined_on=founded_on,
                    founder=True,
                )
            await outbox.add(
                session,
                CooperativeFoundedV2(
                    cooperative_id=cooperative_id,
                    founded_on=founded_on,
                    krs=krs,
                    cooperative_name=form.cooperative_name,
                    county=form.county,
                    founded_by=founded_by,  # type: ignore[arg-type]  # one of the two literals, by founded_by()
                    founder_ids=founder_ids,
                    founding_organisation_ids=organisation_ids,
                    application_id=form.application_id,
                ),
            )
            return await _cooperative_view(session, calendar, cooperative_id)
    except IntegrityError:
        # A concurrent request recorded the same KRS between our check and insert: ask the database what is
        # taken now (its error text differs between drivers), and let anything else stay an error.
        async with session.begin():
            if await repository.krs_taken(session, krs):
                raise Conflict(
                    refusal("A cooperative with KRS %(krs)s is already recorded.", krs=krs), field="krs"
                ) from None
        raise


async def _check_funding(session: AsyncSession, application_id: str) -> None:
    """A cooperative names the grant that funds it: an awarded one, funding no other cooperative."""
    row = await repository.get_application(session, application_id)
    if row is None:
        raise InvalidInput(
            refusal("No application %(application_id)s.", application_id=application_id), field="application_id"
        )
    if row.status != domain.ApplicationStatus.AWARDED:
        raise InvalidInput(
            refusal(
                "Application %(application_id)s has no grant awarded (status %(status)s).",
                application_id=application_id,
                status=row.status,
            ),
            field="application_id",
        )
    funded = await repository.cooperative_funded_by(session, application_id)
    if funded is not None:
        raise Conflict(
            refusal(
                "The grant of application %(application_id)s already funds cooperative %(funded)s.",
                application_id=application_id,
                funded=funded,
            ),
            field="application_id",
            cooperative_id=funded,
        )


async def get_cooperative(*, session: AsyncSession, calendar: ProjectCalendar, cooperative_id: str) -> CooperativeView:
    return await _cooperative_view(session, calendar, cooperative_id)


async def admit_member(
    *, session: AsyncSession, calendar: ProjectCalendar, cooperative_id: str, form: MemberAdmission
) -> CooperativeView:
    """Record a member who joined after the founding (grants' own record, no event): at most 50 in all."""
    joined_on = calendar.fact_date(form.joined_on, field="joined_on")
    if (form.participant_id is None) == (form.organisation_id is None):
        raise InvalidInput("Give either participant_id or organisation_id.", field="participant_id")
    async with session.begin():
        row = await repository.lock_cooperative(session, cooperative_id)
        if row is None:
            raise NotFound(refusal("No cooperative %(cooperative_id)s.", cooperative_id=cooperative_id))
        if form.participant_id is not None:
            kind, member_id = "participant", form.participant_id
            if form.participant_id not in await repository.standings(session, [form.participant_id]):
                raise InvalidInput(
                    refusal("Participant %(member_id)s is not known to grants.", member_id=member_id),
                    field="participant_id",
                )
        else:
            kind, member_id = "organisation", str(form.organisation_id)
            if not await repository.known_organisations(session, [member_id]):
                raise InvalidInput(
                    refusal("Organisation %(member_id)s is not enrolled.", member_id=member_id), field="organisation_id"
                )
        founders = await repository.founders_of(session, cooperative_id)
        others = await repository.members_of(session, cooperative_id)
        if member_id in founders or member_id in {m.member_id for m in others}:
            raise Conflict(
                refusal(
                    "%(member_id)s is already a member of cooperative %(cooperative_id)s.",
                    member_id=member_id,
                    cooperative_id=cooperative_id,
                ),
                field=f"{kind}_id",
            )
        _not_before_founding(joined_on, row, what=refusal("Joining"), field="joined_on")
        with _rules():
            _membership(row, len(founders) + len(others)).admit()
        await repository.add_members(
            session,
            cooperative_id=cooperative_id,
            member_kind=kind,
            member_ids=[member_id],
            joined_on=joined_on,
            founder=False,
        )
        return await _cooperative_view(session, calendar, cooperative_id)


def _not_before_founding(day: dt.date, cooperative: Row[*tuple[Any, ...]], *, what: str, field: str) -> None:
    """What happens in a cooperative (a member joining, a job created) happens on its founding day or later."""
    with _rules():
        domain.not_before(
            day, cooperative.founded_on, what=what, since=refusal("the cooperative's founding"), field_name=field
        )


def _membership(row: Row[*tuple[Any, ...]], members: int) -> domain.Membership:
    return domain.Membership(founded_by=row.founded_by or "natural_persons", founded_on=row.founded_on, members=members)


async def _cooperative_view(session: AsyncSession, calendar: ProjectCalendar, cooperative_id: str) -> CooperativeView:
    row = await repository.get_cooperative(session, cooperative_id)
    if row is None:
        raise NotFound(refusal("No cooperative %(cooperative_id)s.", cooperative_id=cooperative_id))
    founders = await repository.founders_of(session, cooperative_id)
    others = await repository.members_of(session, cooperative_id)
    membership = _membership(row, len(founders) + len(others))
    return CooperativeView(
        cooperative_id=row.cooperative_id,
        krs=row.krs,
        cooperative_name=row.cooperative_name,
        county=row.county,
        founded_on=row.founded_on,
        founded_by=membership.founded_by,  # type: ignore[arg-type]
        application_id=row.application_id,
        founder_ids=founders,
        founding_organisation_ids=[m.member_id for m in others if m.founder],
        member_ids=[m.member_id for m in others if not m.founder],
        members=membership.members,
        five_members_due_on=membership.five_members_due_on,
        below_five_members=membership.below_five_members(calendar.today()),
        job_ids=await repository.job_ids_of(session, cooperative_id),
    )


# --- jobs ----------------------------------------------------------------------------------------------------


async def create_job(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, form: JobCreation
) -> JobView:
    """Record a job in a founded cooperative, held by an eligible participant; publish JobCreated."""
    created_on = calendar.fact_date(form.created_on, field="created_on")
    job_id = domain.new_id("job")
    async with session.begin():
        cooperative = await repository.get_cooperative(session, form.cooperative_id)
        if cooperative is None:
            raise InvalidInput(
                refusal("No cooperative %(cooperative_id)s is recorded.", cooperative_id=form.cooperative_id),
                field="cooperative_id",
            )
        # The participant's row is locked so that two requests cannot give one person two jobs at once.
        standings = await repository.standings(session, [form.participant_id], lock=True)
        reasons = domain.ineligible([form.participant_id], standings)
        if reasons:
            raise InvalidInput(
                refusal(
                    "A job is held by an eligible participant: %(reasons)s.", reasons=domain.explain_ineligible(reasons)
                ),
                field="participant_id",
            )
        if standings[form.participant_id].at_risk_of_exclusion is not True:
            raise InvalidInput(
                refusal(
                    "A funded job is held by a person at risk of social exclusion (art. 2 pkt 6 of the social "
                    "economy act); recruitment did not record participant %(participant_id)s as one.",
                    participant_id=form.participant_id,
                ),
                field="participant_id",
            )
        _not_before_founding(created_on, cooperative, what=refusal("The job"), field="created_on")
        held = await repository.active_job_of(session, form.participant_id)
        if held is not None:
            raise Conflict(
                refusal(
                    "Participant %(participant_id)s already holds job %(held)s.",
                    participant_id=form.participant_id,
                    held=held,
                ),
                field="participant_id",
                job_id=held,
            )
        await repository.add_job(
            session,
            job_id=job_id,
            cooperative_id=form.cooperative_id,
            participant_id=form.participant_id,
            created_on=created_on,
            bridge_months=domain.BRIDGE_BASIC_MONTHS,
            working_time=form.working_time.value,
        )
        await outbox.add(
            session,
            JobCreated(
                job_id=job_id,
                created_on=created_on,
                cooperative_id=form.cooperative_id,
                participant_id=form.participant_id,
                working_time=form.working_time,
            ),
        )
        return await _job_view(session, calendar, job_id)


def _deciding_on_job(
    session: AsyncSession, calendar: ProjectCalendar, job_id: str
) -> AbstractAsyncContextManager[domain.Job]:
    """A decision on a job."""
    load = partial(repository.load_job, session, job_id, sustainability_months=_project(calendar).sustainability)
    return _deciding(session, load, refusal("No job %(job_id)s.", job_id=job_id))


async def extend_bridge_support(
    *, session: AsyncSession, calendar: ProjectCalendar, job_id: str, form: BridgeSupportExtension
) -> JobView:
    """Lengthen a job's bridge-support schedule (6 months basic, up to 12); grants' own record, no event."""
    with _rules():
        domain.require_bridge_support(_project(calendar))
    async with _deciding_on_job(session, calendar, job_id) as job:
        job.extend_bridge_support(months=form.months)
        await repository.update_job(session, job_id, bridge_months=job.bridge_months)
        return await _job_view(session, calendar, job_id)


async def pay_bridge_support(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, job_id: str, form: BridgeSupportPayment
) -> BridgePaymentView:
    """Record one monthly instalment of bridge support; publish BridgeSupportPaid."""
    paid_on = calendar.fact_date(form.paid_on, field="paid_on")
    with _rules():
        domain.require_bridge_support(_project(calendar))
    async with _deciding_on_job(session, calendar, job_id) as job:
        event = job.pay_bridge_support(instalment=form.instalment, amount=form.amount, on=paid_on)
        await repository.add_bridge_payment(
            session, job_id=job_id, instalment=event.instalment, amount=event.amount, paid_on=paid_on
        )
        await outbox.add(session, event)
    return BridgePaymentView(instalment=event.instalment, amount=event.amount, paid_on=paid_on)


async def check_job_sustainability(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, job_id: str, form: SustainabilityCheck
) -> JobView:
    """Check a job at the end of the project's sustainability period; publish JobSustained or JobNotSustained."""
    checked_on = calendar.fact_date(form.checked_on, field="checked_on")
    async with _deciding_on_job(session, calendar, job_id) as job:
        event = job.check_sustainability(on=checked_on)
        return await _record_job(
            session, calendar, outbox, job, event, sustained_on=job.sustained_on, not_sustained_on=job.not_sustained_on
        )


async def fund_job_maintenance(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, job_id: str, form: MaintenanceFunding
) -> JobView:
    """Grant a job the 2021–2027 maintenance unit rate of its working time, in force on its first day; publish
    JobMaintenanceFunded."""
    funded_on = calendar.fact_date(form.funded_on, field="funded_on")
    async with _deciding_on_job(session, calendar, job_id) as job:
        rate = domain.maintenance_rate(_project(calendar), job.working_time, job.created_on)
        event = job.fund_maintenance(rate=rate, on=funded_on)
        return await _record_job(
            session,
            calendar,
            outbox,
            job,
            event,
            maintenance_amount=event.amount,
            maintenance_funded_on=event.funded_on,
        )


async def end_job(
    *, session: AsyncSession, calendar: ProjectCalendar, outbox: OutboxWriter, job_id: str, form: JobEnding
) -> JobView:
    """Record that a job ended; publish JobEnded."""
    ended_on = calendar.fact_date(form.ended_on, field="ended_on")
    async with _deciding_on_job(session, calendar, job_id) as job:
        assert form.reason_code is not None  # noqa: S101  JobEnding requires it
        event = job.end(reason=form.reason_code, on=ended_on)
        return await _record_job(
            session,
            calendar,
            outbox,
            job,
            event,
            ended_on=ended_on,
            end_reason_code=form.reason_code.value,
            end_reason=form.note,
        )


async def get_job(*, session: AsyncSession, calendar: ProjectCalendar, job_id: str) -> JobView:
    return await _job_view(session, calendar, job_id)


async def _record_job(
    session: AsyncSession,
    calendar: ProjectCalendar,
    outbox: OutboxWriter,
    job: domain.Job,
    event: Event,
    **changed: Any,
) -> JobView:
    """Store what a job's decision changed and publish its event (in the caller's transaction); the job as it is now."""
    await repository.update_job(session, job.job_id, **changed)
    await outbox.add(session, event)
    return await _job_view(session, calendar, job.job_id)


async def _job_view(session: AsyncSession, calendar: ProjectCalendar, job_id: str) -> JobView:
    row = await repository.get_job(session, job_id)
    if row is None:
        raise NotFound(refusal("No job %(job_id)s.", job_id=job_id))
    payments = await repository.list_bridge_payments(session, job_id)
    return JobView(
        job_id=row.job_id,
        cooperative_id=row.cooperative_id,
        participant_id=row.participant_id,
        created_on=row.created_on,
        status="ended" if row.ended_on else "active",
        bridge_months=row.bridge_months,
        bridge_payments=[
            BridgePaymentView(instalment=p.instalment, amount=p.amount, paid_on=p.paid_on) for p in payments
        ],
        working_time=row.working_time or domain.WorkingTime.FULL_TIME.value,
        maintenance_amount=row.maintenance_amount,
        maintenance_funded_on=row.maintenance_funded_on,
        not_sustained_on=row.not_sustained_on,
        sustainability_due_on=domain.add_months(row.created_on, _project(calendar).sustainability),
        sustained_on=row.sustained_on,
        ended_on=row.ended_on,
        end_reason_code=row.end_reason_code,
        end_reason=row.end_reason,
    )


async def list_cooperatives(*, session: AsyncSession) -> Sequence[Row[*tuple[Any, ...]]]:
    """The cooperatives recorded, for the staff pages' list."""
    return await repository.list_cooperatives(session)


async def list_applications(*, session: AsyncSession) -> Sequence[Row[*tuple[Any, ...]]]:
    """The applications recorded, for the staff pages' list."""
    return await repository.list_applications(session)
