"""The dispatcher records a burst of send outcomes in a few transactions, not one per message,
and records every kind of outcome of a batch as it would alone: through the real Dispatcher and
database; only Telegram is played here, by a stand-in that answers after a moment."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, select, text, update

from bot.dispatcher import Dispatcher, Limits
from bot.telegram import Forbidden, ServerError
from storage.db import Database
from storage.models import InboxUpdate, OutboxMessage, User

BLOCKED = 7001  # this chat's user blocked the bot
FAILING = 7002  # Telegram answers 502 for this one
WHISTLEBLOWER = 7003  # a sensitive row: wiped once sent


def now() -> datetime:
    return datetime.now(timezone.utc)


class Telegram:
    """Answers each call after `delay` seconds, as Telegram would: a message id, a 403, a 502."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls: list[int] = []

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        chat = int(payload["chat_id"])
        self.calls.append(chat)
        await asyncio.sleep(self.delay)
        if chat == BLOCKED:
            raise Forbidden("Forbidden: bot was blocked by the user")
        if chat == FAILING:
            raise ServerError("Bad Gateway")
        return {"message_id": 500 + len(self.calls)}


def test_a_burst_of_outcomes_is_recorded_together_and_each_as_it_would_be_alone(migrated_database_url: str) -> None:
    chats = [8000 + n for n in range(30)] + [BLOCKED, FAILING]

    async def burst() -> tuple[int, dict[int, tuple[str, int | None, int]], bool, int]:
        db = Database(migrated_database_url)
        recording: set[int] = set()  # write transactions that recorded a sent message
        current = [0]

        def began(_connection: Any) -> None:
            current[0] += 1

        def statement(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
            if sql.startswith("UPDATE outbox") and "sent_at" in sql:
                recording.add(current[0])

        event.listen(db.engine.sync_engine, "begin", began)
        event.listen(db.engine.sync_engine, "before_cursor_execute", statement)
        try:
            async with db.write() as session, session.begin():
                session.add(User(telegram_id=BLOCKED, display_name="Warga", language="id", created_at=now(), last_seen_at=now()))
                session.add_all([OutboxMessage(chat_id=chat, method="sendMessage", payload={"chat_id": chat, "text": "hai"},
                                               status="pending") for chat in chats])  # fmt: skip
                session.add(OutboxMessage(chat_id=BLOCKED, method="sendMessage", payload={"chat_id": BLOCKED, "text": "lagi"},
                                          status="pending"))  # fmt: skip
                session.add(OutboxMessage(chat_id=WHISTLEBLOWER, method="sendMessage", status="pending", sensitive=True,
                                          payload={"chat_id": WHISTLEBLOWER, "text": "token"}))  # fmt: skip
            telegram = Telegram(delay=0.05)
            limits = Limits(per_bot=10_000, bot_burst=10_000, per_chat=10_000, chat_burst=10_000, concurrency=16)
            dispatcher = Dispatcher(db, telegram, now, limits)  # type: ignore[arg-type]
            for _ in range(200):
                await dispatcher.tick()
                await asyncio.sleep(0.01)
                if len(telegram.calls) >= len(chats) + 1 and dispatcher.idle:
                    break
            async with db.read() as session:
                rows = {row.chat_id: (row.status, row.result_message_id, row.attempts)
                        for row in await session.scalars(select(OutboxMessage).where(OutboxMessage.sensitive.is_(False))
                                                         .order_by(OutboxMessage.id))}  # fmt: skip
                second = await session.scalar(select(OutboxMessage.status).where(OutboxMessage.chat_id == BLOCKED)
                                              .order_by(OutboxMessage.id.desc()).limit(1))
                user = await session.get(User, BLOCKED)
                blocked = user is not None and user.blocked_at is not None
                wiped = [(row.status, row.chat_id, row.payload) for row in await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.sensitive.is_(True)))]
            assert wiped == [("sent", 0, {})], "a whistleblower's sent message keeps neither its chat nor its text"
            assert WHISTLEBLOWER in telegram.calls
            return len(recording), rows, blocked and second == "failed", len(telegram.calls) - 1
        finally:
            await db.dispose()

    transactions, rows, blocked, calls = asyncio.run(burst())
    sent = [chat for chat, (status, message_id, _) in rows.items() if status == "sent" and message_id is not None]
    assert sorted(sent) == [8000 + n for n in range(30)], rows
    assert rows[FAILING][0] == "pending" and rows[FAILING][2] == 1, "a 502 is retried later, its attempt counted"
    assert blocked, "a 403 marks the user blocked and drops what is queued for them"
    assert calls == len(chats), "the blocked user's second message was not sent"
    # Sixteen calls at a time, answered together: their outcomes share a transaction or two.
    assert transactions <= len(sent) // 4, f"{transactions} transactions recorded {len(sent)} messages"


