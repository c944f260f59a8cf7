"""All SQL of reporting: writing read-model rows (upserts with the merge rule of domain.py, one by one or in
bulk), the indicator queries over the read models, the participant funnel, partner activity, and the reset
before a rebuild."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from types import TracebackType
from typing import Any, Self, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from . import tables
from .domain import TABLE_OF, merger
from .tables import (
    READ_MODELS,
    advisory_sessions,
    bridge_support,
    cooperatives,
    disbursements,
    grant_applications,
    initiative_groups,
    jobs,
    mentoring,
    organisations,
    participants,
    partner_activity,
    trainings,
)


@cache
def upsert_statement(table: sa.Table, dialect: str) -> sa.Insert:
    """INSERT ... ON CONFLICT (key) DO UPDATE with the merge rules, for PostgreSQL or SQLite."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    stmt = insert(table)
    key = [c.name for c in table.primary_key.columns]
    updates = {}
    for column in table.columns:
        if column.primary_key:
            continue
        new, old = stmt.excluded[column.name], column
        if column.info.get("merge") == "max":
            updates[column.name] = (
                sa.func.greatest(new, old)
                if dialect == "postgresql"
                else sa.func.max(sa.func.coalesce(new, old), sa.func.coalesce(old, new))
            )
        else:
            updates[column.name] = sa.func.coalesce(new, old)
    return stmt.on_conflict_do_update(index_elements=key, set_=updates)


Connection = AsyncSession | AsyncConnection


def dialect_name(connection: Connection) -> str:
    """ "postgresql" or "sqlite", for an AsyncSession or an AsyncConnection."""
    # The service's sessions are always bound to its engine: a session's bind is never None here.
    bind = cast(AsyncEngine | AsyncConnection, connection.bind) if isinstance(connection, AsyncSession) else connection
    return bind.dialect.name


async def write_rows(connection: Connection, rows: Iterable[Any]) -> int:
    """Upsert rows (of any read models) with the merge rules; `connection` is an AsyncSession or AsyncConnection."""
    by_type: dict[type, list[dict]] = defaultdict(list)
    for row in rows:
        by_type[type(row)].append(row._asdict())
    dialect = dialect_name(connection)
    written = 0
    for row_type, values in by_type.items():
        await connection.execute(upsert_statement(TABLE_OF[row_type], dialect), values)
        written += len(values)
    return written


class MergedRows:
    """Rows merged in memory by key, with the live path's merge rule, until they are written in bulk: the rebuild
    and the live consumer's batches fold through this one buffer."""

    def __init__(self) -> None:
        self.rows: dict[tuple, tuple] = {}
        self.key_length = _KEY_LENGTH
        self.mergers = _MERGERS

    def add(self, row: tuple) -> None:
        row_type = type(row)
        n = self.key_length[row_type]
        key = (row_type, row[0]) if n == 1 else (row_type, *row[:n])
        old = self.rows.get(key)
        self.rows[key] = row if old is None else self.mergers[row_type](old, row)

    def take(self) -> list[tuple]:
        rows, self.rows = list(self.rows.values()), {}
        return rows


_KEY_LENGTH = {t: len(table.primary_key.columns) for t, table in TABLE_OF.items()}
_MERGERS = {t: merger(t) for t in TABLE_OF}
# (row type, dialect name) -> (SQL, column order, bind processors): compiled once per process, not per batch
_PLANS: dict[tuple[type, str], tuple[str, list[int], list]] = {}


def _plan(row_type: type, dialect: sa.Dialect) -> tuple[str, list[int], list]:
    plan = _PLANS.get((row_type, dialect.name))
    if plan is None:
        table = TABLE_OF[row_type]
        compiled = upsert_statement(table, dialect.name).compile(dialect=dialect)
        names = [c.name for c in table.columns]
        # Set, as both drivers' paramstyles are positional (qmark, numeric_dollar).
        positions = cast(list[str], compiled.positiontup)
        order = [names.index(n) for n in positions]
        # Both drivers take Python bools as they are; dates and times need the dialect's own conversion.
        processors = [
            None if isinstance(table.c[n].type, sa.Boolean) else table.c[n].type._cached_bind_processor(dialect)
            for n in positions
        ]
        plan = _PLANS[(row_type, dialect.name)] = (str(compiled), order, processors)
    return plan


