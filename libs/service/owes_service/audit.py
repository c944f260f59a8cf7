"""Who changed what: every write request a service answers, in its own `audit_log` table and its JSON log.

An entry holds the principal and role, method, path, status, correlation id, time and, where the route or
the response names one, the entity id. Request bodies are never recorded (they may hold personal data).
The operating partner reads its service's log at GET /audit.

The row of a write that changes something is written in the transaction of that change (a `before_commit` hook
on the request's first commit): the change and its record commit together or not at all, and no second
transaction is paid per write. A write that commits nothing (refused, invalid) is recorded once answered.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, cast

import sqlalchemy as sa
import structlog
from alembic.operations import Operations
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import event as sa_event
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from owes_contracts.correlation import current_correlation_id
from owes_messaging.outbox import OUTBOX_SUBJECTS

from .auth import CALLER_SCOPE_KEY, READ_METHODS, Caller, Principal, require_operator

AUDIT_TABLE = "audit_log"
_MAX_BODY_FOR_ENTITY = 64 * 1024

log = structlog.get_logger("owes.audit")


def audit_columns() -> list[sa.Column]:
    """The columns of `audit_log`, fresh for each use (a table or a migration)."""
    return [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("principal", sa.String(100), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(2000), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("correlation_id", sa.String(100), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=True),
        # the chain (docs/security.md): each row's hash covers its fields and the previous row's hash, so
        # `owes audit verify` finds a row changed or deleted after the fact
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("row_hash", sa.String(64), nullable=True),
    ]


def audit_log_table(metadata: sa.MetaData) -> sa.Table:
    table = sa.Table(AUDIT_TABLE, metadata, *audit_columns())
    sa.Index("ix_audit_log_entity_id", table.c.entity_id)
    return table


audit_log = audit_log_table(sa.MetaData())


def create_audit_table(op: Operations) -> None:
    """Migration step shared by every service: the audit log of write requests."""
    op.create_table(AUDIT_TABLE, *[c for c in audit_columns() if c.name not in CHAIN_COLUMNS])
    op.create_index("ix_audit_log_entity_id", AUDIT_TABLE, ["entity_id"])


def drop_audit_table(op: Operations) -> None:
    op.drop_index("ix_audit_log_entity_id", table_name="audit_log")
    op.drop_table("audit_log")


CHAIN_COLUMNS = ("prev_hash", "row_hash")


def add_audit_chain(op: Operations) -> None:
    """Migration step shared by every service: the hash chain over the audit log (older rows stay unchained)."""
    for column in audit_columns():
        if column.name in CHAIN_COLUMNS:
            op.add_column(AUDIT_TABLE, column)


def drop_audit_chain(op: Operations) -> None:
    for name in CHAIN_COLUMNS:
        op.drop_column(AUDIT_TABLE, name)


HASHED_FIELDS = ("at", "principal", "role", "method", "path", "status", "correlation_id", "entity_id")


def row_hash(prev_hash: str | None, entry: dict[str, Any]) -> str:
    """The hash of one audit row: its recorded fields, in a fixed order, and the previous row's hash."""
    at = entry["at"]
    if isinstance(at, dt.datetime):  # SQLite hands back naive datetimes; every entry is written in UTC
        at = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    fields = [prev_hash or "", at] + [entry.get(name) for name in HASHED_FIELDS[1:]]
    canonical = json.dumps(fields, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Built once: a statement built per request (insert().values()) cost SQLAlchemy more than running it.
_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtext('owes.audit_log'))")
_LAST_HASH = sa.select(audit_log.c.row_hash).order_by(audit_log.c.id.desc()).limit(1)
_INSERT = sa.insert(audit_log)


# The row is inserted only if the chain's head is still the one this process last wrote: one statement instead of
# a read then an insert per write (on SQLite each is a hand-off to aiosqlite's thread). The head cannot change
# between the check and the insert: SQLite's BEGIN IMMEDIATE holds the database's write lock, PostgreSQL's
# appenders take turns on an advisory lock first (and the insert, a statement after it, sees the rows committed
# before the lock was granted).
_COLUMNS = [c.name for c in audit_log.columns if c.name != "id"]


def _insert_at_head(typed: Callable[[str, Any], Any]) -> sa.Insert:
    return sa.insert(audit_log).from_select(
        _COLUMNS,
        sa.select(*[typed(name, audit_log.c[name].type) for name in _COLUMNS]).where(
            _LAST_HASH.scalar_subquery().is_not_distinct_from(typed("head", sa.String()))
        ),
    )