def test_a_tick_reads_past_a_first_page_of_rows_that_must_wait(migrated_database_url: str) -> None:
    """A tick reads a small first page; when every row in it must wait (held replies, here), it
    reads on, and the row behind them that may go goes in that tick."""
    async def tick() -> tuple[list[int], int]:
        db = Database(migrated_database_url)
        try:
            later = now() + timedelta(hours=1)
            async with db.write() as session, session.begin():
                session.add_all([OutboxMessage(chat_id=9000 + n, method="sendMessage", payload={"chat_id": 9000 + n, "text": "nanti"},
                                               status="pending", not_before=later) for n in range(300)])  # fmt: skip
                session.add(OutboxMessage(chat_id=9999, method="sendMessage", payload={"chat_id": 9999, "text": "sekarang"},
                                          status="pending"))  # fmt: skip
            telegram = Telegram(delay=0.0)
            limits = Limits(per_bot=10_000, bot_burst=10_000, per_chat=10_000, chat_burst=10_000, concurrency=16)
            dispatcher = Dispatcher(db, telegram, now, limits)  # type: ignore[arg-type]
            reads = [0]
            event.listen(db.reader_engine.sync_engine, "before_cursor_execute",
                         lambda _c, _cur, sql, *_: reads.__setitem__(0, reads[0] + sql.startswith("SELECT outbox.id")))
            for _ in range(20):  # the buckets start empty: the first ticks may find nothing to send yet
                await dispatcher.tick()
                await asyncio.sleep(0.01)
                if telegram.calls and dispatcher.idle:
                    break
            return telegram.calls, reads[0]
        finally:
            await db.dispose()

    calls, pages = asyncio.run(tick())
    assert calls == [9999]
    assert pages >= 3, "300 waiting rows do not fit in the first page and one more"


def test_a_chats_next_row_is_claimed_in_the_transaction_that_records_the_one_before(migrated_database_url: str) -> None:
    """Five messages to one chat: each is sent only once the one before it is recorded as sent
    (a process killed while sending it would resend that one, never an earlier one after it), and
    recording a message shares the transaction that claims the next: six write transactions, not ten."""
    async def send() -> tuple[list[str], list[list[str]], int]:
        db = Database(migrated_database_url)
        chat = 8100
        seen: list[list[str]] = []  # at each call, the statuses of the rows before the one being sent

        class Checking:
            calls: list[str] = []

            async def call(self, method: str, payload: dict[str, Any]) -> Any:
                self.calls.append(payload["text"])
                async with db.read() as session:
                    seen.append(list(await session.scalars(
                        select(OutboxMessage.status).where(OutboxMessage.chat_id == chat, OutboxMessage.payload["text"].as_string()
                                                           < payload["text"]).order_by(OutboxMessage.id))))
                return {"message_id": len(self.calls)}

        transactions = [0]
        event.listen(db.engine.sync_engine, "commit", lambda _c: transactions.__setitem__(0, transactions[0] + 1))
        try:
            async with db.write() as session, session.begin():
                session.add_all([OutboxMessage(chat_id=chat, method="sendMessage", payload={"chat_id": chat, "text": str(n)},
                                               status="pending") for n in range(5)])  # fmt: skip
            transactions[0] = 0
            telegram = Checking()
            limits = Limits(per_bot=10_000, bot_burst=10_000, per_chat=10_000, chat_burst=10_000, concurrency=16)
            dispatcher = Dispatcher(db, telegram, now, limits)  # type: ignore[arg-type]
            for _ in range(200):
                await dispatcher.tick()
                await asyncio.sleep(0.01)
                if len(telegram.calls) == 5 and dispatcher.idle:
                    break
            return telegram.calls, seen, transactions[0]
        finally:
            await db.dispose()

    calls, seen, transactions = asyncio.run(send())
    assert calls == ["0", "1", "2", "3", "4"]
    assert seen == [["sent"] * n for n in range(5)], seen
    assert transactions == 6, f"{transactions} write transactions sent five messages"


REFUSE_SQLITE = ("CREATE TRIGGER refuse_records BEFORE UPDATE OF status ON outbox WHEN NEW.status = 'sent' "
                 "BEGIN SELECT RAISE(ABORT, 'records refused'); END")  # fmt: skip
REFUSE_POSTGRES = (
    "CREATE FUNCTION refuse_records() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'records refused'; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER refuse_records BEFORE UPDATE OF status ON outbox FOR EACH ROW WHEN (NEW.status = 'sent') "
    "EXECUTE FUNCTION refuse_records()",
)