# (row type, dialect name) -> the upsert taking every row at once as column arrays (PostgreSQL's unnest)
_UNNEST_PLANS: dict[tuple[type, str], str] = {}


def _distinct_keys(row_type: type, rows: list[tuple]) -> bool:
    """Whether no two rows share a key: one INSERT ... ON CONFLICT DO UPDATE may not update a row twice."""
    n = _KEY_LENGTH[row_type]
    return len({row[:n] for row in rows}) == len(rows)


def _unnest_plan(row_type: type, dialect: sa.Dialect) -> str:
    """The live upsert with `SELECT * FROM unnest($1::type[], ...)` for its VALUES: a batch's rows of one read model
    in one statement instead of one execution each (the server's per-execution cost was most of a PostgreSQL
    catch-up's wait, docs/performance.md). Same merge rule, same columns; asyncpg takes the values as they are."""
    plan = _UNNEST_PLANS.get((row_type, dialect.name))
    if plan is None:
        table = TABLE_OF[row_type]
        names = [c.name for c in table.columns]
        sql = str(upsert_statement(table, dialect.name).compile(dialect=dialect))
        head, values, tail = sql.partition(" VALUES (")
        if not values or not head.rstrip().endswith(f"({', '.join(names)})"):
            raise RuntimeError(f"unexpected upsert for {table.name}: {sql}")
        arrays = ", ".join(f"${i}::{table.c[n].type.compile(dialect=dialect)}[]" for i, n in enumerate(names, 1))
        conflict = tail[tail.index(")") + 1 :]
        plan = f"{head} SELECT * FROM unnest({arrays}){conflict}"  # noqa: S608 (our own tables' names and types)
        _UNNEST_PLANS[(row_type, dialect.name)] = plan
    return plan


