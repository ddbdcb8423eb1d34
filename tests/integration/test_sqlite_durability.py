"""SQLite's writer syncs every commit to disk unless told otherwise (see README, "What survives what")."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database


@pytest.mark.parametrize(("setting", "level"), [(None, 2), ("FULL", 2), ("NORMAL", 1)])
async def test_the_writer_syncs_each_commit_unless_told_otherwise(tmp_path: Path, setting: str | None, level: int) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'd.sqlite3'}"
    database = Database(url) if setting is None else Database(url, setting)
    try:
        async with database.write() as session, session.begin():
            assert await session.scalar(text("PRAGMA synchronous")) == level  # 2 = FULL, 1 = NORMAL
            assert await session.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        await database.dispose()


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="synchronous"):
        Database("sqlite+aiosqlite:///x.sqlite3", "OFF")
