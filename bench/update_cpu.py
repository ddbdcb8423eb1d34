"""Benchmark: the CPU one form update costs to store and to process, in-process and sequential.

Citizens walk the whole /lapor form one update at a time through the real intake and processor
(no Bot API: the processor only queues its answers), so each phase's process CPU is its own —
what `form_throughput` shows spread over a concurrent run, taken apart. Prints the median over
`--runs` of the CPU per update for storing and for processing, and the spread.

    .venv/bin/python -m bench.update_cpu [--citizens 20] [--runs 3] [--database URL]

A/B against another commit: `git worktree add /tmp/before REV` and run the same command there
with `PYTHONPATH=/tmp/before`, interleaved with this tree's runs (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.intake import store_updates  # noqa: E402
from bot.processor import Processor  # noqa: E402
from bot.telegram.ptb import PtbClient  # noqa: E402
from cases.calendar import WorkCalendar  # noqa: E402
from handlers.core.context import HandlerConfig  # noqa: E402
from storage import agencies  # noqa: E402
from storage.db import Database, upgrade_async  # noqa: E402
from tests.e2e.chat import typed_answers  # noqa: E402
from tests.integration.test_statement_budget import message  # noqa: E402


async def one_run(url: str, citizens: int) -> tuple[float, float, int]:
    """(storing, processing) CPU seconds per update, and the updates measured."""
    await upgrade_async(url)
    db = Database(url)
    client = PtbClient("123456789:TEST-update-cpu", "http://127.0.0.1:9")  # never called
    try:
        await agencies.seed_if_empty(db.write)
        processor = Processor(db, client, HandlerConfig(bot_username="kanal_aduan_test_bot"), WorkCalendar(),
                              lambda: datetime.now(timezone.utc), lambda _channels: None)  # fmt: skip
        storing = processing = 0.0
        update_id = 0
        for citizen in range(citizens):
            user_id = 10_000 + citizen
            for line in typed_answers(citizen):
                update_id += 1
                began = time.process_time()
                await store_updates(db, [message(update_id, line, user_id)])
                stored = time.process_time()
                while await processor._process_next(user_id):
                    pass
                storing += stored - began
                processing += time.process_time() - stored
        return storing / update_id, processing / update_id, update_id
    finally:
        await client.stop()
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", help="a PostgreSQL URL for an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as directory:
            url = args.database or f"sqlite+aiosqlite:///{directory}/update_cpu.sqlite3"
            results.append(asyncio.run(one_run(url, args.citizens)))
            if args.database:  # the next run starts from an empty schema too
                asyncio.run(empty_schema(args.database))
    storing = [r[0] * 1000 for r in results]
    processing = [r[1] * 1000 for r in results]
    print(f"{results[0][2]} updates a run, {args.runs} runs; CPU ms per update, median (min–max)")
    print(f"storing    {statistics.median(storing):.3f} ({min(storing):.3f}–{max(storing):.3f})")
    print(f"processing {statistics.median(processing):.3f} ({min(processing):.3f}–{max(processing):.3f})")


async def empty_schema(url: str) -> None:
    """Drop every table of a PostgreSQL database's public schema: the next run migrates from nothing."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


if __name__ == "__main__":
    main()
