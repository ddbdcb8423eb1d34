"""Benchmark: the bot's memory at rest, and with ten thousand people in the middle of a report.

Starts the real bot (`python -m bot run`, SQLite) against the Bot API emulator and measures its
resident memory once it idles after start-up — on a new database (the first start migrates) and
again on the same database (every later start). Then N people (default 10,000) each begin a
report (/lapor and its first answer), which leaves N open drafts; once every one has been
answered, the memory is measured again. Drafts live in the database, so what they cost in the
process is what it keeps per person it has talked to (the flood gate's and the dispatcher's
per-chat state) and what the traffic left behind.

    .venv/bin/python -m bench.draft_memory [--people 10000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.emulator import BotApiEmulator  # noqa: E402

TOKEN = "123456789:TEST-draft-memory"
SETTLE_SECONDS = 5.0


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1048576


def start(emulator: BotApiEmulator, workdir: Path, env: dict[str, str]) -> subprocess.Popen:  # type: ignore[type-arg]
    polls = len(emulator.calls_of("getUpdates"))
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                               stderr=(workdir / "bot.log").open("a"))  # fmt: skip
    deadline = time.monotonic() + 90
    while len(emulator.calls_of("getUpdates")) <= polls:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the bot did not start polling")
        time.sleep(0.05)
    time.sleep(SETTLE_SECONDS)
    return process


def stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    process.terminate()
    process.wait(60)


def drafts(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM conversations").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    emulator = BotApiEmulator(token=TOKEN, bot_username="memory_bot", rate_limit=None)
    emulator.start()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database = workdir / "memory.sqlite3"
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url,
               "DATABASE_URL": f"sqlite+aiosqlite:///{database}", "FILES_DIR": str(workdir / "files"), "LOG_LEVEL": "WARNING",
               "SEND_RATE_PER_SECOND": "100000", "SEND_RATE_PER_CHAT": "100000", "POLLING_TIMEOUT_SECONDS": "1"}  # fmt: skip
        try:
            first = start(emulator, workdir, env)
            new_database = rss_mb(first.pid)
            stop(first)
            process = start(emulator, workdir, env)
            idle = rss_mb(process.pid)
            people = [emulator.user(first_name=f"Warga{n}", language_code="id") for n in range(args.people)]
            began = time.monotonic()
            peak = idle
            for person in people:
                person.send("/lapor")
            for person in people:
                person.send("Pengaduan")
            while drafts(database) < args.people or len(emulator.calls_of("sendMessage")) < 4 * args.people:
                peak = max(peak, rss_mb(process.pid))
                if process.poll() is not None or time.monotonic() - began > 3600:
                    raise RuntimeError("the bot stopped, or took over an hour")
                time.sleep(0.5)
            seconds = time.monotonic() - began
            time.sleep(SETTLE_SECONDS)
            after = rss_mb(process.pid)
            stop(process)
        finally:
            emulator.stop()
    print(f"idle RSS after the first start (new database, migrated): {new_database:6.1f} MB")
    print(f"idle RSS after a later start (current database):         {idle:6.1f} MB")
    print(f"{args.people:,} people began a report ({2 * args.people:,} updates in {seconds:.0f} s); open drafts: {args.people:,}")
    print(f"RSS with them, at rest: {after:6.1f} MB (+{after - idle:.1f} MB); peak while answering: {peak:6.1f} MB")


if __name__ == "__main__":
    main()
