"""The audit chain's head on SQLite and PostgreSQL: a service appends at the head it last wrote in one
statement, and when another writer (the CLI, another process) appended meanwhile, it reads the real head and
chains to it."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from owes_messaging.db import create_engine
from owes_service.audit import append_audit_rows, audit_log, verify_audit_chain


def entry(n: int) -> dict:
    return {
        "at": dt.datetime(2026, 11, 29, 5, n, tzinfo=dt.UTC),
        "principal": "jastrzebie-zdroj",
        "role": "partner:recruitment",
        "method": "POST",
        "path": "/participants",
        "status": 201,
        "correlation_id": f"c{n}",
        "entity_id": f"p_{n}",
    }


@pytest.mark.parametrize("db_backend", ["sqlite", "postgres"])
async def test_rows_chain_to_the_real_head_after_another_writer_appended(database_url):
    service, other = create_engine(database_url("audit")), None
    try:
        async with service.begin() as conn:
            await conn.run_sync(lambda c: audit_log.metadata.create_all(c))
        for n in range(3):
            async with service.begin() as conn:
                await append_audit_rows(conn, [entry(n)])
        other = create_engine(str(service.url))  # another writer: the head it leaves is not the service's guess
        async with other.begin() as conn:
            await conn.execute(
                sa.insert(audit_log).values(**entry(10), prev_hash="not-the-head", row_hash="written-around-it")
            )
        async with service.begin() as conn:
            await append_audit_rows(conn, [entry(3), entry(4)])
        async with service.connect() as conn:
            rows = (await conn.execute(sa.select(audit_log).order_by(audit_log.c.id))).mappings().all()
            problems = await verify_audit_chain(conn)
        assert [r["correlation_id"] for r in rows] == ["c0", "c1", "c2", "c10", "c3", "c4"]
        assert rows[4]["prev_hash"] == "written-around-it"  # chained to the row the other writer added
        assert rows[5]["prev_hash"] == rows[4]["row_hash"]
        # only the foreign row itself is flagged (its hash is not the hash of its fields); nothing after it
        assert problems == [
            f"row {rows[3]['id']}: the row before it was deleted or changed",
            f"row {rows[3]['id']} was changed after it was written",
        ]
    finally:
        await service.dispose()
        if other is not None:
            await other.dispose()