# PostgreSQL cannot tell a selected parameter's type from the column it goes into: each is cast (SQLite's CAST to
# DATETIME would turn a timestamp into a number, so there the parameters stay as they are).
_INSERT_AT_HEAD = {
    "postgresql": _insert_at_head(lambda name, type_: sa.cast(sa.bindparam(name, type_=type_), type_)),
    "sqlite": _insert_at_head(lambda name, type_: sa.bindparam(name, type_=type_)),
}
_heads: dict[str, str | None] = {}  # database -> the hash of the last row this process appended there


def append_audit_rows_sync(conn: sa.Connection, entries: list[dict[str, Any]]) -> None:
    """Append entries to the audit log, each chained to the one before, in the caller's transaction."""
    if conn.dialect.name == "postgresql":  # one appender at a time, or two rows would chain to the same one
        conn.execute(_LOCK)
    database = str(conn.engine.url)
    if database in _heads:  # a guess, checked by the insert itself; another writer (the CLI, a replica) makes it miss
        guess = _heads[database]
        entry, digest = entries[0], row_hash(guess, entries[0])
        values = {**entry, "prev_hash": guess, "row_hash": digest, "head": guess}
        if cast(CursorResult[Any], conn.execute(_INSERT_AT_HEAD[conn.dialect.name], values)).rowcount == 1:
            _append(conn, entries[1:], digest, database)
            return
    _append(conn, entries, conn.scalar(_LAST_HASH), database)


def _append(conn: sa.Connection, entries: list[dict[str, Any]], prev: str | None, database: str) -> None:
    for entry in entries:
        digest = row_hash(prev, entry)
        conn.execute(_INSERT, {**entry, "prev_hash": prev, "row_hash": digest})
        prev = digest
    _heads[database] = prev


async def append_audit_rows(conn: AsyncConnection, entries: list[dict[str, Any]]) -> None:
    """The same on an async connection (the CLI's own actions, a write that committed no change)."""
    await conn.run_sync(append_audit_rows_sync, entries)


async def verify_audit_chain(conn: AsyncConnection) -> list[str]:
    """Every break in the audit log's chain: a row changed, or a row before it deleted. Empty when intact."""
    problems: list[str] = []
    prev: str | None = None
    chained = False
    for row in (await conn.execute(sa.select(audit_log).order_by(audit_log.c.id))).mappings():
        if row["row_hash"] is None:
            if chained:
                problems.append(f"row {row['id']} has no hash: written around the audit trail, or its hash erased")
            continue
        if chained and row["prev_hash"] != prev:
            problems.append(f"row {row['id']}: the row before it was deleted or changed")
        if row_hash(row["prev_hash"], dict(row)) != row["row_hash"]:
            problems.append(f"row {row['id']} was changed after it was written")
        prev, chained = row["row_hash"], True
    return problems


def entity_id_of(path_params: dict[str, Any], body: bytes, content_type: str) -> str | None:
    """The entity a write touched: a path parameter ending in _id, or an *_id field of a JSON response."""
    for name, value in path_params.items():
        if name == "id" or name.endswith("_id"):
            return str(value)[:200]
    if "json" not in content_type or not body or len(body) > _MAX_BODY_FOR_ENTITY:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        for name, value in data.items():
            if (name == "id" or name.endswith("_id")) and isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)[:200]
    return None


