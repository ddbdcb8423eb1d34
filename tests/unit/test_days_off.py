"""`aduan calendar add|remove|list`: declared days off move deadlines."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from storage import days_off
from storage.db import Database


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'cal.sqlite3'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def calendar_of(url: str):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        database = Database(url)
        try:
            async with database.read() as session:
                return await days_off.load_calendar(session, __import__("zoneinfo").ZoneInfo("Asia/Makassar"))
        finally:
            await database.dispose()

    return asyncio.run(run())


def test_a_declared_day_off_moves_deadlines_and_can_be_withdrawn(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    monday = date(2026, 12, 7)
    assert main(["calendar", "add", "2026-12-08", "--reason", "Pilkada"]) == 0
    # Monday + 3 working days: Wed 9, Thu 10, Fri 11 (Tuesday 8 is now off).
    assert calendar_of(url).add_working_days(monday, 3) == date(2026, 12, 11)
    assert main(["calendar", "list", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "2026-12-08  Tue  Pilkada" in out and "2026-12-25" in out
    assert main(["calendar", "remove", "2026-12-08"]) == 0
    assert calendar_of(url).add_working_days(monday, 3) == date(2026, 12, 10)
    assert main(["calendar", "remove", "2026-12-08"]) == 1
    assert main(["calendar", "add", "8-12-2026"]) == 1
    assert "not a date" in capsys.readouterr().err
