"""Benchmark: what sending one outbox row costs the dispatcher, in statements, transactions and CPU.

Rows arrive one at a time, each with a wake (as a processor's committed answers do), for
`--chats` chats in turn, one every `--gap` milliseconds; a stand-in for Telegram answers each call
after 20 ms. The real Dispatcher sends them all; counted are its own statements (the rows are
written through another connection; the queue reads among them), its write transactions, per row sent,
and the process CPU per row. A sparse arrival shows the cost of a tick per send; a dense one how
much of it batching saves.

    .venv/bin/python -m bench.dispatch_cost [--chats 40] [--rows 120] [--gap 2 20 100] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.update_cpu import empty_schema  # noqa: E402
from bot.dispatcher import Dispatcher, Limits  # noqa: E402
from storage.db import Database, upgrade_async  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402

ANSWER_SECONDS = 0.02  # how long the stand-in Telegram takes to answer a call


def now() -> datetime:
    return datetime.now(timezone.utc)


class Telegram:
    def __init__(self) -> None:
        self.calls = 0

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        self.calls += 1
        await asyncio.sleep(ANSWER_SECONDS)
        return {"message_id": self.calls}


async def one_run(url: str, chats: int, rows: int, gap: float) -> dict[str, float]:
    """Per row sent: writer statements, commits, queue reads, CPU milliseconds."""
    await upgrade_async(url)
    db, feeder = Database(url), Database(url)
    counts = {"statements": 0, "commits": 0, "reads": 0}

    def statement(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        counts["statements"] += 1
        counts["reads"] += sql.startswith("SELECT outbox.id, outbox.chat_id")  # the queue page

    def commit(_conn: Any) -> None:
        counts["commits"] += 1

    for engine in {db.engine, db.reader_engine}:  # one engine on PostgreSQL, two on SQLite
        event.listen(engine.sync_engine, "before_cursor_execute", statement)
    event.listen(db.engine.sync_engine, "commit", commit)
    telegram = Telegram()
    unlimited = Limits(per_bot=10_000, bot_burst=10_000, per_chat=10_000, chat_burst=10_000, concurrency=16)
    dispatcher = Dispatcher(db, telegram, now, unlimited)  # type: ignore[arg-type]
    try:
        began = time.process_time()
        running = asyncio.create_task(dispatcher.run())
        for n in range(rows):
            chat = 8000 + n % chats
            async with feeder.write() as session, session.begin():
                session.add(OutboxMessage(chat_id=chat, method="sendMessage", payload={"chat_id": chat, "text": "x"},
                                          status="pending"))  # fmt: skip
            dispatcher.wake()
            await asyncio.sleep(gap)
        while telegram.calls < rows or not dispatcher.idle:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # the last outcomes recorded
        dispatcher.stop()
        await dispatcher.drain(5)
        await running
        cpu = time.process_time() - began
        if telegram.calls != rows:
            raise SystemExit(f"{telegram.calls} calls for {rows} rows")
        return {name: value / rows for name, value in counts.items()} | {"cpu_ms": cpu * 1000 / rows}
    finally:
        await db.dispose()
        await feeder.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=40)
    parser.add_argument("--rows", type=int, default=120)
    parser.add_argument("--gap", type=float, nargs="+", default=[2, 20, 100], help="milliseconds between rows")
    parser.add_argument("--database", help="a PostgreSQL URL for an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    print(f"{args.rows} rows to {args.chats} chats; per row sent (CPU includes writing the rows)")
    print("| gap ms | statements | write transactions | queue reads | CPU ms |")
    print("|---:|---:|---:|---:|---:|")
    for gap in args.gap:
        with tempfile.TemporaryDirectory() as directory:
            url = args.database or f"sqlite+aiosqlite:///{directory}/dispatch_cost.sqlite3"
            figures = asyncio.run(one_run(url, args.chats, args.rows, gap / 1000))
            if args.database:
                asyncio.run(empty_schema(args.database))
        print(f"| {gap:g} | {figures['statements']:.2f} | {figures['commits']:.2f} | {figures['reads']:.2f} | {figures['cpu_ms']:.2f} |")


if __name__ == "__main__":
    main()
