"""Storing updates (bot.intake.store_updates), on both databases: a batch goes in once, an update
Telegram delivers again is neither stored twice nor overwritten, and the count of new ones —
what the poller logs and the metrics count — says which were new."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.intake import store_updates
from storage.db import Database
from storage.models import InboxUpdate
from tests.integration.test_statement_budget import message


def test_a_batch_is_stored_once_and_a_redelivered_update_changes_nothing(migrated_database_url: str) -> None:
    async def run() -> tuple[list[int], list[tuple[int, str, str]]]:
        db = Database(migrated_database_url)
        try:
            counts = [await store_updates(db, [message(1, "satu"), message(2, "dua")])]
            # Telegram sends 2 again (our confirmation was lost), with 3 and 4 behind it; the copy
            # of 2 says something else, and must not replace what was stored.
            counts.append(await store_updates(db, [message(2, "dua lagi"), message(3, "tiga"), message(4, "empat")]))
            counts.append(await store_updates(db, [message(3, "tiga"), message(4, "empat")]))
            counts.append(await store_updates(db, []))
            async with db.read() as session:
                rows = (await session.execute(select(InboxUpdate.update_id, InboxUpdate.payload, InboxUpdate.status)
                                              .order_by(InboxUpdate.update_id))).all()
            return counts, [(update_id, payload["message"]["text"], status) for update_id, payload, status in rows]
        finally:
            await db.dispose()

    counts, rows = asyncio.run(run())
    assert counts == [2, 2, 0, 0]
    assert rows == [(1, "satu", "pending"), (2, "dua", "pending"), (3, "tiga", "pending"), (4, "empat", "pending")]
