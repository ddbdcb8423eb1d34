"""Roles one process at a time holds: the scheduler (runs the jobs) and the sender (sends the
outbox within Telegram's bot-wide limits and fetches attachments, once each).

On SQLite there is one process, and it holds every role. On PostgreSQL a role is a session
advisory lock on a connection the holder keeps open: when the process dies, its connection and
the lock go with it, and another process takes the role at its next check (every
LEADERSHIP_CHECK_SECONDS). A holder can also *fence* a statement with the role (see `fence`), so a
process that lost its lock without noticing yet (its connection cut) changes nothing as if it
still held it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from prometheus_client import Gauge
from sqlalchemy import ColumnElement, text, true
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x4B4B  # "KK": the processor's chat locks (the key is the chat id)
ROLE_NAMESPACE = 0x4B52  # "KR": the roles, apart from the chats (a chat id may equal a role's key)
ROLE_KEYS = {"scheduler": 0x5343, "sender": 0x5344}  # "SC", "SD"
LEADERSHIP_CHECK_SECONDS = 10  # a new holder within this long of the last one's death
RELEASE_WAIT_SECONDS = 5.0  # at stop, how long a role check under way is waited for


class Leadership:
    """Whether this process holds `role`. `held()` checks (and takes the role when it is free);
    `holds` is the answer of the last check. `listen`: PostgreSQL NOTIFY channels the holder
    hears on its lock's connection, each with what to call when a notification arrives."""

    def __init__(self, db: Database, role: str, gauge: Gauge | None = None,
                 listen: dict[str, Callable[[], None]] | None = None) -> None:
        self.db = db
        self.role = role
        self.key = ROLE_KEYS[role]
        self.gauge = gauge
        self.listen = listen or {}
        self._connection: AsyncConnection | None = None
        self._pid: int | None = None
        self._checking = asyncio.Lock()
        self._released = False
        self.holds = not db.is_postgres

    def _set(self, holds: bool) -> None:
        self.holds = holds
        if self.gauge is not None:
            self.gauge.set(1 if holds else 0)

    async def held(self) -> bool:
        if not self.db.is_postgres:
            self._set(True)
            return True
        # One check at a time, and none after `release`: a check still under way when the
        # process stops is finished and its connection closed, not cut off and left to the collector.
        async with self._checking:
            if self._released:
                self._set(False)
                return False
            return await self._check()

    async def _check(self) -> bool:
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection (and with it the lock) is gone
                log.warning("lost the %s lock's connection; trying again", self.role)
                lost, self._connection, self._pid = self._connection, None, None
                with contextlib.suppress(Exception):
                    await lost.invalidate()
                self._set(False)
        connection = await self.db.engine.connect()
        try:
            got = await connection.scalar(text("SELECT pg_try_advisory_lock(:ns, :key)"), {"ns": ROLE_NAMESPACE, "key": self.key})
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
            await connection.commit()
            if got and self.listen:
                await self._subscribe(connection)
        except BaseException:  # a check cancelled at shut-down as well: the connection goes back, not to the collector
            with contextlib.suppress(Exception):
                await connection.invalidate()
            raise
        if not got or self._released:  # released meanwhile: a check that outlived release's wait
            if got:
                await connection.invalidate()  # the session, and the lock with it, ends
            else:
                await connection.close()
            self._set(False)
            return False
        self._connection, self._pid = connection, int(pid)
        self._set(True)
        log.info("this process is the %s", self.role)
        for wake in self.listen.values():  # what queued up while no one held the role
            wake()
        return True

    async def _subscribe(self, connection: AsyncConnection) -> None:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        for channel, wake in self.listen.items():
            await driver.add_listener(channel, lambda *_args, wake=wake: wake())

    def fence(self) -> ColumnElement[bool]:
        """A condition true only while this process's lock connection holds the role: put it in a
        statement's WHERE, run it with `fence_values()`, and a holder that lost the lock changes
        nothing. Always true on SQLite. The condition has no values of its own, so a statement
        holding it can be built once."""
        if not self.db.is_postgres:
            return true()
        return text(
            "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = :fence_ns AND objid = :fence_key "
            "AND objsubid = 2 AND pid = :fence_pid AND granted)"
        )  # type: ignore[return-value]

    def fence_values(self) -> dict[str, int]:
        """The fence's values now (the lock connection's server process changes when it is taken anew)."""
        if not self.db.is_postgres:
            return {}
        return {"fence_ns": ROLE_NAMESPACE, "fence_key": self.key, "fence_pid": self._pid or 0}

    async def keep(self, interval: float = LEADERSHIP_CHECK_SECONDS) -> None:
        """Check every `interval` seconds, for ever (a task): the role is taken up soon after its
        holder dies."""
        while True:
            try:
                await self.held()
            except Exception:  # the database away for a moment: the next check tries again
                log.warning("could not check the %s lock; will try again", self.role)
            await asyncio.sleep(interval)

    async def release(self, wait: float = RELEASE_WAIT_SECONDS) -> None:
        """Give the role up for good (the process is stopping). A check under way is waited for,
        but not for longer than `wait` (one stuck on an unreachable database must not hold up
        the stop; its connection, if it ever gets one, is closed when it sees the release)."""
        self._released = True
        try:
            async with asyncio.timeout(wait):
                await self._checking.acquire()
        except TimeoutError:
            log.warning("a %s check was still under way at stop", self.role)
            await self._close()
            return
        try:
            await self._close()
        finally:
            self._checking.release()

    async def _close(self) -> None:
        self._set(False)
        if self._connection is not None:
            connection, self._connection, self._pid = self._connection, None, None
            # Closed, not returned to the pool: the lock and the LISTENs end with the session.
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()
