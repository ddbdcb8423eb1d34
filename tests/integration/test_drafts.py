"""A user's draft through storage.repo against a real database (SQLite, or PostgreSQL with
TEST_DATABASE_URL): kept at every answer, read back as saved, gone once expired or deleted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database, upgrade_async
from storage.repo import Draft, Repository
from tests.e2e.harness import fresh_database

ALICE, BUDI = 501, 502
TTL = timedelta(hours=168)
T0 = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


def test_a_draft_is_saved_updated_read_expired_and_deleted(database_url: str) -> None:
    async def run() -> list[object]:
        await upgrade_async(database_url)
        db = Database(database_url)
        seen: list[object] = []

        async def step(action) -> None:  # type: ignore[no-untyped-def]
            async with db.write() as session, session.begin():
                seen.append(await action(Repository(session)))

        async def rows() -> list[tuple]:
            async with db.read() as session:
                return [tuple(r) for r in await session.execute(text("SELECT user_id, expires_at FROM conversations ORDER BY user_id"))]

        try:
            await step(lambda repo: repo.conversation(ALICE, T0))  # none yet
            await step(lambda repo: repo.save_conversation(ALICE, {"step": "title", "answers": {"t": "Jalan <rusak> 🚧"}}, T0, TTL))
            await step(lambda repo: repo.save_conversation(BUDI, {"step": "kind"}, T0, TTL))
            later = T0 + timedelta(hours=1)
            await step(lambda repo: repo.save_conversation(ALICE, {"step": "place"}, later, TTL))  # the same row, updated
            await step(lambda repo: repo.conversation(ALICE, later))
            seen.append(len(await rows()))
            await step(lambda repo: repo.conversation(BUDI, T0 + TTL))  # expired: deleted, none
            seen.append([r[0] for r in await rows()])
            await step(lambda repo: repo.save_conversation(ALICE, None, later, TTL))
            seen.append(await rows())
            return seen
        finally:
            await db.dispose()

    seen = asyncio.run(run())
    assert seen[0] is None
    assert seen[4] == Draft({"step": "place"}, T0 + timedelta(hours=1))
    assert seen[5] == 2  # one row each: the second save of Alice's updated hers
    assert seen[6] is None and seen[7] == [ALICE]  # Budi's expired draft was deleted as it was read
    assert seen[8] is None and seen[9] == []


def test_the_draft_read_with_the_sender_is_handed_out_once_and_never_after_a_write(database_url: str) -> None:
    """Repository.sender reads the draft in its statement; `conversation` hands that out, as the
    database has it — and after a save, a delete or an erasure in the same transaction reads it
    again instead of handing out what was read before."""
    async def run() -> dict[str, object]:
        await upgrade_async(database_url)
        db = Database(database_url)
        seen: dict[str, object] = {}
        try:
            async with db.write() as session, session.begin():
                await Repository(session).save_conversation(ALICE, {"step": "title"}, T0, TTL)
            async with db.write() as session, session.begin():
                repo = Repository(session)
                seen["sender"] = await repo.sender(ALICE, ())
                seen["stranger"] = await repo.sender(BUDI, (BUDI,))  # an admin by the settings, with no row
                seen["read"] = await repo.conversation(ALICE, T0)
                seen["none"] = await repo.conversation(BUDI, T0)
            async with db.write() as session, session.begin():
                repo = Repository(session)
                await repo.sender(ALICE, ())
                await repo.save_conversation(ALICE, {"step": "place"}, T0 + timedelta(minutes=1), TTL)
                seen["after save"] = await repo.conversation(ALICE, T0)
            async with db.write() as session, session.begin():
                repo = Repository(session)
                await repo.sender(ALICE, ())
                await session.execute(text("DELETE FROM conversations"))  # as an erasure does, not through the repository
                repo.forget_draft(ALICE)
                seen["after erasure"] = await repo.conversation(ALICE, T0)
            async with db.write() as session, session.begin():
                repo = Repository(session)
                await repo.save_conversation(ALICE, {"step": "kind"}, T0, TTL)
                await repo.sender(ALICE, ())
                seen["expired"] = await repo.conversation(ALICE, T0 + TTL)  # read with the sender, expired: deleted
            async with db.read() as session:
                seen["left"] = (await session.execute(text("SELECT count(*) FROM conversations"))).scalar()
            return seen
        finally:
            await db.dispose()

    seen = asyncio.run(run())
    assert seen["sender"] == (None, False) and seen["stranger"] == (None, True)
    assert seen["read"] == Draft({"step": "title"}, T0)
    assert seen["none"] is None
    assert seen["after save"] == Draft({"step": "place"}, T0 + timedelta(minutes=1))
    assert seen["after erasure"] is None
    assert seen["expired"] is None and seen["left"] == 0
