"""storage.sqlite_driver: aiosqlite with one trip to the driver's thread per statement. Results,
counts, errors and transactions are what aiosqlite gives; long results still come in batches."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import column, select, table, text
from sqlalchemy.exc import IntegrityError

from storage import sqlite_driver
from storage.db import Database

ROWS = 1_000  # more than one prefetch
T = table("t", column("id"), column("word"))  # a construct: SQLAlchemy streams those, not text()


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'd.sqlite3'}")
    async with database.write() as session, session.begin():
        await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, word TEXT UNIQUE)"))
        await session.execute(text("INSERT INTO t (word) VALUES (:w)"), [{"w": f"w{i}"} for i in range(ROWS)])
    yield database
    await database.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls sent to the driver's thread (aiosqlite's one door to it)."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def test_both_engines_use_it(database: Database) -> None:
    for engine in (database.engine, database.reader_engine):
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite_driver.Connection)


async def test_a_transaction_is_one_trip_per_statement_and_the_commit(database: Database, trips: list[str]) -> None:
    async with database.write() as session, session.begin():
        await session.execute(text("UPDATE t SET word = 'changed' WHERE id = 1"))
        assert (await session.execute(text("SELECT word FROM t WHERE id = 1"))).scalar_one() == "changed"
    # BEGIN IMMEDIATE, UPDATE, SELECT, COMMIT; with aiosqlite's cursors it was 11, and 12 with the
    # pool's rollback after the commit.
    assert len(trips) == 4, trips


async def test_a_bounded_write_runs_its_begin_and_statements_on_the_loop_and_commit_on_the_thread(
        database: Database, trips: list[str]) -> None:
    async with database.write_bounded() as session, session.begin():
        await session.execute(text("UPDATE t SET word = 'changed' WHERE id = 1"))
        assert (await session.execute(text("SELECT word FROM t WHERE id = 1"))).scalar_one() == "changed"
    assert trips == ["commit"], trips  # BEGIN IMMEDIATE found the lock free; COMMIT syncs the disk
    trips.clear()
    async with database.write() as session, session.begin():  # the next, unmarked, goes through the thread again
        await session.execute(text("UPDATE t SET word = 'again' WHERE id = 1"))
    assert trips == ["_run", "_run", "commit"], trips
    async with database.read() as session:
        assert await session.scalar(text("SELECT word FROM t WHERE id = 1")) == "again"


async def test_a_bounded_write_waiting_for_another_processs_lock_does_not_hold_the_loop(
        tmp_path: Path, trips: list[str]) -> None:
    path = tmp_path / "d.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.write() as session, session.begin():
            await session.execute(text("CREATE TABLE t (v INTEGER)"))
        other = sqlite3.connect(path, isolation_level=None)  # another process, e.g. the CLI, writing
        other.execute("BEGIN IMMEDIATE")
        trips.clear()

        async def write() -> None:
            async with database.write_bounded() as session, session.begin():
                await session.execute(text("INSERT INTO t VALUES (1)"))

        task = asyncio.create_task(write())
        ticks = 0
        for _ in range(20):  # the loop goes on while the write waits for the lock
            await asyncio.sleep(0.01)
            ticks += 1
        assert not task.done() and ticks == 20
        other.execute("ROLLBACK")
        await asyncio.wait_for(task, 10)
        assert trips == ["_run", "commit"], trips  # the lock was taken: BEGIN waited for it on the thread
        # The next bounded write waits for the lock too, as long as busy_timeout allows: the
        # look at the lock without waiting left the connection's timeout as it was.
        other.execute("BEGIN IMMEDIATE")
        task = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not task.done()
        other.execute("ROLLBACK")
        await asyncio.wait_for(task, 10)
        other.close()
        async with database.read() as session:
            assert await session.scalar(text("SELECT count(*) FROM t")) == 2
        async with database.engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA busy_timeout")) == sqlite_driver.BUSY_TIMEOUT_MS
    finally:
        await database.dispose()


async def test_rows_beyond_the_prefetch_all_arrive_in_order(database: Database, trips: list[str]) -> None:
    async with database.read() as session:
        words = list(await session.scalars(text("SELECT word FROM t ORDER BY id")))
    assert words == [f"w{i}" for i in range(ROWS)]
    assert trips.count("fetchall") == 1  # the first PREFETCH came with the statement, the rest in one


async def test_a_streamed_result_comes_in_batches_not_all_at_once(database: Database, trips: list[str]) -> None:
    seen: list[int] = []
    async with database.read() as session:
        connection = await session.connection()
        result = await connection.stream(select(T.c.id).order_by(T.c.id).execution_options(yield_per=100))
        async for partition in result.partitions():
            seen.extend(row[0] for row in partition)
    assert seen == list(range(1, ROWS + 1))
    batches = trips.count("fetchmany")
    # Bounded memory: the driver fetched in batches (at least a prefetch each), never the whole result at once.
    assert ROWS // sqlite_driver.PREFETCH - 1 <= batches <= ROWS // 100 + 1, trips
    assert "fetchall" not in trips


async def test_a_stream_left_midway_is_closed_and_the_connection_goes_on(database: Database) -> None:
    async with database.read() as session:
        connection = await session.connection()
        result = await connection.stream(select(T.c.id).order_by(T.c.id).execution_options(yield_per=10))
        first = await result.fetchmany(10)
        await result.close()
        assert [row[0] for row in first] == list(range(1, 11))
        assert await session.scalar(text("SELECT count(*) FROM t")) == ROWS


async def test_counts_ids_and_returning_are_the_statements(database: Database) -> None:
    async with database.write() as session, session.begin():
        updated = await session.execute(text("UPDATE t SET word = word || '!' WHERE id <= 10"))
        assert updated.rowcount == 10  # type: ignore[attr-defined]
        inserted = await session.execute(text("INSERT INTO t (word) VALUES ('new')"))
        assert inserted.lastrowid == ROWS + 1  # type: ignore[attr-defined]
        returned = await session.execute(text("DELETE FROM t WHERE id > :n RETURNING id, word"), {"n": ROWS - 2})
        assert sorted(returned.all()) == [(ROWS - 1, f"w{ROWS - 2}"), (ROWS, f"w{ROWS - 1}"), (ROWS + 1, "new")]
        assert await session.scalar(text("SELECT count(*) FROM t")) == ROWS - 2


@pytest.mark.parametrize("bounded", [False, True])
async def test_an_error_is_the_databases_and_a_rollback_undoes_the_transaction(database: Database, bounded: bool) -> None:
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with (database.write_bounded if bounded else database.write)() as session, session.begin():
            await session.execute(text("UPDATE t SET word = 'gone' WHERE id = 1"))
            await session.execute(text("INSERT INTO t (word) VALUES ('w2')"))  # a duplicate
    async with database.write() as session, session.begin():  # the same single connection, usable
        assert await session.scalar(text("SELECT word FROM t WHERE id = 1")) == "w0"  # rolled back


async def test_the_raw_cursor_fetches_one_many_and_all(tmp_path: Path) -> None:
    async with sqlite_driver.connect(tmp_path / "raw.sqlite3") as connection:
        async with connection.cursor() as cursor:
            assert cursor.description is None and cursor.rowcount == -1
            await cursor.execute("CREATE TABLE n (v INTEGER)")
            await cursor.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(600)])
            assert cursor.rowcount == 600
            await cursor.execute("SELECT v FROM n ORDER BY v")
            assert await cursor.fetchone() == (0,)
            assert await cursor.fetchmany(3) == [(1,), (2,), (3,)]
            rest = await cursor.fetchall()
            assert rest == [(i,) for i in range(4, 600)]
            assert await cursor.fetchone() is None and await cursor.fetchall() == []
            await cursor.execute("SELECT v FROM n WHERE v < 0")
            assert await cursor.fetchall() == [] and cursor.description is not None


async def test_a_single_read_runs_on_the_loop_with_no_transaction_and_sees_what_is_committed(
        database: Database, trips: list[str]) -> None:
    async with database.read() as session:  # the reader's connection made (its pragmas are trips)
        await session.scalar(text("SELECT 1"))
    trips.clear()
    async with database.read_single() as session:
        assert await session.scalar(text("SELECT word FROM t WHERE id = 2")) == "w1"
    assert trips == [], trips  # no BEGIN, no trip for the SELECT, no ROLLBACK
    async with database.write() as session, session.begin():
        await session.execute(text("UPDATE t SET word = 'newer' WHERE id = 2"))
    trips.clear()
    async with database.read_single() as session:  # the same pooled reader: no snapshot held from before
        assert await session.scalar(text("SELECT word FROM t WHERE id = 2")) == "newer"
    assert trips == [], trips
    async with database.read() as session:  # a plain reader's session takes its snapshot again, on the thread
        assert await session.scalar(text("SELECT word FROM t WHERE id = 2")) == "newer"
        assert await session.scalar(text("SELECT COUNT(*) FROM t")) == ROWS
    assert trips == ["_run", "_run", "_run", "rollback"], trips  # BEGIN, two SELECTs, ROLLBACK


async def test_a_plain_read_keeps_its_snapshot_after_a_single_read_on_its_connection(database: Database) -> None:
    async with database.read_single() as session:
        await session.scalar(text("SELECT 1"))
    async with database.read() as session:
        before = await session.scalar(text("SELECT word FROM t WHERE id = 3"))
        async with database.write() as writer, writer.begin():
            await writer.execute(text("UPDATE t SET word = 'later' WHERE id = 3"))
        assert await session.scalar(text("SELECT word FROM t WHERE id = 3")) == before == "w2", "a reader's session is one snapshot"
    async with database.read_single() as session:
        assert await session.scalar(text("SELECT word FROM t WHERE id = 3")) == "later"
