"""The roles one process at a time holds (bot.leadership), against a real database: who holds
them, how one passes on when its holder dies, the fence that stops a holder which lost its lock,
the claims that skip locked rows, and the NOTIFY that wakes the sender. On SQLite (one process)
every role is always held; the PostgreSQL runs (TEST_DATABASE_URL) are where the rules bite."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.dispatcher import Dispatcher
from bot.leadership import LOCK_NAMESPACE, ROLE_KEYS, Leadership
from bot.outbox import add_rows, rows_for
from handlers.core.actions import Send
from storage.db import FILES_CHANNEL, WORK_CHANNEL, Database, queued
from storage.models import OutboxMessage
from tests.e2e.harness import ROOT, fresh_database, query

ROLES = tuple(ROLE_KEYS)


def now() -> datetime:
    return datetime.now(timezone.utc)


async def terminate(db: Database, leader: Leadership) -> None:
    """As kill -9 of the holder would do: its backend, and with it the session lock, is gone."""
    assert leader._connection is not None
    pid = await leader._connection.scalar(text("SELECT pg_backend_pid()"))
    async with db.engine.connect() as killer:
        await killer.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await killer.commit()


async def queue(db: Database, count: int) -> list[int]:
    async with db.write() as session, session.begin():
        rows = [OutboxMessage(chat_id=1000 + i, method="sendMessage", payload={"chat_id": 1000 + i, "text": str(i)},
                              status="pending") for i in range(count)]  # fmt: skip
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


@pytest.mark.parametrize("role", ROLES)
def test_one_process_holds_a_role_and_hands_it_on_when_it_stops(migrated_database_url: str, role: str) -> None:
    async def holders() -> list[bool]:
        dbs = [Database(migrated_database_url) for _ in range(2)]
        first, second = Leadership(dbs[0], role), Leadership(dbs[1], role)
        try:
            held = [await first.held(), await second.held(), await first.held()]
            await first.release()  # the holder stops: the other takes over on its next try
            held.append(await second.held())
            return held
        finally:
            await first.release()
            await second.release()
            for db in dbs:
                await db.dispose()

    held = asyncio.run(holders())
    if migrated_database_url.startswith("sqlite"):
        assert held == [True, True, True, True], "SQLite means one process, which holds every role"
    else:
        assert held == [True, False, True, True]


def test_stopping_during_a_check_leaves_no_connection_and_no_lock(migrated_database_url: str) -> None:
    """A process stops (release) while a role check is under way, at many moments of it: the
    check finishes, its connection is closed and the lock given up — none taken after release
    and kept, none left to the garbage collector (SQLAlchemy's "non-checked-in connection"
    warning in a CI log), and the role is not taken again."""
    if migrated_database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: SQLite holds every role without a connection")

    async def stops() -> tuple[list[int], list[bool], int]:
        db = Database(migrated_database_url)
        out: list[int] = []
        after: list[bool] = []
        try:
            for step in range(30):
                leader = Leadership(db, "sender", listen={"aduan_work": lambda: None})
                check = asyncio.create_task(leader.held())
                await asyncio.sleep(step * 0.0005)
                await leader.release()
                await check
                out.append(db.engine.pool.checkedout())
                after.append(await leader.held())
                del check
                gc.collect()
            async with db.engine.connect() as probe:
                locks = int(await probe.scalar(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :ns "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"), {"ns": 0x4B52}) or 0)
            return out, after, locks
        finally:
            await db.dispose()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out, after, locks = asyncio.run(stops())
    assert out == [0] * len(out), "a check finished after release kept its connection"
    assert not any(after), "a released role was taken again"
    assert locks == 0
    left = [str(w.message) for w in caught if "non-checked-in connection" in str(w.message)]
    assert not left, left[0]


@pytest.mark.parametrize("role", ROLES)
def test_when_the_holder_dies_another_process_takes_the_role(migrated_database_url: str, role: str) -> None:
    async def failover() -> list[bool]:
        dbs = [Database(migrated_database_url) for _ in range(3)]
        leaders = [Leadership(db, role) for db in dbs[:2]]
        try:
            held = [await leaders[0].held(), await leaders[1].held()]
            if dbs[0].is_postgres:
                await terminate(dbs[2], leaders[0])
            held += [await leaders[1].held(), await leaders[0].held()]
            return held
        finally:
            for leader in leaders:
                with contextlib.suppress(Exception):
                    await leader.release()
            for db in dbs:
                await db.dispose()

    held = asyncio.run(failover())
    if migrated_database_url.startswith("sqlite"):
        assert held == [True, True, True, True], "SQLite means one process, which holds every role"
    else:
        assert held == [True, False, True, False], "the survivor holds it; the dead one's lock is gone"


def test_the_roles_are_held_apart_and_apart_from_chat_locks(migrated_database_url: str) -> None:
    """Two processes may each hold a different role; and a chat whose id equals a role's key is
    still processed while that role is held (the processor's chat locks live elsewhere)."""
    async def check() -> tuple[bool, bool, bool]:
        dbs = [Database(migrated_database_url) for _ in range(2)]
        scheduler, sender = Leadership(dbs[0], "scheduler"), Leadership(dbs[1], "sender")
        try:
            apart = await scheduler.held() and await sender.held()
            async with dbs[1].engine.connect() as other:
                chat_free = await other.scalar(text("SELECT pg_try_advisory_xact_lock(:ns, :chat)"),
                                               {"ns": LOCK_NAMESPACE, "chat": ROLE_KEYS["scheduler"]})  # fmt: skip
                await other.rollback()
            return apart, bool(chat_free), scheduler.holds and sender.holds
        finally:
            await scheduler.release()
            await sender.release()
            for db in dbs:
                await db.dispose()

    if migrated_database_url.startswith("sqlite"):
        pytest.skip("advisory locks are PostgreSQL's; SQLite runs one process")
    assert asyncio.run(check()) == (True, True, True)


def test_a_sender_that_lost_its_lock_claims_nothing(migrated_database_url: str) -> None:
    """The fence: the old holder still believes it holds the role (it has not checked since its
    connection was cut), but its claims change no row; the new holder's claims do."""
    async def claims() -> tuple[int, int, list[str]]:
        dbs = [Database(migrated_database_url) for _ in range(3)]
        roles = [Leadership(db, "sender") for db in dbs[:2]]
        dispatchers = [Dispatcher(db, None, now, role=role) for db, role in zip(dbs, roles)]  # type: ignore[arg-type]
        try:
            ids = await queue(dbs[2], 4)
            assert await roles[0].held()
            await terminate(dbs[2], roles[0])
            assert roles[0].holds, "the old holder has not noticed yet: that is the case the fence is for"
            stale = now() - timedelta(seconds=30)
            old = await dispatchers[0]._commit(ids[:2], now(), stale)
            assert await roles[1].held()
            new = await dispatchers[1]._commit(ids, now(), stale)
            async with dbs[2].read() as session:
                statuses = list(await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))
            return len(old), len(new), statuses
        finally:
            for role in roles:
                with contextlib.suppress(Exception):
                    await role.release()
            for db in dbs:
                await db.dispose()

    if migrated_database_url.startswith("sqlite"):
        pytest.skip("one process on SQLite: there is no other holder to fence off")
    assert asyncio.run(claims()) == (0, 4, ["sending"] * 4)


