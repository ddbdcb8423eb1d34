"""Intake: store each update in the inbox before Telegram is told we have it.

With long polling, Telegram considers updates delivered once we ask with a higher `offset`; we
only move the offset after the insert has committed, so a crash in between means Telegram sends
the update again and the insert-if-absent makes that a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.telegram import Conflict, InvalidToken, NetworkError, TelegramApi, chat_of
from storage.db import Database, dialect_insert
from storage.models import InboxUpdate, utcnow

log = logging.getLogger(__name__)


_INBOX = cast(Table, InboxUpdate.__table__)
# Built once per dialect and run with the rows as parameters: a statement with its rows inside
# (insert().values(rows)) is compiled anew for every batch — about a quarter of storing an update.
_STORE: dict[Any, Any] = {}


def _store_statement(session: AsyncSession) -> Any:
    insert = dialect_insert(session)
    statement = _STORE.get(insert)
    if statement is None:  # on the table, not the ORM entity: its bulk insert would cost more than the statement
        statement = _STORE[insert] = (insert(_INBOX).on_conflict_do_nothing(index_elements=["update_id"])
                                      .returning(_INBOX.c.update_id))
    return statement


async def store_updates(db: Database, updates: Sequence[dict[str, Any]]) -> int:
    """Insert updates not seen before; returns how many were new."""
    if not updates:
        return 0
    async with db.write_bounded() as session, session.begin():
        now = utcnow()
        rows = [
            {"update_id": int(u["update_id"]), "chat_id": chat_of(u), "payload": u, "status": "pending",
             "received_at": now, "attempts": 0}
            for u in updates
        ]
        # One INSERT for the batch all the same (SQLAlchemy's "insertmanyvalues"); RETURNING
        # names the rows that went in, those not seen before.
        new = len((await session.execute(_store_statement(session), rows)).all())
    metrics.UPDATES_RECEIVED.inc(len(updates))  # counted once committed: a rollback stored nothing
    metrics.UPDATES_NEW.inc(new)
    return new


class Poller:
    """Long polling with our own loop (getUpdates → inbox → confirm by offset)."""

    def __init__(self, client: TelegramApi, db: Database, on_stored: Callable[[], None]) -> None:
        self.client = client
        self.db = db
        self.on_stored = on_stored
        self.offset: int | None = None

    async def run(self) -> None:
        backoff = 1.0
        while True:
            try:
                updates = await self.client.get_updates(self.offset)
            except InvalidToken:
                raise
            except Conflict:
                log.warning("another process is polling with this token (409 Conflict); retrying in 10 s")
                await asyncio.sleep(10)
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            backoff = 1.0
            if not updates:
                continue
            new = await store_updates(self.db, updates)
            self.offset = max(int(u["update_id"]) for u in updates) + 1
            log.debug("stored %d new of %d updates", new, len(updates))
            self.on_stored()
