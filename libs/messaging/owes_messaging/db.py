"""Database wiring: async engine and sessions for SQLite (embedded default) or PostgreSQL (by URL)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import weakref
from typing import Any

from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from .sqlite_driver import one_trip_dbapi

# Execution option for a connection whose transactions only read: on SQLite they begin deferred, reading a
# snapshot beside the writer instead of queueing for the write lock. A write in such a transaction may fail
# with SQLITE_BUSY, so use it only where nothing is written (e.g. the outbox relay's select).
READ_ONLY = "owes_read_only"
# SQLite's page cache per connection, in KiB (a maximum: pages are cached as they are read).
SQLITE_CACHE_KIB = 16 * 1024


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine tuned per dialect: SQLite in WAL mode with immediate write locks; PostgreSQL pooled."""
    if url.startswith("sqlite"):
        _create_owner_only(url)
        # one trip to aiosqlite's thread per statement instead of three or four (sqlite_driver.py)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, module=one_trip_dbapi())
        _make_sqlite_transactions_immediate(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _create_owner_only(url: str) -> None:
    """Create a SQLite database file readable by its owner only; SQLite gives its -wal and -shm the same mode."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # an existing file keeps its mode
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


async def truncate_sqlite_wal(engine: AsyncEngine) -> bool:
    """Copy SQLite's write-ahead log into the database file and empty it; whether it could (True on PostgreSQL).

    The WAL keeps earlier versions of every page it logged until a checkpoint: after an erasure the PESEL
    would still be in the -wal file. With secure_delete the copied pages hold no trace of the old rows."""
    if engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()  # no BEGIN: a checkpoint cannot run inside a transaction
        driver: Any = raw.driver_connection
        cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy = (await cursor.fetchone())[0]
        await cursor.close()
    return not busy  # busy: a reader held an older snapshot past busy_timeout


def _make_sqlite_transactions_immediate(engine: AsyncEngine) -> None:
    # pysqlite's deferred BEGIN lets two writers deadlock on lock upgrade (SQLITE_BUSY with no wait);
    # taking the write lock at BEGIN makes writers queue on busy_timeout instead.
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        # erased personal data is overwritten with zeros, not just unlinked, in the file's free space (issue 13)
        cur.execute("PRAGMA secure_delete=ON")
        # pages kept in memory per connection (SQLite's default is 2 MB): a catch-up inserts 100,000 random ids into
        # the inbox's index, and past a few MB every insert read its pages back from the OS (docs/performance.md)
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cur.close()

    # SQLite's busy handler polls with sleeps growing to 100 ms and favours no one: under concurrent requests,
    # waiting writers starved for seconds (docs/performance.md). Transactions of this engine first queue on an
    # asyncio lock, first come first served, so the busy handler only ever waits for other processes.
    locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):  # a WAL snapshot: no write lock, no turn to wait for
            _begin(conn, "BEGIN")
            return
        held = _acquire_write_turn(locks)
        if held:
            conn.info[_WRITE_TURN] = held
        try:
            _begin(conn, "BEGIN IMMEDIATE")
        except BaseException:
            _release_write_turn(conn.info)
            raise

    # SQLAlchemy commits and rolls back through the dialect: the turn is given back right after, so the next
    # transaction never finds SQLite's lock still held. A failed commit keeps the turn until the rollback that
    # follows it (or the connection's check-in).
    dialect = sync_engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        commit(dbapi_connection)
        _release_write_turn(_info_of(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        info = _info_of(dbapi_connection)
        try:
            # The pool resets every connection it gets back; after a commit there is nothing to roll back, and
            # asking would cost a round trip to aiosqlite's thread.
            if _WRITE_TURN in info or _in_transaction(dbapi_connection):
                rollback(dbapi_connection)
        finally:
            _release_write_turn(info)

    # Replacing the dialect's methods on this engine's own dialect instance: SQLAlchemy has no hook after COMMIT.
    dialect.do_commit, dialect.do_rollback = do_commit, do_rollback  # type: ignore[method-assign]

    @event.listens_for(sync_engine, "checkin")
    @event.listens_for(sync_engine, "invalidate")
    # a connection dropped mid-transaction frees its turn too
    def _on_return(_dbapi_conn: Any, record: Any, *_exc: Any) -> None:
        if record is not None:
            _release_write_turn(record.info)


def _begin(conn: Connection, sql: str) -> None:
    """Begin on aiosqlite's thread in one round trip (exec_driver_sql takes three: cursor, execute, close)."""
    driver: Any = conn.connection.driver_connection
    if not in_greenlet() or not hasattr(driver, "execute_fetchall"):
        conn.exec_driver_sql(sql)
        return
    try:
        await_only(driver.execute_fetchall(sql))
    except sqlite3.Error as exc:  # wrapped as SQLAlchemy wraps it, so callers tell transient failures apart
        raise DBAPIError.instance(sql, (), exc, sqlite3.Error) from exc


_WRITE_TURN = "owes_sqlite_write_turn"
WRITE_TURN_TIMEOUT = 30.0  # as long as busy_timeout: a turn never freed fails like a lock SQLite never gets


def _acquire_write_turn(
    locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock],
) -> tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None:
    """Wait for this engine's turn to open a transaction; None outside async use (nothing to queue on)."""
    if not in_greenlet():
        return None
    loop = asyncio.get_running_loop()
    lock = locks.get(loop)
    if lock is None:
        lock = locks[loop] = asyncio.Lock()
    try:
        await_only(asyncio.wait_for(lock.acquire(), WRITE_TURN_TIMEOUT))
    except TimeoutError:
        raise TimeoutError(f"no SQLite transaction turn within {WRITE_TURN_TIMEOUT:.0f} s") from None
    return loop, lock


def _info_of(connection: Any) -> dict[str, Any]:
    """The pool record's info of a pooled connection (where the turn is kept); an empty dict for anything else."""
    try:
        info = connection.info
    except (AttributeError, NotImplementedError):  # e.g. the ad-hoc proxy of a connection's first connect
        return {}
    return info if isinstance(info, dict) else {}


def _in_transaction(connection: Any) -> bool:
    try:
        return connection.driver_connection._connection.in_transaction  # aiosqlite's sqlite3 connection
    except AttributeError:  # another driver or a closed connection: assume there may be something to roll back
        return True


def _release_write_turn(info: dict[str, Any]) -> None:
    held = info.pop(_WRITE_TURN, None)
    if held is None:
        return
    loop, lock = held
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        lock.release()
    elif not loop.is_closed():  # e.g. a connection garbage-collected in another thread
        loop.call_soon_threadsafe(lock.release)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping_database(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
