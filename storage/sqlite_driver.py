"""aiosqlite with one trip to the driver's thread per statement, and none inside the writer's transactions.

aiosqlite runs every call on its connection's own thread: making a cursor, executing, fetching
and closing are four trips (a queue put, a thread wake, a loop wake, the GIL passed back and
forth) for a statement SQLite answers in microseconds — most of what a form update costs on
SQLite was these trips (bench/README.md). Here a statement is one trip: the cursor is made, the
statement run and its first rows fetched in the same call, and closing an exhausted cursor takes
none. A longer result (a report streamed in chunks) is fetched a batch per trip, as before, so
memory stays flat however many rows it has.

A reader's session marked for one bounded read (the dispatcher's page of its queue, the
processor's chats with updates waiting: storage.db's `read_single`) runs its statement on the loop
with no BEGIN and no ROLLBACK: none of the three trips a reader's session otherwise takes.

The writer goes further for the transactions of bounded, indexed work its caller marks (an
update processed, updates stored, sends claimed and recorded: storage.db's `write_bounded`):
begun IMMEDIATE, so the write lock is held and no statement waits for another process, their
statements run on the event loop itself (a trip costs some 60-100 us of CPU; SQLite's work on an
indexed row, about one). Their BEGIN runs on the loop too when the lock is free (with no busy
wait); only when another process holds it does it go to the thread, to wait there up to
busy_timeout. COMMIT, which syncs the disk, stays on the thread, as does every other transaction
— a reminder sweep over a million cases, an erasure, a reader's report must not hold the loop
(nor the /healthz it answers).

Only the cursor is changed; the connection, its thread, its transactions and errors are
aiosqlite's. SQLAlchemy gets it through `create_async_engine(async_creator=...)` (storage.db)."""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager

# Rows fetched with the statement: every statement of the bot's own work fits (the longest, an
# officer's case list, is a page); past it, batches of this size per trip.
PREFETCH = 256
BUSY_TIMEOUT_MS = 30_000  # how long a statement waits for another process's lock (storage.db sets it)


class Cursor(aiosqlite.Cursor):
    """An aiosqlite cursor whose sqlite3 cursor is made by its first statement, on the driver's
    thread, and whose rows come with the statement."""

    def __init__(self, conn: Connection) -> None:  # no super(): there is no sqlite3 cursor yet
        self.iter_chunk_size = conn._iter_chunk_size
        self._conn = conn
        self._cursor: sqlite3.Cursor = None  # type: ignore[assignment]  # set by the first statement
        self._rows: deque[Any] = deque()
        self._exhausted = True

    async def _call(self, fn: Any, *args: Any) -> Any:
        # Inside a bounded write transaction (begun IMMEDIATE: the write lock is held, nothing is
        # waited for) a statement runs here, on the event loop: the trip to the driver's thread
        # costs far more than SQLite's work. BEGIN, COMMIT and all else go there.
        # A single bounded read (storage.db's `read_single`) runs here too, outside any
        # transaction: one SELECT is its own snapshot, and in WAL a reader takes no lock.
        connection = self._conn._connection
        if connection is not None and (self._conn.single_read or (self._conn.inline and connection.in_transaction)):
            return fn(*args)
        return await self._execute(fn, *args)

    def _run(self, method: str, sql: str, parameters: Any) -> tuple[sqlite3.Cursor, list[Any]]:
        # On the driver's thread: the whole statement, and its first rows.
        cursor = self._cursor if self._cursor is not None else self._conn._conn.cursor()
        getattr(cursor, method)(sql, parameters)
        return cursor, cursor.fetchmany(PREFETCH) if cursor.description else []

    async def _statement(self, method: str, sql: str, parameters: Any) -> Cursor:
        self._rows.clear()
        self._cursor, rows = await self._call(self._run, method, sql, parameters)
        self._rows.extend(rows)
        self._exhausted = len(rows) < PREFETCH
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        return await self._statement("execute", sql, [] if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        return await self._statement("executemany", sql, parameters)

    async def _fill(self, wanted: int) -> None:
        if self._exhausted or len(self._rows) >= wanted:
            return
        size = max(wanted - len(self._rows), PREFETCH)
        rows = await self._call(self._cursor.fetchmany, size)
        self._rows.extend(rows)
        self._exhausted = len(rows) < size

    async def fetchone(self) -> Any:
        await self._fill(1)
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = self.arraysize if size is None else size
        await self._fill(size)
        return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        if not self._exhausted:
            self._rows.extend(await self._call(self._cursor.fetchall))
            self._exhausted = True
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        # An exhausted sqlite3 cursor holds no statement (it was reset when its rows ran out):
        # nothing to do on the driver's thread. One left midway is closed there.
        self._rows.clear()
        if self._cursor is not None and not self._exhausted:
            self._exhausted = True
            await self._call(self._cursor.close)

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize if self._cursor is not None else 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        if self._cursor is not None:
            self._cursor.arraysize = value

    @property
    def description(self) -> Any:
        return self._cursor.description if self._cursor is not None else None

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else -1

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid if self._cursor is not None else None


class Connection(aiosqlite.Connection):
    # Whether the statements of the transaction under way run on the loop: set by storage.db at
    # each BEGIN (False) and by a bounded write session once begun (True).
    inline = False
    # Whether this reader runs one statement on the loop with no BEGIN around it: set by
    # storage.db at each begin of a reader's session (True only for `read_single` sessions).
    single_read = False

    def begin_immediate_here(self) -> bool:
        """BEGIN IMMEDIATE on the loop if the write lock is free this moment (True). False: another
        process holds it, and the caller begins on the driver's thread, waiting up to busy_timeout
        there (a wait must not hold the loop). Called only between transactions, when no call of
        this connection is under way on its thread."""
        connection = self._connection
        if connection is None or connection.in_transaction:
            return False
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            connection.execute("BEGIN IMMEDIATE")
            return True
        except sqlite3.OperationalError as exc:  # SQLITE_BUSY: "database is locked"
            if connection.in_transaction or "locked" not in str(exc):
                raise
            return False
        finally:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @contextmanager
    async def cursor(self) -> aiosqlite.Cursor:
        return Cursor(self)  # no trip: its sqlite3 cursor is made with its first statement

    async def rollback(self) -> None:
        # The pool rolls back every connection handed back to it, most often just after a commit:
        # out of a transaction there is nothing to roll back (no statement runs while SQLAlchemy
        # hands the connection back, so reading the flag here is safe).
        if self._connection is None or self._connection.in_transaction:  # None: aiosqlite says closed
            await super().rollback()


def connect(database: str | Path, *, iter_chunk_size: int = 64, **kwargs: Any) -> Connection:
    """Like aiosqlite.connect; `kwargs` go to sqlite3.connect."""
    location = str(database)
    kwargs["check_same_thread"] = False  # used from the loop's thread too, never at once (see Cursor._call)

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(location, **kwargs)

    connection = Connection(connector, iter_chunk_size)
    connection._thread.daemon = True  # as SQLAlchemy sets it for aiosqlite: exit is not held up by it
    return connection
