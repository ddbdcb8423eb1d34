"""An update whose handling fails: nothing it half-wrote stays, it is tried again, and after
MAX_ATTEMPTS it is given up — the person hears an apology and the inbox row keeps neither its text
nor its sender. Through the real processor and database; the failure is the database's own (a
trigger refusing the draft's row), so no code of ours is replaced."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.intake import store_updates
from bot.processor import MAX_ATTEMPTS, Processor
from bot.telegram.ptb import PtbClient
from cases.calendar import WorkCalendar
from handlers.core.context import HandlerConfig
from storage import agencies
from storage.db import Database, upgrade_async
from storage.models import Conversation, InboxUpdate, OutboxMessage
from tests.e2e.harness import fresh_database
from tests.integration.test_statement_budget import CITIZEN, message

REFUSE_SQLITE = ("CREATE TRIGGER refuse_drafts BEFORE INSERT ON conversations "
                 "BEGIN SELECT RAISE(ABORT, 'drafts refused'); END")  # fmt: skip
REFUSE_POSTGRES = (
    "CREATE FUNCTION refuse_drafts() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'drafts refused'; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER refuse_drafts BEFORE INSERT ON conversations FOR EACH ROW EXECUTE FUNCTION refuse_drafts()",
)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


def test_a_failing_update_is_retried_then_given_up_with_an_apology_and_leaves_nothing_half_written(database_url: str) -> None:
    async def run() -> tuple[list[tuple], str | None]:
        await upgrade_async(database_url)
        db = Database(database_url)
        try:
            await agencies.seed_if_empty(db.write)
            async with db.write() as session, session.begin():
                for sql in REFUSE_POSTGRES if db.is_postgres else (REFUSE_SQLITE,):
                    await session.execute(text(sql))
            client = PtbClient("123456789:TEST-failed-updates", "http://127.0.0.1:9")
            processor = Processor(db, client, HandlerConfig(bot_username="kanal_aduan_test_bot"), WorkCalendar(),
                                  lambda: datetime.now(timezone.utc), lambda _channels: None)  # fmt: skip
            await store_updates(db, [message(1, "/lapor")])
            seen = []
            for _ in range(MAX_ATTEMPTS):
                assert await processor._process_next(CITIZEN) is False
                async with db.read() as session:
                    row = await session.get(InboxUpdate, 1)
                    assert row is not None
                    outbox = list(await session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id)))
                    drafts = await session.scalar(select(func.count()).select_from(Conversation))
                    seen.append((row.status, row.attempts, row.chat_id, row.payload is None, drafts,
                                 [payload.get("text", "") for payload in outbox]))
                    error = row.error
            return seen, error
        finally:
            await db.dispose()

    seen, error = asyncio.run(run())
    for status, attempts, chat, wiped, drafts, texts in seen[:-1]:  # tried again: kept, nothing sent, nothing half-written
        assert (status, chat, wiped, drafts, texts) == ("pending", CITIZEN, False, 0, []), seen
    assert [attempts for _, attempts, *_ in seen] == list(range(1, MAX_ATTEMPTS + 1))
    status, _, chat, wiped, drafts, texts = seen[-1]
    assert (status, chat, wiped, drafts) == ("failed", 0, True, 0), seen
    assert len(texts) == 1 and "terjadi gangguan" in texts[0], texts  # the apology, in the default Indonesian
    # What the database said is kept, without the statement's values (the draft, the sender's id).
    assert error is not None and "drafts refused" in error, error
    assert str(CITIZEN) not in error and "report_class" not in error, error
