"""Idempotency-Key on every POST (IETF draft "The Idempotency-Key HTTP Header Field"): a retry after a timeout
gets the first answer and changes nothing.

A POST with an `Idempotency-Key` header claims the key, for its caller, in the same transaction as its effect:
the claim row is inserted just before the first commit of a database session during the request (a SQLAlchemy
`before_commit` hook), so the effect and the key commit or roll back together. Once the response is ready, it
is stored with the key. Then:

- the same key and the same request (method, path, body) again: the stored response, marked
  `Idempotency-Replayed: true`; nothing runs again;
- the same key with another request: 422 (problem details);
- the same key while the first request has committed but not yet answered: 409, retry later;
- a request that failed before committing claimed nothing: a retry simply runs.

Keys are kept at least `idempotency_retention_hours` (24 h by default) and pruned after.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .asgi import read_body, replay, send_answer
from .problems import Conflict

IDEMPOTENCY_TABLE = "idempotency_keys"
HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
MAX_STORED_BODY = 256 * 1024

log = structlog.get_logger("owes.idempotency")


def idempotency_columns() -> list[sa.Column]:
    """The columns of `idempotency_keys`, fresh for each use (a table or a migration)."""
    return [
        sa.Column("caller", sa.String(64), primary_key=True),  # a hash of the credentials that sent the key
        sa.Column("key", sa.String(MAX_KEY_LENGTH), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),  # sha256 of method, path and body
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer, nullable=True),  # None until the first answer is stored
        sa.Column("content_type", sa.String(200), nullable=True),
        sa.Column("body", sa.Text, nullable=True),
    ]


idempotency_keys = sa.Table(IDEMPOTENCY_TABLE, sa.MetaData(), *idempotency_columns())


def create_idempotency_table(op: Any) -> None:
    """Migration step shared by every service with POSTs that create something (`op`: alembic's `op`)."""
    op.create_table(IDEMPOTENCY_TABLE, *idempotency_columns())
    op.create_index("ix_idempotency_keys_created_at", IDEMPOTENCY_TABLE, ["created_at"])


def drop_idempotency_table(op: Any) -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name=IDEMPOTENCY_TABLE)
    op.drop_table(IDEMPOTENCY_TABLE)


@dataclass
class _Claim:
    """The key a request carries, claimed in the first transaction it commits."""

    caller: str
    key: str
    fingerprint: str
    engine: Any  # the sync engine of the service's database: only its sessions carry the claim
    claimed: bool = False
    sessions: set[int] = field(default_factory=set)


_current: contextvars.ContextVar[_Claim | None] = contextvars.ContextVar("owes_idempotency_claim", default=None)


@sa_event.listens_for(Session, "before_commit")
def _claim_with_the_effect(session: Session) -> None:
    claim = _current.get()
    if claim is None or claim.claimed or session.get_bind() is not claim.engine:
        return
    try:
        session.connection().execute(
            sa.insert(idempotency_keys).values(
                caller=claim.caller, key=claim.key, fingerprint=claim.fingerprint, created_at=dt.datetime.now(dt.UTC)
            )
        )
    except IntegrityError:
        # a concurrent request with the same key committed its claim first: this change must not happen (the
        # transaction rolls back); the middleware answers with the twin's answer, or 409 while it has none
        raise Conflict(
            "A concurrent request with this Idempotency-Key made the change; retry to get its answer."
        ) from None
    claim.claimed = True


def _problem(status: int, title: str, detail: str) -> tuple[int, bytes]:
    return status, json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()


