"""All grants queries: read models, applications, cooperatives, jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from . import domain
from .tables import (
    applications,
    bridge_payments,
    cooperative_founders,
    cooperative_members,
    cooperatives,
    de_minimis_aid,
    disbursements,
    initiative_groups,
    jobs,
    organisations,
    participants,
)


def _insert(session: AsyncSession, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    assert session.bind is not None  # noqa: S101 (every session comes from the service's engine)
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _belonging(
    selected: sa.Table | sa.Column[Any], key: sa.Column[Any], owner_id: str, order: tuple[sa.Column[Any], ...]
) -> sa.Select[Any]:
    """The rows (or one column of them) that belong to one application, cooperative or job, in their order."""
    return sa.select(selected).where(key == owner_id).order_by(*order)


# --- read models ---------------------------------------------------------------------------------------------


async def upsert_participant(session: AsyncSession, participant_id: str, **values: Any) -> None:
    """Create the participant's row if missing (eligibility pending), then set the given columns."""
    stmt = (
        _insert(session, participants)
        .values(
            participant_id=participant_id,
            eligibility=domain.Eligibility.PENDING.value,
        )
        .on_conflict_do_nothing(index_elements=["participant_id"])
    )
    await session.execute(stmt)
    await session.execute(
        sa.update(participants).where(participants.c.participant_id == participant_id).values(**values)
    )


async def upsert_initiative_group(session: AsyncSession, *, group_id: str, **values: Any) -> None:
    stmt = _insert(session, initiative_groups).values(group_id=group_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["group_id"], set_=values))


async def upsert_organisation(session: AsyncSession, *, organisation_id: str, **values: Any) -> None:
    stmt = _insert(session, organisations).values(organisation_id=organisation_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["organisation_id"], set_=values))


async def standings(
    session: AsyncSession, participant_ids: list[str], *, lock: bool = False
) -> dict[str, domain.Standing]:
    """What grants knows of each participant (absent when nothing is known)."""
    query = sa.select(participants).where(participants.c.participant_id.in_(participant_ids))
    if lock:
        query = query.with_for_update()
    rows = (await session.execute(query)).all()
    return {
        r.participant_id: domain.Standing(
            participant_id=r.participant_id,
            recruited=r.recruited_on is not None,
            eligibility=domain.Eligibility(r.eligibility),
            withdrawn=r.withdrawn_on is not None,
            at_risk_of_exclusion=r.at_risk_of_exclusion,
        )
        for r in rows
    }


async def get_participant(session: AsyncSession, participant_id: str) -> Row[*tuple[Any, ...]] | None:
    return (
        await session.execute(sa.select(participants).where(participants.c.participant_id == participant_id))
    ).first()


async def applicant_exists(session: AsyncSession, *, applicant_kind: str, applicant_id: str) -> bool:
    column = initiative_groups.c.group_id if applicant_kind == "initiative_group" else organisations.c.organisation_id
    return await session.scalar(sa.select(sa.literal(True)).where(column == applicant_id)) is not None


async def get_initiative_group(session: AsyncSession, group_id: str) -> Row[*tuple[Any, ...]] | None:
    return (await session.execute(sa.select(initiative_groups).where(initiative_groups.c.group_id == group_id))).first()


async def get_organisation(session: AsyncSession, organisation_id: str) -> Row[*tuple[Any, ...]] | None:
    return (
        await session.execute(sa.select(organisations).where(organisations.c.organisation_id == organisation_id))
    ).first()


# --- applications --------------------------------------------------------------------------------------------


async def add_application(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(applications).values(**values))


async def get_application(session: AsyncSession, application_id: str) -> Row[*tuple[Any, ...]] | None:
    return (
        await session.execute(sa.select(applications).where(applications.c.application_id == application_id))
    ).first()


async def disbursed_total(session: AsyncSession, application_id: str) -> Decimal:
    total = await session.scalar(
        sa.select(sa.func.sum(disbursements.c.amount)).where(disbursements.c.application_id == application_id)
    )
    return total if total is not None else Decimal("0.00")


async def load_application(session: AsyncSession, application_id: str) -> domain.Application | None:
    """The application as an aggregate, its row locked until the transaction ends (serialises payments)."""
    row = (
        await session.execute(
            sa.select(applications).where(applications.c.application_id == application_id).with_for_update()
        )
    ).first()
    if row is None:
        return None
    return domain.Application(
        application_id=row.application_id,
        submitted_on=row.submitted_on,
        jobs_planned=row.jobs_planned,
        status=domain.ApplicationStatus(row.status),
        evaluated_on=row.evaluated_on,
        awarded_on=row.awarded_on,
        total_awarded=row.total_awarded,
        disbursed=await disbursed_total(session, application_id),
    )


