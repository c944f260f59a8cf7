"""All recruitment queries."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Row
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from owes_contracts import EligibilityRejectionReason, WithdrawalReason

from .schemas import InitiativeGroupSummary, InitiativeGroupView, OrganisationView, ParticipantRecord
from .tables import initiative_group_members, initiative_groups, organisations, outbox, participants

# Erasure nulls these columns (the notes too: staff's words may name the person; the at-risk categories too); the
# pseudonymous id, the coarse attributes and the reason codes stay.
PERSONAL_DATA_COLUMNS = (
    "pesel",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "rejection_reason",
    "withdrawal_reason",
    "at_risk_categories",  # addiction, mental health, prison: sensitive; the coarse at_risk_of_exclusion stays
)


# A registration's insert, built once with its values as parameters (building and cache-keying a new
# insert().values() per request cost SQLAlchemy more than running it), one per dialect: a PESEL already registered
# (the column's unique index) inserts nothing, in the same statement (docs/performance.md).
_ADD_PARTICIPANT = {
    name: dialect.insert(participants).on_conflict_do_nothing(index_elements=["pesel"])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


async def add_participant(session: AsyncSession, **values: Any) -> bool:
    """Insert a participant; False, with nothing inserted, when their PESEL is already registered."""
    result = await session.execute(_ADD_PARTICIPANT[session.get_bind().dialect.name], values)
    return cast(CursorResult[Any], result).rowcount == 1


def _participant(row: Row[Any]) -> ParticipantRecord:
    return ParticipantRecord.model_validate({**row._mapping, "erased": row.erased_at is not None})


async def get_participant(
    session: AsyncSession, *, participant_id: str, for_update: bool = False
) -> ParticipantRecord | None:
    query = sa.select(participants).where(participants.c.participant_id == participant_id)
    if for_update:  # serialises concurrent decisions about one participant on PostgreSQL
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return None if row is None else _participant(row)


async def update_participant(session: AsyncSession, *, participant_id: str, **values: Any) -> None:
    await session.execute(
        sa.update(participants).where(participants.c.participant_id == participant_id).values(**values)
    )


async def erase_personal_data(session: AsyncSession, *, participant_id: str, erased_at: dt.datetime) -> None:
    await update_participant(
        session, participant_id=participant_id, erased_at=erased_at, **dict.fromkeys(PERSONAL_DATA_COLUMNS)
    )


# Events whose `reason` was staff's free text before reasons became codes (issue 13); only these may hold words
# typed about a person in the outbox.
_FREE_TEXT_REASONS: dict[str, type[EligibilityRejectionReason] | type[WithdrawalReason]] = {
    "pl.owes.recruitment.ParticipantEligibilityRejected": EligibilityRejectionReason,
    "pl.owes.recruitment.ParticipantWithdrawn": WithdrawalReason,
}


async def scrub_outbox(session: AsyncSession, *, participant_id: str) -> int:
    """Replace the free-text reason in the participant's outbox rows by the fixed label of its code ("other" for
    rows written before codes); return how many rows changed. The outbox is kept (and republished to a broker
    that lost its log), so an erasure must reach it too."""
    rows = await session.execute(
        sa.select(outbox.c.seq, outbox.c.event_type, outbox.c.value).where(
            outbox.c.key == participant_id, outbox.c.event_type.in_(list(_FREE_TEXT_REASONS))
        )
    )
    changed = 0
    for row in rows:
        payload = json.loads(row.value)
        codes = _FREE_TEXT_REASONS[row.event_type]
        code = codes(payload.get("reason_code") or "other")
        if payload.get("reason") == code.label and payload.get("reason_code") == code.value:
            continue
        payload |= {"reason": code.label, "reason_code": code.value}
        await session.execute(sa.update(outbox).where(outbox.c.seq == row.seq).values(value=json.dumps(payload)))
        changed += 1
    return changed


async def participant_statuses(session: AsyncSession, *, participant_ids: list[str]) -> dict[str, str]:
    """The status of each listed participant that exists, locking the rows until the transaction ends."""
    rows = await session.execute(
        sa.select(participants.c.participant_id, participants.c.status)
        .where(participants.c.participant_id.in_(participant_ids))
        .with_for_update()
    )
    return {row.participant_id: row.status for row in rows}


async def nip_taken(session: AsyncSession, *, nip: str) -> bool:
    return await session.scalar(sa.select(sa.literal(True)).where(organisations.c.nip == nip)) is not None


async def krs_taken(session: AsyncSession, *, krs: str) -> bool:
    return await session.scalar(sa.select(sa.literal(True)).where(organisations.c.krs == krs)) is not None


async def add_organisation(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(organisations).values(**values))


async def get_organisation(
    session: AsyncSession, *, organisation_id: str, for_update: bool = False
) -> OrganisationView | None:
    query = sa.select(organisations).where(organisations.c.organisation_id == organisation_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return None if row is None else OrganisationView.model_validate(row, from_attributes=True)


async def update_organisation(session: AsyncSession, *, organisation_id: str, **values: Any) -> None:
    await session.execute(
        sa.update(organisations).where(organisations.c.organisation_id == organisation_id).values(**values)
    )


async def add_initiative_group(session: AsyncSession, *, member_ids: list[str], **values: Any) -> None:
    await session.execute(sa.insert(initiative_groups).values(**values))
    await session.execute(
        sa.insert(initiative_group_members), [{"group_id": values["group_id"], "participant_id": m} for m in member_ids]
    )


async def get_initiative_group(session: AsyncSession, *, group_id: str) -> InitiativeGroupView | None:
    """The group with its member ids, or None."""
    query = sa.select(initiative_groups).where(initiative_groups.c.group_id == group_id)
    group = (await session.execute(query)).first()
    if group is None:
        return None
    members = (
        await session.scalars(
            sa.select(initiative_group_members.c.participant_id)
            .where(initiative_group_members.c.group_id == group_id)
            .order_by(initiative_group_members.c.participant_id)
        )
    ).all()
    return InitiativeGroupView.model_validate({**group._mapping, "member_ids": list(members)})


async def search_participants(
    session: AsyncSession,
    *,
    text: str | None = None,
    status: str | None = None,
    county: str | None = None,
    limit: int = 200,
) -> list[ParticipantRecord]:
    """Participants matching a name or PESEL fragment, a status and a county; newest first."""
    query = sa.select(participants).order_by(participants.c.recruited_on.desc(), participants.c.participant_id)
    if text:
        like = f"%{text.strip()}%"
        query = query.where(
            sa.or_(
                participants.c.pesel.startswith(text.strip()),
                (participants.c.first_name + " " + participants.c.last_name).ilike(like),
                (participants.c.last_name + " " + participants.c.first_name).ilike(like),
                participants.c.participant_id == text.strip(),
            )
        )
    if status:
        query = query.where(participants.c.status == status)
    if county:
        query = query.where(participants.c.county == county)
    return [_participant(row) for row in await session.execute(query.limit(limit))]


async def list_organisations(session: AsyncSession, *, limit: int = 500) -> list[OrganisationView]:
    """Enrolled organisations, the newest enrolment first (the staff pages' list)."""
    query = sa.select(organisations).order_by(organisations.c.enrolled_on.desc(), organisations.c.organisation_name)
    rows = await session.execute(query.limit(limit))
    return [OrganisationView.model_validate(row, from_attributes=True) for row in rows]


async def list_initiative_groups(session: AsyncSession, *, limit: int = 500) -> list[InitiativeGroupSummary]:
    """Initiative groups with their number of members, the newest first."""
    members = (
        sa.select(initiative_group_members.c.group_id, sa.func.count().label("members"))
        .group_by(initiative_group_members.c.group_id)
        .subquery()
    )
    query = (
        sa.select(initiative_groups, sa.func.coalesce(members.c.members, 0).label("members"))
        .select_from(initiative_groups.outerjoin(members, members.c.group_id == initiative_groups.c.group_id))
        .order_by(initiative_groups.c.formed_on.desc(), initiative_groups.c.group_id)
    )
    rows = await session.execute(query.limit(limit))
    return [InitiativeGroupSummary.model_validate(row, from_attributes=True) for row in rows]


async def restrict_processing(session: AsyncSession, *, participant_id: str, on: dt.date) -> None:
    """Mark the participant's processing restricted from that day (erasure requested during retention)."""
    await session.execute(
        sa.update(participants)
        .where(participants.c.participant_id == participant_id, participants.c.restricted_on.is_(None))
        .values(restricted_on=on)
    )


async def restricted_participants(session: AsyncSession) -> list[str]:
    """Participants whose erasure waits for the end of the retention period."""
    query = sa.select(participants.c.participant_id).where(
        participants.c.restricted_on.is_not(None), participants.c.erased_at.is_(None)
    )
    return list((await session.scalars(query.order_by(participants.c.participant_id))).all())