class IdempotencyMiddleware:
    """Honours `Idempotency-Key` on POST requests (see the module's docstring)."""

    def __init__(self, app: ASGIApp, *, engine: AsyncEngine, retention_hours: float = 24.0) -> None:
        self.app = app
        self.engine = engine
        self.retention = dt.timedelta(hours=max(retention_hours, 24.0))  # the draft's minimum is a day here
        self._pruned_at = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        raw_key = headers.get(HEADER)
        if raw_key is None:
            return await self.app(scope, receive, send)
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
            return await send_answer(
                send,
                *_problem(
                    400,
                    "Invalid Idempotency-Key",
                    f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
                ),
            )
        messages, body = await read_body(receive)
        caller = hashlib.sha256(headers.get(b"authorization", b"") + b"|" + headers.get(b"cookie", b"")).hexdigest()
        fingerprint = hashlib.sha256(
            b"\n".join([scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        await self._prune()
        row = await self._stored(caller, key)
        if row is not None:
            return await self._repeat(send, row, fingerprint)
        await self._first(scope, send, messages, receive, caller, key, fingerprint)

    async def _first(
        self,
        scope: Scope,
        send: Send,
        messages: list[Message],
        receive: Receive,
        caller: str,
        key: str,
        fingerprint: str,
    ) -> None:
        """Run the request; when a concurrent one with the same key won the claim, answer as its repeat instead."""

        # the answer is held back until the claim is settled: a request that lost the race must not send its own
        # (a "PESEL already registered" caused by its twin, or the twin's conflict on the key itself)
        held: list[Message] = []

        async def capture(message: Message) -> None:
            held.append(message)

        claim = _Claim(caller, key, fingerprint, self.engine.sync_engine)
        token = _current.set(claim)
        try:
            await self.app(scope, replay(messages, receive), capture)
        finally:
            _current.reset(token)
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        if not claim.claimed:
            twin = await self._stored(caller, key)
            if twin is not None:  # a concurrent request with this key committed first: this one changed nothing
                log.info("idempotency_race_lost", key=key)
                return await self._repeat(send, twin, fingerprint)
        for message in held:
            await send(message)
        if claim.claimed and start is not None:
            body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
            await self._store(claim, start, body)

    async def _repeat(self, send: Send, row: sa.RowMapping, fingerprint: str) -> None:
        if row["fingerprint"] != fingerprint:
            return await send_answer(
                send,
                *_problem(
                    422,
                    "Idempotency-Key reused",
                    "This Idempotency-Key was already used for another request; use a new key for a new request.",
                ),
            )
        if row["status"] is None:
            return await send_answer(
                send,
                *_problem(
                    409,
                    "Request in progress",
                    "The first request with this Idempotency-Key has not answered yet; retry later.",
                ),
                extra=[(b"retry-after", b"1")],
            )
        content_type = (row["content_type"] or "application/json").encode("latin-1")
        await send_answer(
            send,
            row["status"],
            (row["body"] or "").encode(),
            content_type=content_type,
            extra=[(b"idempotency-replayed", b"true")],
        )

    async def _stored(self, caller: str, key: str) -> Any:
        """The key's row (its claim and, once settled, the answer), or None."""
        query = sa.select(idempotency_keys).where(idempotency_keys.c.caller == caller, idempotency_keys.c.key == key)
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).mappings().first()

    async def _store(self, claim: _Claim, start: Message, body: bytes) -> None:
        content_type = next((v.decode("latin-1") for k, v in start.get("headers", []) if k == b"content-type"), None)
        text = body.decode("utf-8", errors="replace") if len(body) <= MAX_STORED_BODY else ""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    sa.update(idempotency_keys)
                    .where(idempotency_keys.c.caller == claim.caller, idempotency_keys.c.key == claim.key)
                    .values(status=start["status"], content_type=content_type, body=text)
                )
        except Exception:  # the effect is committed; a repeat answers 409 until the key expires
            log.exception("idempotency_answer_not_stored", key=claim.key)

    async def _prune(self) -> None:
        if time.monotonic() - self._pruned_at < 3600:
            return
        self._pruned_at = time.monotonic()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    sa.delete(idempotency_keys).where(
                        idempotency_keys.c.created_at < dt.datetime.now(dt.UTC) - self.retention
                    )
                )
        except Exception:
            log.exception("idempotency_prune_failed")
