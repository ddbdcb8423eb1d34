"""What every operator command shares: its error, one transaction, and plain-text output helpers.

Every command applies the migrations first, then does its work in one transaction. Output is
plain text on stdout; problems go to stderr with exit status 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings

WITA = ZoneInfo("Asia/Makassar")
DEFAULT_BOT_USERNAME = "kanal_aduan_bot"
BOT_USERNAME_ENV = "TELEGRAM_BOT_USERNAME"

T = TypeVar("T")
Command = Callable[[Settings], Coroutine[Any, Any, int]]


class OperatorError(Exception):
    """A command cannot be done; printed as one line, exit status 1."""


def telegram_id(value: int) -> int:
    if value <= 0:
        raise OperatorError(f"{value} is not a Telegram user id (a positive number)")
    return value


async def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from storage.db import Database

    database = Database(settings.database_url)
    try:
        async with database.write() as session, session.begin():
            return await work(session)
    finally:
        await database.dispose()


def now() -> datetime:
    return datetime.now(UTC)


def wita(moment: datetime) -> str:
    return moment.astimezone(WITA).strftime("%Y-%m-%d %H:%M WITA")


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
