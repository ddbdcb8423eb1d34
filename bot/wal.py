"""Emptying SQLite's write-ahead log soon after data was wiped.

SQLite keeps old versions of changed pages in the -wal file until a checkpoint; with
secure_delete on, a TRUNCATE checkpoint leaves the wiped values (a whistleblower's chat id, a
stranger's message) neither in the database file nor in the WAL. Requests are debounced: one
checkpoint per burst. On PostgreSQL this does nothing (its storage is the server's concern).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import checkpoint_truncate

log = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 0.5


class WalWiper:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._requested = asyncio.Event()

    def request(self) -> None:
        if self.engine.dialect.name == "sqlite":
            self._requested.set()

    async def run(self) -> None:
        while True:
            await self._requested.wait()
            await asyncio.sleep(DEBOUNCE_SECONDS)
            self._requested.clear()
            await self.flush()

    async def flush(self) -> None:
        try:
            await checkpoint_truncate(self.engine)
        except Exception:  # a long read may hold the WAL; the next request tries again
            log.warning("could not empty the WAL; will try again")
            self._requested.set()