async def update_application(session: AsyncSession, application_id: str, **values: Any) -> None:
    await session.execute(
        sa.update(applications).where(applications.c.application_id == application_id).values(**values)
    )


async def add_disbursement(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(disbursements).values(**values))


async def list_disbursements(session: AsyncSession, application_id: str) -> Sequence[Row[*tuple[Any, ...]]]:
    paid = disbursements.c
    query = _belonging(disbursements, paid.application_id, application_id, (paid.disbursed_on, paid.disbursement_id))
    return (await session.execute(query)).all()


# --- cooperatives --------------------------------------------------------------------------------------------


async def krs_taken(session: AsyncSession, krs: str) -> bool:
    return await session.scalar(sa.select(sa.literal(True)).where(cooperatives.c.krs == krs)) is not None


async def cooperative_funded_by(session: AsyncSession, application_id: str) -> str | None:
    return await session.scalar(
        sa.select(cooperatives.c.cooperative_id).where(cooperatives.c.application_id == application_id)
    )


async def add_cooperative(session: AsyncSession, *, founder_ids: list[str], **values: Any) -> None:
    await session.execute(sa.insert(cooperatives).values(**values))
    if not founder_ids:  # founded by legal persons: they are its members (add_members)
        return
    await session.execute(
        sa.insert(cooperative_founders),
        [
            {"cooperative_id": values["cooperative_id"], "participant_id": pid, "position": i}
            for i, pid in enumerate(founder_ids)
        ],
    )


async def add_members(
    session: AsyncSession,
    *,
    cooperative_id: str,
    member_kind: str,
    member_ids: list[str],
    joined_on: dt.date,
    founder: bool,
) -> None:
    await session.execute(
        sa.insert(cooperative_members),
        [
            {
                "cooperative_id": cooperative_id,
                "member_id": mid,
                "member_kind": member_kind,
                "joined_on": joined_on,
                "founder": founder,
            }
            for mid in member_ids
        ],
    )


async def members_of(session: AsyncSession, cooperative_id: str) -> Sequence[Row[*tuple[Any, ...]]]:
    """Members besides the founding participants, in the order they joined."""
    members = cooperative_members.c
    query = _belonging(
        cooperative_members, members.cooperative_id, cooperative_id, (members.joined_on, members.member_id)
    )
    return (await session.execute(query)).all()


async def de_minimis_aid_of(
    session: AsyncSession, *, beneficiary_kind: str, beneficiary_id: str
) -> list[domain.DeMinimisAid]:
    rows = await session.execute(
        sa.select(de_minimis_aid.c.granted_on, de_minimis_aid.c.amount_eur).where(
            de_minimis_aid.c.beneficiary_kind == beneficiary_kind, de_minimis_aid.c.beneficiary_id == beneficiary_id
        )
    )
    return [domain.DeMinimisAid(granted_on=r.granted_on, amount_eur=r.amount_eur) for r in rows]


async def add_de_minimis_aid(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(de_minimis_aid).values(**values))


async def lock_beneficiary(session: AsyncSession, *, beneficiary_kind: str, beneficiary_id: str) -> None:
    """Lock the undertaking's read-model row: two awards to it are checked against the ceiling one after the other."""
    key = initiative_groups.c.group_id if beneficiary_kind == "initiative_group" else organisations.c.organisation_id
    await session.execute(sa.select(key).where(key == beneficiary_id).with_for_update())


async def known_organisations(session: AsyncSession, organisation_ids: list[str]) -> set[str]:
    rows = await session.scalars(
        sa.select(organisations.c.organisation_id).where(organisations.c.organisation_id.in_(organisation_ids))
    )
    return set(rows.all())


async def lock_cooperative(session: AsyncSession, cooperative_id: str) -> Row[*tuple[Any, ...]] | None:
    """The cooperative's row, locked so that two admissions cannot both take the fiftieth place."""
    return (
        await session.execute(
            sa.select(cooperatives).where(cooperatives.c.cooperative_id == cooperative_id).with_for_update()
        )
    ).first()


async def get_cooperative(session: AsyncSession, cooperative_id: str) -> Row[*tuple[Any, ...]] | None:
    return (
        await session.execute(sa.select(cooperatives).where(cooperatives.c.cooperative_id == cooperative_id))
    ).first()