class BulkWriter:
    """Upserts many rows at once through the driver (executemany), with the very statement the live path runs.

    Values go through SQLAlchemy's own bind processors for the dialect, so they are stored exactly as the live
    path stores them. One write runs in the background while the caller goes on folding the next rows.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self._pending: asyncio.Task[None] | None = None
        self.written = 0
        self.seconds_writing = 0.0  # in the database
        self.seconds_waited = 0.0  # by the caller, for the previous write to finish

    def _prepare(self, row_type: type, rows: list[tuple]) -> tuple[str, list[Any], bool]:
        """The SQL and its values for the driver, and whether the SQL takes all rows at once (column arrays)."""
        if self.dialect.name == "postgresql" and _distinct_keys(row_type, rows):
            return _unnest_plan(row_type, self.dialect), [list(column) for column in zip(*rows, strict=True)], True
        sql, order, processors = _plan(row_type, self.dialect)
        steps = list(zip(order, processors, strict=False))
        if all(p is None for _, p in steps) and order == list(range(len(order))):
            return sql, rows, False
        return sql, [tuple(v if (v := row[i]) is None or p is None else p(v) for i, p in steps) for row in rows], False

    async def _write(self, batches: list[tuple[str, list[Any], bool]], rows: int) -> None:
        started = time.perf_counter()
        raw = await self.connection.get_raw_connection()
        driver = cast(Any, raw.driver_connection)  # never None on a connection checked out of the pool
        for sql, values, columns in batches:
            if columns:
                await driver.execute(sql, *values)
            else:
                await driver.executemany(sql, values)
        self.written += rows
        self.seconds_writing += time.perf_counter() - started

    async def write(self, rows: list[tuple]) -> None:
        """Start writing these rows once the previous write is done; returns while they are being written."""
        by_type: dict[type, list[tuple]] = defaultdict(list)
        for row in rows:
            by_type[type(row)].append(row)
        await self.write_grouped(by_type)

    async def write_grouped(self, by_type: dict[type, list[tuple]]) -> None:
        """The same, for rows already grouped by row type (plain tuples in column order will do)."""
        batches = [self._prepare(t, r) for t, r in by_type.items() if r]
        started = time.perf_counter()
        await self.wait()
        self.seconds_waited += time.perf_counter() - started
        self._pending = asyncio.create_task(self._write(batches, sum(len(r) for r in by_type.values())))

    async def wait(self) -> None:
        if self._pending is not None:
            task, self._pending = self._pending, None
            await task

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """On an error, let a write in flight finish before the transaction is rolled back."""
        if exc_type is not None and self._pending is not None:
            with contextlib.suppress(Exception):
                await self.wait()


async def write_merged(session: AsyncSession, rows: MergedRows) -> int:
    """Upsert a consumer batch's merged rows in bulk, in the session's transaction (with its inbox claims).

    The driver's own transaction must be open: on asyncpg it begins with the session's first statement (the
    consumer's duplicate query runs before this), and a driver call before that would commit on its own.
    """
    writer = BulkWriter(await session.connection())
    await writer.write(rows.take())
    await writer.wait()
    return writer.written


# --- indicator queries: one row per counted unit, with its dimensions -----------------------------------
NGO_TYPES = ("association", "foundation", "church_legal_person")
Expr = sa.ColumnElement[Any]
# each table's columns by the table's initial
P, G, A, M, T = participants.c, grant_applications.c, advisory_sessions.c, mentoring.c, trainings.c
O = organisations.c  # noqa: E741
J, B, C, D, IG = jobs.c, bridge_support.c, cooperatives.c, disbursements.c, initiative_groups.c


def month_of(column: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[Any]:
    """'YYYY-MM' of a date column (SQLite stores dates as ISO text)."""
    if dialect == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.substr(column, 1, 7)


def _units(
    dialect: str,
    *,
    partner: Expr,
    month: Expr,
    value: Expr | None = None,
    county: Expr | None = None,
    gender: Expr | None = None,
    age_band: Expr | None = None,
    kind: Expr | None = None,
) -> list[sa.Label[Any]]:
    """The select list every indicator query shares; NULL for dimensions that do not apply."""

    def col(expr: Expr | None, name: str) -> sa.Label[Any]:
        return (expr if expr is not None else sa.null()).label(name)

    return [
        col(partner, "partner"),
        col(county, "county"),
        col(gender, "gender"),
        col(age_band, "age_band"),
        month_of(month, dialect).label("month"),
        col(kind, "kind"),
        (value if value is not None else sa.literal(1)).label("value"),
    ]


def _person(
    dialect: str, *, partner: Expr, month: Expr, value: Expr | None = None, kind: Expr | None = None
) -> list[sa.Label[Any]]:
    return _units(
        dialect,
        partner=partner,
        month=month,
        value=value,
        county=P.county,
        gender=P.gender,
        age_band=P.age_band,
        kind=kind,
    )


def q_people_supported(d: str) -> sa.Select:
    return sa.select(*_person(d, partner=P.partner, month=P.recruited_on)).where(
        P.recruited_on.is_not(None), sa.or_(P.eligibility.is_(None), P.eligibility != "rejected")
    )


def q_ngos_started_economic_activity(d: str) -> sa.Select:
    return sa.select(*_units(d, partner=O.partner, county=O.county, month=O.activity_started_on)).where(
        O.organisation_type.in_(NGO_TYPES), O.activity_started_on.is_not(None), O.runs_economic_activity == sa.false()
    )


def q_social_enterprises_strengthened(d: str) -> sa.Select:
    supports = sa.union_all(
        sa.select(A.organisation_id.label("org"), A.held_on.label("support_on")).where(A.organisation_id.is_not(None)),
        sa.select(M.organisation_id, M.provided_on).where(M.organisation_id.is_not(None)),
        sa.select(G.applicant_id, G.awarded_on).where(G.applicant_kind == "organisation", G.awarded_on.is_not(None)),
    ).subquery("supports")
    first = (
        sa.select(supports.c.org, sa.func.min(supports.c.support_on).label("first_on"))
        .group_by(supports.c.org)
        .subquery("first_support")
    )
    return (
        sa.select(*_units(d, partner=O.partner, county=O.county, month=first.c.first_on))
        .select_from(organisations.join(first, first.c.org == O.organisation_id))
        .where(O.is_social_enterprise == sa.true(), O.enrolled_on.is_not(None))
    )


def q_new_social_enterprises(d: str) -> sa.Select:
    return sa.select(*_units(d, partner=C.partner, county=C.county, month=C.founded_on)).where(
        C.founded_on.is_not(None)
    )


def _jobs(d: str, when: Expr, *extra: sa.ColumnElement[bool]) -> sa.Select:
    return (
        sa.select(*_person(d, partner=J.partner, month=when))
        .select_from(jobs.outerjoin(participants, P.participant_id == J.participant_id))
        .where(when.is_not(None), *extra)
    )


def q_jobs_for_people_at_risk(d: str) -> sa.Select:
    return _jobs(d, J.created_on, P.at_risk_of_exclusion == sa.true())


def q_jobs_created(d: str) -> sa.Select:
    return _jobs(d, J.created_on)


def q_jobs_sustained(d: str) -> sa.Select:
    return _jobs(d, J.sustained_on)


def q_jobs_not_sustained(d: str) -> sa.Select:
    return _jobs(d, J.not_sustained_on)


def q_job_maintenance_funded(d: str) -> sa.Select:
    return (
        sa.select(*_person(d, partner=J.partner, month=J.maintenance_funded_on, value=J.maintenance_grosze))
        .select_from(jobs.outerjoin(participants, P.participant_id == J.participant_id))
        .where(J.maintenance_funded_on.is_not(None))
    )


def _applicant_county() -> Expr:
    return sa.func.coalesce(O.county, IG.county)


def _with_applicant(table: sa.FromClause) -> sa.Join:
    return table.outerjoin(
        organisations, sa.and_(G.applicant_kind == "organisation", O.organisation_id == G.applicant_id)
    ).outerjoin(initiative_groups, sa.and_(G.applicant_kind == "initiative_group", IG.group_id == G.applicant_id))


def q_joint_cross_sector_initiatives(d: str) -> sa.Select:
    return (
        sa.select(*_units(d, partner=G.partner, county=_applicant_county(), month=G.awarded_on))
        .select_from(_with_applicant(grant_applications))
        .where(G.applicant_kind == "organisation", G.awarded_on.is_not(None))
    )


def q_initiative_groups(d: str) -> sa.Select:
    return sa.select(*_units(d, partner=IG.partner, county=IG.county, month=IG.formed_on)).where(
        IG.formed_on.is_not(None)
    )


def q_organisations_supported(d: str) -> sa.Select:
    return sa.select(*_units(d, partner=O.partner, county=O.county, month=O.enrolled_on)).where(
        O.enrolled_on.is_not(None)
    )


def _hours(
    d: str, table: sa.Table, cols: ReadOnlyColumnCollection[str, sa.Column[Any]], when: Expr, kind: Expr | None = None
) -> sa.Select:
    source = table.outerjoin(participants, P.participant_id == cols.participant_id).outerjoin(
        organisations, O.organisation_id == cols.organisation_id
    )
    return (
        sa.select(
            *_units(
                d,
                partner=cols.partner,
                county=sa.func.coalesce(P.county, O.county),
                gender=P.gender,
                age_band=P.age_band,
                month=when,
                value=cols.hours_hundredths,
                kind=kind,
            )
        )
        .select_from(source)
        .where(when.is_not(None))
    )


def q_advisory_hours(d: str) -> sa.Select:
    return _hours(d, advisory_sessions, A, A.held_on, kind=A.kind)


def q_mentoring_hours(d: str) -> sa.Select:
    return _hours(d, mentoring, M, M.provided_on)


def q_trainings_completed(d: str) -> sa.Select:
    return (
        sa.select(*_person(d, partner=T.partner, month=T.completed_on))
        .select_from(trainings.outerjoin(participants, P.participant_id == T.participant_id))
        .where(T.completed_on.is_not(None))
    )


def q_bridge_support_paid(d: str) -> sa.Select:
    source = bridge_support.outerjoin(jobs, J.job_id == B.job_id).outerjoin(
        participants, P.participant_id == J.participant_id
    )
    return (
        sa.select(*_person(d, partner=B.partner, month=B.paid_on, value=B.amount_grosze))
        .select_from(source)
        .where(B.paid_on.is_not(None))
    )


def q_grants_awarded(d: str) -> sa.Select:
    return (
        sa.select(*_units(d, partner=G.partner, county=_applicant_county(), month=G.awarded_on))
        .select_from(_with_applicant(grant_applications))
        .where(G.awarded_on.is_not(None))
    )


def q_grants_awarded_pln(d: str) -> sa.Select:
    return (
        sa.select(*_units(d, partner=G.partner, county=_applicant_county(), month=G.awarded_on, value=G.awarded_grosze))
        .select_from(_with_applicant(grant_applications))
        .where(G.awarded_on.is_not(None))
    )


def q_grants_disbursed_pln(d: str) -> sa.Select:
    source = _with_applicant(disbursements.outerjoin(grant_applications, G.application_id == D.application_id))
    return (
        sa.select(
            *_units(d, partner=D.partner, county=_applicant_county(), month=D.disbursed_on, value=D.amount_grosze)
        )
        .select_from(source)
        .where(D.disbursed_on.is_not(None))
    )


async def indicator_cube(
    connection: Connection, query: Callable[[str], sa.Select], dimensions: tuple[str, ...]
) -> list[sa.Row[*tuple[Any, ...]]]:
    """The indicator's units summed by every combination of its dimensions: rows of (*buckets, value)."""
    units = query(dialect_name(connection)).subquery("units")
    dims = [units.c[d] for d in dimensions]
    return list((await connection.execute(sa.select(*dims, sa.func.sum(units.c.value)).group_by(*dims))).all())


async def participant_funnel(connection: Connection) -> dict[str, int]:
    p = tables.participants.c
    recruited = p.recruited_on.is_not(None)

    def count(*conditions: sa.ColumnElement[bool]) -> Expr:
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(recruited, *conditions), 1), else_=0)), 0)

    row = (
        await connection.execute(
            sa.select(
                count(),
                count(p.eligibility == "confirmed"),
                count(p.eligibility == "rejected"),
                count(p.eligibility.is_(None)),
                count(p.withdrawn_on.is_not(None)),
                count(p.erased == sa.true()),
            )
        )
    ).one()
    return dict(
        zip(("recruited", "eligible", "rejected", "pending", "withdrawn", "erased"), map(int, row), strict=False)
    )


