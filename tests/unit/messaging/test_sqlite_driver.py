"""SQLite's driver adapter: a statement makes one trip to aiosqlite's thread, and what it returns (rows, columns,
rowcount, the inserted key, errors) is what SQLAlchemy's own adapter returns."""

from __future__ import annotations

import sqlite3

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from owes_messaging.db import create_engine

metadata = sa.MetaData()
items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("size", sa.Integer, nullable=False),
)


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch) -> list[str]:
    """The calls handed to aiosqlite's thread, by name, from now on."""
    seen: list[str] = []
    handed = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await handed(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_a_statement_makes_one_trip_to_the_driver_thread(engine, trips):
    async with engine.connect() as conn:
        await conn.execute(sa.select(1))  # the connection is checked out and ready before counting
        await conn.rollback()
        trips.clear()
        await conn.execute(sa.insert(items).values(name="a", size=1))
        await conn.execute(sa.update(items).values(size=2))
        assert (await conn.execute(sa.select(items.c.name, items.c.size))).all() == [("a", 2)]
        # BEGIN IMMEDIATE, then one trip per statement (SQLAlchemy's adapter took three or four: open a cursor,
        # execute, fetch, close)
        assert len(trips) == 4, trips
        await conn.commit()


async def test_rows_columns_rowcount_and_inserted_keys_are_returned(engine):
    async with engine.begin() as conn:
        first = await conn.execute(sa.insert(items).values(name="a", size=1))
        second = await conn.execute(sa.insert(items).values(name="b", size=2))
        assert (first.inserted_primary_key[0], second.inserted_primary_key[0]) == (1, 2)
        returned = await conn.execute(sa.insert(items).values(name="c", size=3).returning(items.c.id, items.c.name))
        assert returned.mappings().one() == {"id": 3, "name": "c"}
        many = await conn.execute(sa.insert(items), [{"name": f"m{i}", "size": i} for i in range(5)])
        assert many.rowcount == 5
        updated = await conn.execute(sa.update(items).where(items.c.size < 3).values(size=0))
        assert updated.rowcount == 5  # a, b, m0, m1, m2
        assert (await conn.execute(sa.delete(items).where(items.c.name == "nobody"))).rowcount == 0
        result = await conn.execute(sa.select(items).order_by(items.c.id))
        assert list(result.keys()) == ["id", "name", "size"]
        assert [row.name for row in result] == ["a", "b", "c", "m0", "m1", "m2", "m3", "m4"]
        assert await conn.scalar(sa.select(sa.func.count()).select_from(items)) == 8
        assert (await conn.execute(sa.select(items).where(items.c.id == -1))).first() is None


async def test_a_refused_statement_raises_sqlalchemys_error_and_writes_nothing(engine):
    async with engine.begin() as conn:
        await conn.execute(sa.insert(items).values(name="a", size=1))
    with pytest.raises(IntegrityError) as refused:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(items).values(name="b", size=2))
            await conn.execute(sa.insert(items).values(name="a", size=3))  # the name is taken
    assert isinstance(refused.value.orig, sqlite3.IntegrityError)
    assert "UNIQUE" in str(refused.value.orig)
    async with engine.connect() as conn:  # the pool's connection still works; the half-done write is gone
        assert (await conn.execute(sa.select(items.c.name))).scalars().all() == ["a"]


async def test_a_streamed_result_still_reads_every_row(engine):
    async with engine.begin() as conn:
        await conn.execute(sa.insert(items), [{"name": f"s{i}", "size": i} for i in range(250)])
    async with engine.connect() as conn:
        stream = await conn.stream(sa.select(items.c.size).order_by(items.c.id))
        sizes = [size async for size in stream.scalars()]
    assert sizes == list(range(250))