@pytest.mark.parametrize("failures", [1, 3])
def test_an_outcome_the_database_will_not_record_is_tried_again_then_left_to_the_lease(migrated_database_url: str, failures: int) -> None:
    """Recording "sent" fails `failures` times (the database away, here a trigger). Once: the
    outcome is recorded by the next claim and nothing is sent twice. Three times (RECORD_TRIES):
    it is given up, and the row, still claimed, is resent after the lease — before the chat's next
    message, never after it."""
    async def send() -> tuple[list[str], list[str], int]:
        db = Database(migrated_database_url)
        chat = 8200
        postgres = db.is_postgres
        try:
            async with db.write() as session, session.begin():
                session.add_all([OutboxMessage(chat_id=chat, method="sendMessage", payload={"chat_id": chat, "text": str(n)},
                                               status="pending") for n in range(2)])  # fmt: skip
                for sql in REFUSE_POSTGRES if postgres else (REFUSE_SQLITE,):
                    await session.execute(text(sql))

            class Answering:
                calls: list[str] = []

                async def call(self, method: str, payload: dict[str, Any]) -> Any:
                    self.calls.append(payload["text"])
                    return {"message_id": len(self.calls)}

            telegram = Answering()
            limits = Limits(per_bot=10_000, bot_burst=10_000, per_chat=10_000, chat_burst=10_000, concurrency=16,
                            lease=timedelta(seconds=0.5))  # fmt: skip
            dispatcher = Dispatcher(db, telegram, now, limits)  # type: ignore[arg-type]
            refused = 0
            for _ in range(200):
                try:
                    await dispatcher.tick()
                except Exception as exc:
                    assert "records refused" in str(exc)
                    refused += 1
                    if refused == failures:
                        async with db.write() as session, session.begin():
                            await session.execute(text("DROP TRIGGER refuse_records ON outbox" if postgres else "DROP TRIGGER refuse_records"))
                await asyncio.sleep(0.05)
                if len(set(telegram.calls)) == 2 and dispatcher.idle:
                    break
            async with db.read() as session:
                statuses = list(await session.scalars(select(OutboxMessage.status).where(OutboxMessage.chat_id == chat)
                                                      .order_by(OutboxMessage.id)))  # fmt: skip
            return telegram.calls, statuses, refused
        finally:
            await db.dispose()

    calls, statuses, refused = asyncio.run(send())
    assert refused == failures
    assert calls == (["0", "1"] if failures == 1 else ["0", "0", "1"]), calls
    assert statuses == ["sent", "sent"]


def test_a_held_reply_waits_while_its_chat_has_updates_to_process(migrated_database_url: str) -> None:
    """A burst's held reply (a row with a coalesce key) whose wait is over is not sent while its
    chat still has an update to process — that update is to replace it — and goes at the first
    tick after; a held reply to a chat with nothing pending, and an ordinary reply to a chat with
    updates pending, go at once. The tokens a refused row took are given back: Telegram's
    per-chat limit (1 a second here) does not hold the reply once it may go."""
    held, quiet, plain = 8300, 8301, 8302

    async def send() -> tuple[list[int], list[int]]:
        db = Database(migrated_database_url)
        due = now() - timedelta(seconds=1)
        try:
            async with db.write() as session, session.begin():
                session.add_all([InboxUpdate(update_id=n, chat_id=chat, payload={"update_id": n}, status="pending")
                                 for n, chat in ((1, held), (2, plain))])  # fmt: skip
                session.add_all([OutboxMessage(chat_id=chat, method="sendMessage", payload={"chat_id": chat, "text": "1 foto"},
                                               status="pending", not_before=due, coalesce_key=key)
                                 for chat, key in ((held, "form:n:photos"), (quiet, "form:m:photos"), (plain, None))])  # fmt: skip
            telegram = Telegram(delay=0.0)
            limits = Limits(per_bot=10_000, bot_burst=10_000, per_chat=1.0, chat_burst=3.0, concurrency=16)
            dispatcher = Dispatcher(db, telegram, now, limits)  # type: ignore[arg-type]
            for _ in range(30):  # 1.5 s: the chat buckets (empty at the start) fill, the held row is refused each time
                await dispatcher.tick()
                await asyncio.sleep(0.05)
            before = list(telegram.calls)
            async with db.write() as session, session.begin():  # the processor is done with the held chat's update
                await session.execute(update(InboxUpdate).where(InboxUpdate.update_id == 1).values(status="done"))
            await dispatcher.tick()  # the first tick after: the reply goes, no token to wait for
            for _ in range(50):
                await asyncio.sleep(0.02)
                if held in telegram.calls and dispatcher.idle:
                    break
            return before, telegram.calls
        finally:
            await db.dispose()

    before, calls = asyncio.run(send())
    assert sorted(before) == [quiet, plain], "a held reply to a quiet chat and an ordinary one go; the held one waits"
    assert calls.count(held) == 1 and calls[-1] == held, calls