async def people_outside_subregion(connection: Connection) -> tuple[int, int]:
    """(people supported, of them from outside the project's subregion), as the people_supported indicator counts."""
    supported = q_people_supported(dialect_name(connection)).with_only_columns(P.outside_subregion).subquery()
    row = (
        await connection.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((supported.c.outside_subregion == sa.true(), 1), else_=0)), 0),
            ).select_from(supported)
        )
    ).one()
    return int(row[0]), int(row[1])


async def partner_activity_rows(connection: Connection) -> list[sa.Row[*tuple[Any, ...]]]:
    """The last event seen from each partner, by producing service and partner."""
    return list(
        (
            await connection.execute(
                sa.select(partner_activity).order_by(partner_activity.c.producer, partner_activity.c.partner)
            )
        ).all()
    )


async def clear_read_models(connection: AsyncConnection) -> None:
    """Empty every read model before a rebuild."""
    if dialect_name(connection) == "postgresql":
        names = ", ".join(t.name for t in READ_MODELS)
        await connection.exec_driver_sql(f"TRUNCATE {names}")
    else:
        for table in READ_MODELS:
            await connection.execute(table.delete())


async def count_rows(connection: AsyncConnection) -> int:
    """Rows in every read model together."""
    return sum([await connection.scalar(sa.select(sa.func.count()).select_from(t)) for t in READ_MODELS])