class AuditTrail:
    """Writes and reads one service's audit log."""

    def __init__(self, engine: AsyncEngine, *, service: str) -> None:
        self.engine = engine
        self.service = service

    async def record(self, entry: dict[str, Any]) -> None:
        """Append an entry in a transaction of its own: a write that committed no change (refused, invalid)."""
        log.info("audit", **_logged(entry))
        try:
            async with self.engine.begin() as conn:
                await append_audit_rows(conn, [entry])
        except Exception:  # the change itself is committed; a lost audit row must not turn it into an error
            log.exception("audit_write_failed", method=entry["method"], path=entry["path"])

    async def entries(
        self, *, limit: int, before: int | None = None, principal: str | None = None, entity_id: str | None = None
    ) -> list[dict[str, Any]]:
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(audit_log.c.id < before)
        if principal:
            query = query.where(audit_log.c.principal == principal)
        if entity_id:
            query = query.where(audit_log.c.entity_id == entity_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [dict(row) for row in rows]


@dataclass
class _Request:
    """A write request being answered: its audit entry goes into the first transaction it commits."""

    scope: Scope
    context: Caller
    engine: Any  # the sync engine of the service's database: only its sessions carry the entry
    entry: dict[str, Any] | None = None  # as written with the change


_current: contextvars.ContextVar[_Request | None] = contextvars.ContextVar("owes_audit_request", default=None)


@sa_event.listens_for(Session, "before_commit")
def _audit_with_the_change(session: Session) -> None:
    """Write the request's audit row in the transaction of the change it records (issue 13): both or neither."""
    request = _current.get()
    if request is None or request.entry is not None or request.context.principal is None:
        return
    if session.get_bind() is not request.engine:
        return
    # Committing means the route succeeds: the row holds the status it declares (201, 204, ...), else 200 (a
    # page's redirect too); the entity is the one its path names, else the subject of the first event the
    # change records. A failure after the commit gets a row of its own (AuditMiddleware._record).
    route = request.scope.get("route")
    status = getattr(route, "status_code", None) or 200
    subjects = session.info.get(OUTBOX_SUBJECTS) or [None]
    entity_id = entity_id_of(request.context.path_params, b"", "") or subjects[0]
    entry = _entry(request.scope, request.context.principal, status, entity_id)
    append_audit_rows_sync(session.connection(), [entry])
    request.entry = entry


async def audit_read(request: Any, entity_id: str | None, session: AsyncSession | None = None) -> None:
    """Record that a caller read personal data (a participant's record, a search by name or PESEL), in a row of its
    own: reads change nothing, so the write path never records them (issue 13, accountability). A route that
    still holds its session passes it: on SQLite a second connection would wait for that session's lock."""
    member = getattr(request.state, "staff_member", None)  # a page: the person signed in
    principal = Principal(member.login, f"staff:{member.role}") if member else getattr(request.state, "principal", None)
    if principal is None:  # no caller known: the access check refused it already
        return
    entry = _entry(request.scope, principal, 200, entity_id)
    if session is None:
        await request.app.state.runtime.audit.record(entry)
        return
    log.info("audit", **_logged(entry))
    await append_audit_rows(await session.connection(), [entry])
    await session.commit()


def _entry(scope: Scope, principal: Principal, status: int, entity_id: str | None) -> dict[str, Any]:
    return {
        "at": dt.datetime.now(dt.UTC),
        "principal": principal.name,
        "role": principal.role,
        "method": scope["method"],
        "path": scope["path"][:2000],
        "status": status,
        "correlation_id": current_correlation_id()[:100],
        "entity_id": entity_id[:200] if entity_id else None,
    }


def _logged(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in entry.items()}


class AuditMiddleware:
    """Records every write request once its response is ready, before the client gets it."""

    def __init__(self, app: ASGIApp, *, trail: AuditTrail) -> None:
        self.app = app
        self.trail = trail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_METHODS:
            return await self.app(scope, receive, send)
        context = Caller()
        scope[CALLER_SCOPE_KEY] = context
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                await record(start, body)
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        recorded = False

        async def record(message: Message, body: bytes) -> None:
            nonlocal recorded
            recorded = True
            await self._record(scope, context, message, body, request.entry)

        request = _Request(scope, context, self.trail.engine.sync_engine)
        token = _current.set(request)
        try:
            await self.app(scope, receive, buffered_send)
        except Exception:
            # an unhandled error becomes a 500 further out; an anonymous one (e.g. a body over the limit) is
            # answered and logged there
            if not recorded and context.principal is not None:
                await record({"status": 500, "headers": []}, b"")
            raise
        finally:
            _current.reset(token)

    async def _record(
        self, scope: Scope, context: Caller, start: Message, body: bytes, written: dict[str, Any] | None
    ) -> None:
        status = start["status"]
        if context.principal is None:  # no valid credentials: log it, but let no anonymous caller fill the table
            log.warning("audit_anonymous_write", method=scope["method"], path=scope["path"], status=status)
            return
        if written is not None and status < 400:  # in the change's own transaction already
            log.info("audit", **_logged(written | {"status": status}))
            return
        # No change committed (refused, invalid, failed), or a failure after the commit: a row of its own says
        # what the caller got.
        content_type = next((v.decode("latin-1") for k, v in start.get("headers", []) if k == b"content-type"), "")
        # an error response names no entity; the route's own parameters still say what was aimed at
        entity_id = entity_id_of(context.path_params, body if status < 400 else b"", content_type)
        await self.trail.record(_entry(scope, context.principal, status, entity_id))


def audit_router() -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get(
        "/audit",
        summary="Who changed what in this service (operating partner only)",
        dependencies=[Depends(require_operator)],
    )
    async def read_audit_log(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        before: Annotated[int | None, Query(description="Only entries older than this id (paging)")] = None,
        principal: str | None = None,
        entity_id: str | None = None,
    ) -> dict:
        trail: AuditTrail = request.app.state.runtime.audit
        entries = await trail.entries(limit=limit, before=before, principal=principal, entity_id=entity_id)
        for entry in entries:  # SQLite hands back naive datetimes; every entry was written in UTC
            at = entry["at"]
            entry["at"] = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).isoformat()
        return {"entries": entries, "next_before": entries[-1]["id"] if len(entries) == limit else None}

    return router
