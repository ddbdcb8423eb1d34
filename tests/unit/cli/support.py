"""Running `aduan ...` in the test process, and reading the database it wrote."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.agencies import DEFAULT_CSV
from storage.db import Database
from storage.models import Agency

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
LINK = re.compile(r"https://t\.me/(\w+)\?start=(\S+)")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def query(url: str, work):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        database = Database(url)
        try:
            async with database.write() as session, session.begin():
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(run())


def agencies(url: str) -> dict[str, Agency]:
    async def work(session):  # type: ignore[no-untyped-def]
        return {a.code: a for a in (await session.scalars(select(Agency))).all()}

    return query(url, work)


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def seed(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "opd", "import", str(DEFAULT_CSV))[0] == 0