def test_a_claim_skips_rows_another_transaction_has_locked_instead_of_waiting(migrated_database_url: str) -> None:
    async def claim() -> tuple[list[int], list[int]]:
        dbs = [Database(migrated_database_url) for _ in range(2)]
        dispatcher = Dispatcher(dbs[0], None, now)  # type: ignore[arg-type]
        try:
            ids = await queue(dbs[1], 3)
            async with dbs[1].write() as session, session.begin():
                await session.execute(select(OutboxMessage.id).where(OutboxMessage.id == ids[0]).with_for_update())
                # Without SKIP LOCKED this would wait for the transaction above, which waits for it.
                got = await asyncio.wait_for(dispatcher._commit(ids, now(), now() - timedelta(seconds=30)), timeout=10)
            again = await dispatcher._commit(ids, now(), now() - timedelta(seconds=30))
            return [row_id for row_id, *_ in got], [row_id for row_id, *_ in again]
        finally:
            for db in dbs:
                await db.dispose()

    if migrated_database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: no row is locked by another writer mid-claim")
    ids = asyncio.run(claim())
    assert len(ids[0]) == 2 and len(ids[1]) == 1 and not set(ids[0]) & set(ids[1]), ids


def test_queued_work_wakes_the_sender_in_another_process_at_commit(migrated_database_url: str) -> None:
    """A transaction that adds outbox rows NOTIFYs; the sender hears it on its lock's connection.
    A rolled-back one says nothing, and a process that does not hold the role hears nothing."""
    async def listen() -> tuple[bool, bool, bool, bool]:
        dbs = [Database(migrated_database_url) for _ in range(3)]
        heard, standby_heard = asyncio.Event(), asyncio.Event()
        sender = Leadership(dbs[0], "sender", listen={"aduan_work": heard.set})
        standby = Leadership(dbs[1], "sender", listen={"aduan_work": standby_heard.set})
        try:
            assert await sender.held() and not await standby.held()
            heard.clear()  # taking the role wakes its holder once, for what queued before
            with contextlib.suppress(RuntimeError):
                async with dbs[2].write() as session, session.begin():
                    session.add(OutboxMessage(chat_id=5, method="sendMessage", payload={}, status="pending"))
                    await session.flush()
                    raise RuntimeError("rolled back")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(heard.wait(), timeout=1)
            after_rollback = heard.is_set()
            await queue(dbs[2], 2)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(heard.wait(), timeout=10)
            return True, after_rollback, heard.is_set(), standby_heard.is_set()
        finally:
            await sender.release()
            await standby.release()
            for db in dbs:
                await db.dispose()

    if migrated_database_url.startswith("sqlite"):
        pytest.skip("NOTIFY is PostgreSQL's; on SQLite the one process wakes its own sender")
    assert asyncio.run(listen()) == (True, False, True, False)


