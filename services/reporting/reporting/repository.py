"""Rows of the read models, how two versions of one row merge, and how rows are written.

One merge rule serves both paths: the live consumer upserts each event's rows with it in SQL, and the rebuild
merges rows in memory with the same rule before upserting them in bulk, so both reach the same state.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, NamedTuple, Self

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from . import tables


def _row_type(table: sa.Table) -> type[tuple]:
    """A named tuple with one field per column, all defaulting to None (None means: not known from this event)."""
    names = [c.name for c in table.columns]
    cls = NamedTuple(table.name, [(n, Any) for n in names])
    cls.__new__.__defaults__ = (None,) * len(names)
    return cls


Participant = _row_type(tables.participants)
Organisation = _row_type(tables.organisations)
InitiativeGroup = _row_type(tables.initiative_groups)
AdvisorySession = _row_type(tables.advisory_sessions)
TrainingCompletion = _row_type(tables.trainings)
Mentoring = _row_type(tables.mentoring)
GrantApplication = _row_type(tables.grant_applications)
Disbursement = _row_type(tables.disbursements)
Cooperative = _row_type(tables.cooperatives)
Job = _row_type(tables.jobs)
BridgeInstalment = _row_type(tables.bridge_support)
PartnerActivity = _row_type(tables.partner_activity)

TABLE_OF: dict[type, sa.Table] = {
    Participant: tables.participants, Organisation: tables.organisations, InitiativeGroup: tables.initiative_groups,
    AdvisorySession: tables.advisory_sessions, TrainingCompletion: tables.trainings, Mentoring: tables.mentoring,
    GrantApplication: tables.grant_applications, Disbursement: tables.disbursements,
    Cooperative: tables.cooperatives, Job: tables.jobs, BridgeInstalment: tables.bridge_support,
    PartnerActivity: tables.partner_activity,
}


def key_of(row: tuple) -> tuple:
    """The primary key values of a row (the first columns of every read model)."""
    return row[:_key_length(type(row))]


@cache
def _key_length(row_type: type) -> int:
    return len(TABLE_OF[row_type].primary_key.columns)


def _merge_max(new, old):
    if new is None:
        return old
    if old is None:
        return new
    return max(old, new)


@cache
def merger(row_type: type) -> Callable[[tuple, tuple], tuple]:
    """merge(old, new): per column, the new non-null value wins ("coalesce"), or the greatest one ("max")."""
    rules = tuple(c.info.get("merge", "coalesce") for c in TABLE_OF[row_type].columns)
    if all(r == "coalesce" for r in rules):
        def merge(old: tuple, new: tuple) -> tuple:
            return row_type._make([n if n is not None else o for o, n in zip(old, new)])
    else:
        def merge(old: tuple, new: tuple) -> tuple:
            return row_type._make([_merge_max(n, o) if r == "max" else (n if n is not None else o)
                                   for r, o, n in zip(rules, old, new)])
    return merge


@cache
def upsert_statement(table: sa.Table, dialect: str):
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
            updates[column.name] = (sa.func.greatest(new, old) if dialect == "postgresql" else
                                    sa.func.max(sa.func.coalesce(new, old), sa.func.coalesce(old, new)))
        else:
            updates[column.name] = sa.func.coalesce(new, old)
    return stmt.on_conflict_do_update(index_elements=key, set_=updates)


def dialect_name(connection) -> str:
    """"postgresql" or "sqlite", for an AsyncSession or an AsyncConnection."""
    return (connection.bind if isinstance(connection, AsyncSession) else connection).dialect.name


async def write_rows(connection, rows: Iterable[tuple]) -> int:
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


class BulkWriter:
    """Upserts many rows at once through the driver (executemany), with the very statement the live path runs.

    Values go through SQLAlchemy's own bind processors for the dialect, so they are stored exactly as the live
    path stores them. One write runs in the background while the caller goes on folding the next rows.
    """

    def __init__(self, connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self._pending: asyncio.Task | None = None
        self.written = 0
        self.seconds_writing = 0.0  # in the database
        self.seconds_waited = 0.0  # by the caller, for the previous write to finish

    @cache  # noqa: B019 (one writer per rebuild)
    def _plan(self, row_type: type) -> tuple[str, list[int], list]:
        table = TABLE_OF[row_type]
        compiled = upsert_statement(table, self.dialect.name).compile(dialect=self.dialect)
        names = [c.name for c in table.columns]
        order = [names.index(n) for n in compiled.positiontup]
        # Both drivers take Python bools as they are; dates and times need the dialect's own conversion.
        processors = [None if isinstance(table.c[n].type, sa.Boolean) else
                      table.c[n].type._cached_bind_processor(self.dialect) for n in compiled.positiontup]
        return str(compiled), order, processors

    def _prepare(self, row_type: type, rows: list[tuple]) -> tuple[str, list[tuple]]:
        sql, order, processors = self._plan(row_type)
        steps = list(zip(order, processors))
        if all(p is None for _, p in steps) and order == list(range(len(order))):
            return sql, rows
        return sql, [tuple(v if (v := row[i]) is None or p is None else p(v) for i, p in steps) for row in rows]

    async def _write(self, batches: list[tuple[str, list[tuple]]]) -> None:
        started = time.perf_counter()
        raw = await self.connection.get_raw_connection()
        driver = raw.driver_connection
        for sql, values in batches:
            await driver.executemany(sql, values)
            self.written += len(values)
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
        self._pending = asyncio.create_task(self._write(batches))

    async def wait(self) -> None:
        if self._pending is not None:
            task, self._pending = self._pending, None
            await task

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        """On an error, let a write in flight finish before the transaction is rolled back."""
        if exc_type is not None and self._pending is not None:
            with contextlib.suppress(Exception):
                await self.wait()