# --- social enterprise status (the voivode's conditions, tracked from grants' job events) ----------------------
HALF_TIME_OR_MORE = ("full_time", "three_quarters", "half_time")


async def social_enterprise_status(session: AsyncSession, on: dt.date) -> list[dict[str, Any]]:
    """Each supported cooperative on a day: people employed at half time or more, and how many of them are at risk
    of social exclusion (a job before its working time travelled was full time)."""
    employed = sa.and_(
        J.cooperative_id == C.cooperative_id,
        J.created_on <= on,
        sa.or_(J.ended_on.is_(None), J.ended_on >= on),
        sa.or_(J.working_time.is_(None), J.working_time.in_(HALF_TIME_OR_MORE)),
    )
    at_risk = sa.case((P.at_risk_of_exclusion == sa.true(), 1), else_=0)
    query = (
        sa.select(
            C.cooperative_id,
            C.partner,
            C.county,
            C.founded_on,
            sa.func.count(sa.distinct(J.participant_id)).label("employees"),
            sa.func.coalesce(sa.func.sum(at_risk), 0).label("at_risk"),
        )
        .select_from(
            cooperatives.outerjoin(jobs, employed).outerjoin(participants, P.participant_id == J.participant_id)
        )
        .where(C.founded_on.is_not(None), C.founded_on <= on)
        .group_by(C.cooperative_id, C.partner, C.county, C.founded_on)
        .order_by(C.cooperative_id)
    )
    return [dict(r._mapping) for r in (await session.execute(query)).all()]