async def founders_of(session: AsyncSession, cooperative_id: str) -> list[str]:
    founders = cooperative_founders.c
    query = _belonging(founders.participant_id, founders.cooperative_id, cooperative_id, (founders.position,))
    return list((await session.scalars(query)).all())


async def job_ids_of(session: AsyncSession, cooperative_id: str) -> list[str]:
    query = _belonging(jobs.c.job_id, jobs.c.cooperative_id, cooperative_id, (jobs.c.created_on, jobs.c.job_id))
    return list((await session.scalars(query)).all())


# --- jobs ----------------------------------------------------------------------------------------------------


async def active_job_of(session: AsyncSession, participant_id: str) -> str | None:
    return await session.scalar(
        sa.select(jobs.c.job_id).where(jobs.c.participant_id == participant_id, jobs.c.ended_on.is_(None))
    )


async def add_job(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(jobs).values(**values))


async def get_job(session: AsyncSession, job_id: str) -> Row[*tuple[Any, ...]] | None:
    return (await session.execute(sa.select(jobs).where(jobs.c.job_id == job_id))).first()


async def list_bridge_payments(session: AsyncSession, job_id: str) -> Sequence[Row[*tuple[Any, ...]]]:
    paid = bridge_payments.c
    query = _belonging(bridge_payments, paid.job_id, job_id, (paid.instalment,))
    return (await session.execute(query)).all()


async def load_job(session: AsyncSession, job_id: str, *, sustainability_months: int) -> domain.Job | None:
    """The job as an aggregate, its row locked until the transaction ends."""
    row = (await session.execute(sa.select(jobs).where(jobs.c.job_id == job_id).with_for_update())).first()
    if row is None:
        return None
    paid = {p.instalment for p in await list_bridge_payments(session, job_id)}
    return domain.Job(
        job_id=row.job_id,
        created_on=row.created_on,
        bridge_months=row.bridge_months,
        instalments_paid=paid,
        ended_on=row.ended_on,
        sustained_on=row.sustained_on,
        sustainability_months=sustainability_months,
        working_time=domain.WorkingTime(row.working_time or domain.WorkingTime.FULL_TIME),
        maintenance_funded_on=row.maintenance_funded_on,
        not_sustained_on=row.not_sustained_on,
    )


async def update_job(session: AsyncSession, job_id: str, **values: Any) -> None:
    await session.execute(sa.update(jobs).where(jobs.c.job_id == job_id).values(**values))


async def add_bridge_payment(
    session: AsyncSession, *, job_id: str, instalment: int, amount: Decimal, paid_on: dt.date
) -> None:
    await session.execute(
        sa.insert(bridge_payments).values(job_id=job_id, instalment=instalment, amount=amount, paid_on=paid_on)
    )


async def list_cooperatives(session: AsyncSession) -> Sequence[Row[*tuple[Any, ...]]]:
    """Every cooperative recorded, with its number of founders and jobs; the newest first."""
    founders = (
        sa.select(cooperative_founders.c.cooperative_id, sa.func.count().label("founders"))
        .group_by(cooperative_founders.c.cooperative_id)
        .subquery()
    )
    job_counts = (
        sa.select(jobs.c.cooperative_id, sa.func.count().label("jobs")).group_by(jobs.c.cooperative_id).subquery()
    )
    rows = await session.execute(
        sa.select(
            cooperatives,
            sa.func.coalesce(founders.c.founders, 0).label("founders"),
            sa.func.coalesce(job_counts.c.jobs, 0).label("jobs"),
        )
        .select_from(
            cooperatives.outerjoin(founders, founders.c.cooperative_id == cooperatives.c.cooperative_id).outerjoin(
                job_counts, job_counts.c.cooperative_id == cooperatives.c.cooperative_id
            )
        )
        .order_by(cooperatives.c.founded_on.desc(), cooperatives.c.cooperative_name)
    )
    return rows.all()


async def list_applications(session: AsyncSession, *, limit: int = 500) -> Sequence[Row[*tuple[Any, ...]]]:
    """Every application with what has been paid out of it, the newest first."""
    paid = (
        sa.select(disbursements.c.application_id, sa.func.sum(disbursements.c.amount).label("disbursed"))
        .group_by(disbursements.c.application_id)
        .subquery()
    )
    rows = await session.execute(
        sa.select(applications, paid.c.disbursed)
        .select_from(applications.outerjoin(paid, paid.c.application_id == applications.c.application_id))
        .order_by(applications.c.submitted_on.desc(), applications.c.application_id)
        .limit(limit)
    )
    return rows.all()
