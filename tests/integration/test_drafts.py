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
