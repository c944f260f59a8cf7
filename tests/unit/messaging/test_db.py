"""SQLite engine: transactions of one process take turns, first come first served, and every way a
transaction can end gives its turn back."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from owes_messaging.db import create_engine

metadata = sa.MetaData()
entries = sa.Table(
    "entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("writer", sa.Integer, nullable=False),
)


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/turns.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def writers_in_commit_order(engine) -> list[int]:
    async with engine.connect() as conn:
        return list((await conn.scalars(sa.select(entries.c.writer).order_by(entries.c.id))).all())


async def can_write(engine) -> bool:
    async def write():
        async with engine.begin() as conn:
            await conn.execute(sa.insert(entries).values(writer=-1))
        return True

    return await asyncio.wait_for(write(), timeout=10)  # a turn never given back would hang here


class TestSqliteTransactionTurns:
    async def test_concurrent_transactions_never_meet_sqlites_lock(self, engine):
        @sa.event.listens_for(engine.sync_engine, "connect")
        def no_busy_wait(dbapi_conn, _record):  # SQLite would now fail at once on a lock held by another connection
            dbapi_conn.execute("PRAGMA busy_timeout=0")

        async def writer(n: int):
            async with engine.begin() as conn:
                await conn.execute(sa.insert(entries).values(writer=n))
                await asyncio.sleep(0.005)  # hold the write lock across event-loop turns, as a request does

        await asyncio.gather(*(writer(n) for n in range(12)))
        assert sorted(await writers_in_commit_order(engine)) == list(range(12))

    async def test_transactions_begin_in_the_order_they_asked(self, engine):
        connections = [await engine.connect() for _ in range(10)]  # connected first: only the turn is awaited

        async def writer(n: int):
            conn = connections[n]
            async with conn.begin():
                await conn.execute(sa.insert(entries).values(writer=n))
                await asyncio.sleep(0.005)
            await conn.close()

        tasks = []
        for n in range(10):
            tasks.append(asyncio.create_task(writer(n)))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        assert await writers_in_commit_order(engine) == list(range(10))

    async def test_a_rolled_back_transaction_gives_its_turn_back(self, engine):
        with pytest.raises(RuntimeError):
            async with engine.begin() as conn:
                await conn.execute(sa.insert(entries).values(writer=1))
                raise RuntimeError("use case failed")
        assert await can_write(engine)
        assert await writers_in_commit_order(engine) == [-1]

    async def test_a_connection_closed_mid_transaction_gives_its_turn_back(self, engine):
        async with engine.connect() as conn:
            await conn.execute(sa.insert(entries).values(writer=1))  # autobegin, never committed
        assert await can_write(engine)
        assert await writers_in_commit_order(engine) == [-1]

    async def test_an_invalidated_connection_gives_its_turn_back(self, engine):
        conn = await engine.connect()
        await conn.execute(sa.insert(entries).values(writer=1))
        await conn.invalidate()
        await conn.close()
        assert await can_write(engine)

    async def test_a_session_reading_then_writing_commits_once(self, engine):
        from owes_messaging.db import create_sessionmaker

        async with create_sessionmaker(engine)() as session, session.begin():
            assert await session.scalar(sa.select(sa.func.count()).select_from(entries)) == 0
            await session.execute(sa.insert(entries).values(writer=7))
        assert await writers_in_commit_order(engine) == [7]

    async def test_a_read_only_transaction_reads_beside_an_open_write_transaction(self, engine):
        from owes_messaging.db import READ_ONLY

        async with engine.begin() as writer:
            await writer.execute(sa.insert(entries).values(writer=1))  # holds the turn and SQLite's write lock
            reader = await engine.connect()
            await reader.execution_options(**{READ_ONLY: True})
            count = await asyncio.wait_for(reader.scalar(sa.select(sa.func.count()).select_from(entries)), 10)
            assert count == 0  # the snapshot before the writer commits
            await reader.close()
        assert await writers_in_commit_order(engine) == [1]
