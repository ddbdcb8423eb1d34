"""The dispatcher's work riding on a processing transaction (bot.dispatcher.Boarding): answers
that may go at once are claimed in it and sent once it commits; one with an older row unsent in
its chat is left to the tick, so a chat's order holds; nothing is claimed or sent when the
transaction rolls back; and the outcomes waiting are recorded in it. Through the real Dispatcher
and database; only Telegram is played, by a stand-in."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.dispatcher import Dispatcher
from bot.outbox import add_rows, rows_for
from handlers.core.actions import Send
from storage.db import Database
from storage.models import OutboxMessage
from tests.integration.standins import UNLIMITED, Telegram


def now() -> datetime:
    return datetime.now(timezone.utc)


async def _statuses(db: Database) -> dict[str, str]:
    async with db.read() as session:
        rows = (await session.execute(select(OutboxMessage.payload, OutboxMessage.status))).all()
    return {payload.get("text", ""): status for payload, status in rows}


async def _queue(db: Database, dispatcher: Dispatcher, *sends: Send, fail: bool = False) -> bool:
    """One processing-like transaction queuing `sends` with the dispatcher's work aboard."""
    boarding = dispatcher.boarding()
    try:
        async with db.write_bounded() as session, session.begin():
            await boarding.record(session, now())
            rows = rows_for(list(sends))
            ids = await add_rows(session, rows)
            all_taken = await boarding.claim(session, list(zip(ids, rows)), now())
            if fail:
                raise RuntimeError("the handler's write refused")
    except RuntimeError:
        boarding.failed()
        return False
    boarding.committed()
    return all_taken


def test_answers_are_claimed_in_the_transaction_and_a_chats_order_holds(migrated_database_url: str) -> None:
    async def scenario() -> None:
        db = Database(migrated_database_url)
        telegram = Telegram()
        dispatcher = Dispatcher(db, telegram, now, UNLIMITED)  # type: ignore[arg-type]
        try:
            await dispatcher.tick()  # the dispatcher is sending (nothing queued yet)
            async with db.write() as session, session.begin():  # queued elsewhere, not yet sent
                await add_rows(session, rows_for([Send(9001, "older")]))

            assert await _queue(db, dispatcher, Send(9002, "alone")) is True
            assert await _queue(db, dispatcher, Send(9001, "newer")) is False  # "older" is ahead of it
            assert await _queue(db, dispatcher, Send(9003, "rolled back"), fail=True) is False
            await asyncio.wait_for(_until(lambda: "alone" in telegram.texts), 5)
            statuses = await _statuses(db)
            assert statuses["older"] == "pending" and statuses["newer"] == "pending", statuses
            assert "rolled back" not in statuses and "rolled back" not in telegram.texts
            assert telegram.texts == ["alone"]  # no tick has run: only the claimed row went

            await dispatcher.tick()  # the tick takes the rest, in order
            await asyncio.wait_for(_until(lambda: "older" in telegram.texts), 5)
            for _ in range(20):
                await dispatcher.tick()
                if "newer" in telegram.texts:
                    break
                await asyncio.sleep(0.05)
            assert telegram.texts == ["alone", "older", "newer"]

            # The outcomes waiting are recorded by the next such transaction (no tick runs here).
            assert await _queue(db, dispatcher, Send(9004, "again")) is True
            await asyncio.wait_for(_until(lambda: "again" in telegram.texts and not dispatcher._tasks), 5)
            assert (await _statuses(db))["again"] == "sending"  # answered, not yet recorded
            await _queue(db, dispatcher, Send(9005, "next"))
            assert (await _statuses(db))["again"] == "sent"
        finally:
            dispatcher.stop()
            await dispatcher.drain(5)
            await db.dispose()

    asyncio.run(scenario())


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)