@contextlib.asynccontextmanager
async def holding_the_sender(url: str, listen: dict[str, Callable[[], None]]) -> AsyncIterator[Database]:
    """A process holding the sender role and hearing `listen`'s channels, and the database of
    another process to queue work through. Taking the role wakes its holder once, for what queued
    before: that is over when this yields (the caller forgets what it heard until then)."""
    dbs = [Database(url) for _ in range(2)]
    sender = Leadership(dbs[0], "sender", listen=listen)
    try:
        assert await sender.held()
        await asyncio.sleep(0.2)
        yield dbs[1]
    finally:
        await sender.release()
        for db in dbs:
            await db.dispose()


def test_rows_queued_by_a_plain_insert_wake_the_dispatcher_and_only_it(migrated_database_url: str) -> None:
    """bot.outbox.add_rows queues outbox rows without the ORM's flush: it still NOTIFYs, on the
    outbox's channel and not the file fetcher's, in each transaction of a session (not only its
    first), and the session says what it queued (what wakes this process's own dispatcher)."""
    async def listen() -> tuple[list[str], list[set[str]]]:
        heard: list[str] = []
        woken = asyncio.Event()

        def hear(channel: str) -> Callable[[], None]:
            return lambda: (heard.append(channel), woken.set())  # type: ignore[func-returns-value]

        channels = {WORK_CHANNEL: hear(WORK_CHANNEL), FILES_CHANNEL: hear(FILES_CHANNEL)}
        async with holding_the_sender(migrated_database_url, channels) as other:
            heard.clear()
            noted = []
            async with other.write() as session:
                for _ in range(2):
                    woken.clear()
                    async with session.begin():
                        await add_rows(session, rows_for([Send(5, "hai"), Send(5, "lagi")]))
                    await asyncio.wait_for(woken.wait(), timeout=10)
                noted.append(queued(session))
            await asyncio.sleep(0.5)  # anything else would have arrived by now
            return heard, noted

    if migrated_database_url.startswith("sqlite"):
        pytest.skip("NOTIFY is PostgreSQL's; on SQLite the one process wakes its own sender")
    assert asyncio.run(listen()) == ([WORK_CHANNEL, WORK_CHANNEL], [{WORK_CHANNEL}])


def test_rows_flushed_only_by_the_commit_still_wake_the_sender(migrated_database_url: str) -> None:
    """The NOTIFY is said at the end of the transaction (so work claimed in it can be withdrawn,
    see storage.db.withdraw): rows the commit itself flushes are announced all the same."""
    async def listen() -> bool:
        heard = asyncio.Event()
        async with holding_the_sender(migrated_database_url, {WORK_CHANNEL: heard.set}) as other:
            heard.clear()
            async with other.write() as session, session.begin():
                session.add(OutboxMessage(chat_id=5, method="sendMessage", payload={}, status="pending"))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(heard.wait(), timeout=10)
            return heard.is_set()

    if migrated_database_url.startswith("sqlite"):
        pytest.skip("NOTIFY is PostgreSQL's; on SQLite the one process wakes its own sender")
    assert asyncio.run(listen()) is True


def test_a_session_says_which_work_it_queued(migrated_database_url: str) -> None:
    """What wakes this process's own dispatcher (both databases): outbox rows by a plain INSERT or
    by the ORM, and nothing for a transaction that queued none."""
    async def note() -> list[set[str]]:
        db = Database(migrated_database_url)
        try:
            noted = []
            async with db.write() as session, session.begin():
                await session.execute(select(OutboxMessage.id))
            noted.append(queued(session))
            async with db.write() as session, session.begin():
                await add_rows(session, rows_for([Send(5, "hai")]))
            noted.append(queued(session))
            async with db.write() as session, session.begin():
                session.add(OutboxMessage(chat_id=5, method="sendMessage", payload={}, status="pending"))
            noted.append(queued(session))
            return noted
        finally:
            await db.dispose()

    assert asyncio.run(note()) == [set(), {WORK_CHANNEL}, {WORK_CHANNEL}]


def test_processes_starting_together_migrate_one_at_a_time(tmp_path: Path) -> None:
    """Three processes upgrading one fresh database at once (a deployment's first start): one
    migrates, the others wait for it and find the schema at head; none fails. (Processes, not
    threads: Alembic's context is global to a process.)"""
    with fresh_database(tmp_path) as url:
        if url.startswith("sqlite"):
            pytest.skip("SQLite means one process; several processes starting together need PostgreSQL")
        script = f"from storage.db import upgrade; upgrade({url!r})"
        starts = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                  for _ in range(3)]  # fmt: skip
        outcomes = [(p.wait(120), p.stdout.read().decode(errors="replace")[-2000:] if p.stdout else "") for p in starts]
        assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
        assert len(query(url, "SELECT version_num FROM alembic_version")) == 1
