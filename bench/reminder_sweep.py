"""Benchmark: the scheduler's reminder sweep over a million cases.

Generates ten years of a regency's reports (default 1,000,000: most closed long ago, about one in
a hundred still open — awaiting verification, with an agency (some late), answered, sent back),
stores them in bulk, then runs the real `reminders` job as the scheduler does every 15 minutes
on a working morning: the day's first sweep (everything due today is claimed and messaged), then
two more a quarter of an hour apart (only what became due since). Each is timed and its peak
memory measured, twice over on a fresh day; beside it, in the same run, the floor the sweep used
to stand on: reading every open case.

    .venv/bin/python -m bench.reminder_sweep                       # SQLite, then PostgreSQL if it answers
    .venv/bin/python -m bench.reminder_sweep --cases 200000 --database postgresql://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.year_of_reports import POSTGRES, PeakRss, _postgres, _store  # noqa: E402
from bot.jobs import run_job  # noqa: E402
from cases.calendar import WorkCalendar  # noqa: E402
from cases.model import Status  # noqa: E402
from handlers.core.context import HandlerConfig  # noqa: E402
from storage import agencies  # noqa: E402
from storage.db import Database, checkpoint_truncate, upgrade_async  # noqa: E402
from storage.models import Complaint, Officer, Reminder, User  # noqa: E402

WITA = ZoneInfo("Asia/Makassar")
DAYS = (date(2026, 12, 8), date(2026, 12, 9))  # a Tuesday and a Wednesday: two fresh days
ADMIN = 990_001
CITIZENS = 5000  # who filed them
CONFIG = HandlerConfig(admin_ids=frozenset({ADMIN}))


def generate(n: int, codes: list[str], today: date, seed: int = 7) -> list[dict]:
    """Cases of ten years up to `today`: those older than two months are closed or rejected;
    the recent ones are at every stage, some late."""
    rng = random.Random(seed)
    cal = WorkCalendar(WITA)
    end = datetime.combine(today, clock_time(8), WITA)
    rows = []
    for i in range(1, n + 1):
        recent = rng.random() < 0.015
        age = timedelta(minutes=rng.randrange(60, 60 * 24 * 60)) if recent else timedelta(days=rng.uniform(60, 3650))
        created = end - age
        verification_due = cal.add_working_days(created.astimezone(WITA).date(), 3)
        row = {"id": i, "ticket": f"KKR-{created.year}-{i:07d}", "source_update_id": i, "report_class": "pengaduan",
               "topic": "infra.jalan", "title": f"Laporan {i}", "description": "Jalan rusak di depan sekolah.",
               "event_date": created.date(), "privacy": "biasa", "language": "id", "created_at": created,
               "verification_due": verification_due, "citizen_id": 500_000 + i % CITIZENS, "agency_code": None,
               "response_due": None, "responded_at": None, "closed_at": None}  # fmt: skip
        if not recent:
            row["status"] = "closed" if rng.random() < 0.9 else "rejected"
            row["closed_at"] = created + timedelta(days=rng.uniform(3, 40))
            row["agency_code"] = rng.choice(codes)
        else:
            stage = rng.random()
            if age < timedelta(days=4) or stage < 0.15:
                row["status"] = Status.SUBMITTED.value
            elif stage < 0.2:
                row["status"], row["agency_code"] = Status.RETURNED.value, rng.choice(codes)
            elif stage < 0.55:
                routed = created + timedelta(days=rng.uniform(0, 3))
                row["status"], row["agency_code"] = Status.VERIFIED.value, rng.choice(codes)
                row["response_due"] = cal.add_working_days(routed.astimezone(WITA).date(), 5)
            elif stage < 0.75:
                answered = min(end - timedelta(hours=1), created + timedelta(days=rng.uniform(1, 20)))
                row["status"], row["agency_code"], row["responded_at"] = Status.RESPONDED.value, rng.choice(codes), answered
                row["response_due"] = cal.add_working_days(created.astimezone(WITA).date(), 8)
            else:
                row["status"], row["agency_code"] = "closed", rng.choice(codes)
                row["closed_at"] = created + timedelta(days=rng.uniform(1, 20))
        rows.append(row)
    return rows


async def prepare(url: str, n: int) -> int:
    await upgrade_async(url)
    db = Database(url)
    try:
        await agencies.seed_if_empty(db.write)
        async with db.read() as session:
            codes = [code for (code,) in (await session.execute(select(agencies.Agency.code))).all()]
        started = time.perf_counter()
        rows = generate(n, codes, DAYS[0])
        joined = datetime(2016, 12, 1, tzinfo=WITA)
        citizens = [{"telegram_id": 500_000 + k, "display_name": f"Warga {k}", "language": "id", "language_chosen": False,
                     "created_at": joined, "last_seen_at": joined} for k in range(CITIZENS)]  # fmt: skip
        await _store(url, [(User, citizens), (Complaint, rows)])
        async with db.write() as session, session.begin():  # an officer per agency, and an admin
            now = datetime.now(WITA)
            session.add(User(telegram_id=ADMIN, display_name="Admin", language="id", created_at=now, last_seen_at=now))
            for index, code in enumerate(codes):
                session.add(User(telegram_id=800_000 + index, display_name=code, language="id", created_at=now, last_seen_at=now))
                session.add(Officer(telegram_id=800_000 + index, agency_code=code, joined_at=now))
        await checkpoint_truncate(db.engine)
        print(f"  {n:,} cases generated and stored in {time.perf_counter() - started:.1f} s")
        async with db.read() as session:
            return int(await session.scalar(select(func.count()).select_from(Complaint).where(
                Complaint.status.in_([s.value for s in (Status.SUBMITTED, Status.RETURNED, Status.VERIFIED, Status.RESPONDED)]))) or 0)
    finally:
        await db.dispose()


async def sweeps(url: str) -> list[tuple[str, float, float, int, int]]:
    """(label, seconds, peak MB added, messages queued, reminder rows claimed) per sweep."""
    db = Database(url)
    results = []
    try:
        for day in DAYS:
            for minutes in (0, 15, 30):
                moment = datetime.combine(day, clock_time(9), WITA) + timedelta(minutes=minutes)
                async with db.read() as session:
                    before = int(await session.scalar(select(func.count()).select_from(Reminder)) or 0)
                with PeakRss() as rss:
                    started = time.perf_counter()
                    queued = await run_job("reminders", db, CONFIG, WITA, moment)
                    seconds = time.perf_counter() - started
                async with db.read() as session:
                    claimed = int(await session.scalar(select(func.count()).select_from(Reminder)) or 0) - before
                label = f"{day:%a %d %b} 09:{minutes:02d}" + (" (first of the day)" if minutes == 0 else "")
                results.append((label, seconds, rss.added_mb, queued, claimed))
        floor = []
        for _ in range(2):  # what the sweep used to read first: every open case, as objects
            with PeakRss() as rss:
                started = time.perf_counter()
                async with db.read() as session:
                    every = list(await session.scalars(select(Complaint).where(Complaint.status.in_(
                        ["submitted", "returned", "verified", "responded"])).order_by(Complaint.id)))
                floor.append((time.perf_counter() - started, rss.added_mb, len(every)))
                del every
        seconds, added, count = min(floor)
        results.append((f"floor: reading all {count:,} open cases", seconds, added, 0, 0))
        return results
    finally:
        await db.dispose()


async def run(url: str, n: int) -> None:
    open_cases = await prepare(url, n)
    print(f"  {open_cases:,} of them open")
    print(f"  {'sweep':40} {'seconds':>8} {'+MB':>6} {'messages':>9} {'claimed':>8}")
    for label, seconds, added, queued, claimed in await sweeps(url):
        print(f"  {label:40} {seconds:8.3f} {added:6.1f} {queued:9d} {claimed:8d}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database", help="one database URL (default: a fresh SQLite file, then PostgreSQL if it answers)")
    args = parser.parse_args()
    if args.database:
        print(f"{args.database.split(':', 1)[0]}: {args.cases:,} cases")
        await run(args.database, args.cases)
        return
    with tempfile.TemporaryDirectory() as folder:
        print(f"SQLite: {args.cases:,} cases")
        await run(f"sqlite+aiosqlite:///{folder}/sweep.sqlite3", args.cases)
    made = await _postgres(os.environ.get("TEST_DATABASE_URL", POSTGRES))
    if made is not None:
        url, drop = made
        print(f"PostgreSQL: {args.cases:,} cases")
        try:
            await run(url, args.cases)
        finally:
            await drop()


if __name__ == "__main__":
    asyncio.run(main())
