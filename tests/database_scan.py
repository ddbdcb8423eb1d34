"""Every value of every table of a database, as text: to find where a planted name, username,
phone or Telegram id survives (tests of erasure and retention)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import create_async_engine


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def dump(database_url: str) -> list[tuple[str, str, Any]]:
    """(table, column, value) for every non-null value of every table the database has (reflected,
    so a table the models do not know is scanned as well)."""
    async def run() -> list[tuple[str, str, Any]]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                metadata = MetaData()
                await connection.run_sync(lambda sync: metadata.reflect(bind=sync))
                out = []
                for table in metadata.sorted_tables:
                    for row in (await connection.execute(select(table))).mappings():
                        out += [(table.name, column, value) for column, value in row.items() if value is not None]
                return out
        finally:
            await engine.dispose()

    return asyncio.run(run())


def found(database_url: str, needles: Iterable[str | int]) -> list[str]:
    """Where any needle appears: a string inside any value's text (case-insensitive), a number as
    an equal integer or inside a text. Empty when it is nowhere."""
    wanted = list(needles)
    hits = []
    for table, column, value in dump(database_url):
        text = _text(value).lower()
        for needle in wanted:
            if isinstance(needle, int) and isinstance(value, int) and not isinstance(value, bool) and value == needle:
                hits.append(f"{table}.{column} = {needle}")
            elif str(needle).lower() in text:
                hits.append(f"{table}.{column} holds {needle!r}")
    return hits
