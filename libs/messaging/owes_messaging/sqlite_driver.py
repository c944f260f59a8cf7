"""SQLite through aiosqlite with one trip to its thread per statement.

aiosqlite runs every call on one thread per connection; each call is a hand-over to that thread and back, about
0.1 ms of CPU on a 2-core machine (docs/performance.md). SQLAlchemy's adapter makes three or four per statement
(open a cursor, execute, fetch, close), so a write of three rows spent more time handing over than in SQLite.
This adapter runs the statement, reads its rows, rowcount and last row id, and closes the cursor in one call,
then serves the rows from memory, as SQLAlchemy's own adapter already does after its fetch.

It is passed to SQLAlchemy as the DBAPI module (`create_async_engine(..., module=...)`, a documented argument);
the dialect, its SQL and its pool are SQLAlchemy's own. Server-side cursors (streamed results) keep SQLAlchemy's
cursor. `aiosqlite.Connection._execute` is the one entry to its thread (what its own cursor methods call); the
lock file pins aiosqlite, and every SQLite test goes through this adapter.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT, await_only

_Outcome = tuple[Any, list[Any], int, int | None]  # description, rows, rowcount, lastrowid


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On aiosqlite's thread: the statement (once, or for each set of parameters), its rows and its counters, the
    cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement makes one trip to aiosqlite's thread."""

    __slots__ = ("_outcome",)

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No driver cursor is opened here: it lives only for the duration of the one call.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._outcome: _Outcome = (None, [], -1, None)

    @property
    def description(self) -> Any:
        return self._outcome[0]

    @property
    def rowcount(self) -> int:
        return self._outcome[2]

    @property
    def lastrowid(self) -> Any:
        return self._outcome[3]

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            self._outcome = await_only(self._on_thread(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._rows = collections.deque(self._outcome[1])

    async def _on_thread(self, operation: Any, parameters: Any, many: bool) -> _Outcome:
        driver: Any = self._connection
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await driver._execute(_execute, driver._conn, operation, parameters, many)
            return outcome

    async def _async_soft_close(self) -> None:
        return None  # the driver's cursor is already closed

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the one the base class names


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI adapter, handing out connections whose cursors make one trip a statement."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> OneTripDBAPI:
    import aiosqlite

    return OneTripDBAPI(aiosqlite, sqlite3)
