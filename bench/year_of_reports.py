"""A year of reports: the figures and the workbook over 100,000 generated complaints.

    .venv/bin/python -m bench.year_of_reports                 # SQLite, and PostgreSQL if it answers
    .venv/bin/python -m bench.year_of_reports --cases 20000 --database postgresql://postgres@127.0.0.1/bench

Generates a year (2026) of complaints with their audit trail — submitted, verified and routed (some
rejected or merged), paused for the reporter's answer, returned *bukan wewenang* and re-routed,
answered on time or late, rated, reopened, classified — and reminder rows, in bulk. Then measures,
each `--repeat` times: the year's figures (`storage.statistics.tallies` + `cases.figures.compute`),
one month's, one agency's year, and the workbook (`bot.reports.build.write_xlsx`) of the whole year
and of its first 20,000 cases, with the peak resident memory each adds (sampled every 10 ms).

The machine is shared: compare figures within one run, not across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics as stats
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, insert, select

from bot.reports.build import ReportRequest, write_xlsx
from cases.calendar import WITA, WorkCalendar
from cases.figures import Period, Scope, compute
from cases.kukar import KECAMATAN
from cases.workflow import Policy
from handlers.casework.inputs import REJECT_REASONS
from handlers.core.topics import load_topics
from storage import agencies, statistics
from storage.db import Database, checkpoint_truncate, upgrade_async
from storage.models import Agency, AuditEntry, Complaint, Reminder, User

YEAR = 2026
GOALS = {"year figures": (2.0, 100.0), "xlsx 100,000 rows": (30.0, None)}
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


class Calendar:
    """WorkCalendar with its answers cached per date (generation asks millions of times)."""

    def __init__(self) -> None:
        self.calendar = WorkCalendar()
        self._add: dict[tuple[date, int], date] = {}

    def add(self, day: date, n: int) -> date:
        key = (day, n)
        if key not in self._add:
            self._add[key] = self.calendar.add_working_days(day, n)
        return self._add[key]


def _instant(day: date, hour: float) -> datetime:
    return datetime.combine(day, clock(0), WITA).astimezone(timezone.utc) + timedelta(hours=hour)


def generate(n: int, codes: list[str], seed: int = 26) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """Complaints, audit rows, users and reminders of a year, as dicts for bulk inserts."""
    rng = random.Random(seed)
    cal = Calendar()
    topics = [child.code for root in load_topics().roots for child in (root.children or (root,))]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(codes))]  # a few big agencies, a long tail
    days = [date(YEAR, 1, 1) + timedelta(days=d) for d in range(365)]
    day_weights = [3.0 if cal.calendar.is_working_day(d) else 1.0 for d in days]
    complaints: list[dict] = []
    audit: list[dict] = []
    reminders: list[dict] = []
    users = [{"telegram_id": 10_000_000 + u, "display_name": f"Warga {u}", "language": "id", "language_chosen": False,
              "created_at": _instant(date(YEAR, 1, 1), 0), "last_seen_at": _instant(date(YEAR, 1, 1), 0)}
             for u in range(int(n * 0.6))]  # fmt: skip
    end_of_data = _instant(date(YEAR, 12, 31), 20)
    for i in range(1, n + 1):
        filed_day = rng.choices(days, day_weights)[0]
        anonymous = rng.random() < 0.03
        filed = _instant(filed_day, 0) if anonymous else _instant(filed_day, rng.uniform(7, 21))
        agency = rng.choices(codes, weights)[0]
        verification_due = cal.add(filed_day, 3)
        row: dict[str, Any] = {
            "id": i, "ticket": f"KKR-{YEAR}-{i:06d}", "citizen_id": None if anonymous else rng.choice(users)["telegram_id"],
            "source_update_id": -i, "report_class": "pengaduan" if anonymous else rng.choice(("pengaduan", "pengaduan", "aspirasi", "informasi")),
            "topic": "anonim" if anonymous else rng.choice(topics), "agency_code": None, "title": f"Laporan nomor {i} tentang layanan",
            "description": "" if anonymous else "Uraian kejadian yang cukup panjang untuk laporan ini.", "event_date": filed_day,
            "kecamatan": None if anonymous else rng.choice(KECAMATAN), "privacy": "anonim" if anonymous else ("rahasia" if rng.random() < 0.1 else "biasa"),
            "language": "id", "status": "submitted", "created_at": filed, "verification_due": verification_due, "response_due": None,
            "responded_at": None, "closed_at": None, "reopen_count": 0, "rating": None, "anonymous": anonymous,
            "pseudonym": f"#{i % 997:03d}" if anonymous else None, "maladministration": None,
        }  # fmt: skip
        trail: list[tuple[datetime, str, str | None, str | None, date | None, str | None, str | None]] = [
            (filed, "submit", None, "submitted", None, None, None)]
        now_day = filed_day
        at = filed

        def later(working_days: int, hour: float | None = None) -> datetime:
            nonlocal now_day
            now_day = cal.add(now_day, working_days)
            return _instant(now_day, hour if hour is not None else rng.uniform(8, 16))

        if rng.random() < 0.08:  # the admin asks the reporter first
            at = later(rng.randint(0, 2))
            trail.append((at, "request_info", "submitted", "info_requested", verification_due, None, None))
            paused = rng.randint(1, 4)
            at = later(paused)
            verification_due = cal.add(verification_due, paused)
            trail.append((at, "answer_info", "info_requested", "submitted", None, None, None))
        at = later(rng.choices((0, 1, 2, 3, 5, 6), (10, 40, 25, 15, 6, 4))[0])
        outcome = rng.random()
        if outcome < 0.06:
            trail.append((at, "reject", "submitted", "rejected", verification_due, rng.choice(REJECT_REASONS), None))
            row.update(status="rejected", closed_at=at)
        elif outcome < 0.08:
            trail.append((at, "mark_duplicate", "submitted", "duplicate", verification_due, None, None))
            row.update(status="duplicate", closed_at=at)
        else:
            response_due = cal.add(now_day, 5)
            trail.append((at, "verify_and_route", "submitted", "verified", verification_due, None, agency))
            row.update(status="verified", agency_code=agency, response_due=response_due)
            if rng.random() < 0.05:  # bukan wewenang, then the right agency
                at = later(rng.randint(1, 3))
                trail.append((at, "not_ours", "verified", "returned", response_due, None, agency))
                agency = rng.choices(codes, weights)[0]
                at = later(rng.randint(0, 2))
                response_due = cal.add(now_day, 5)
                trail.append((at, "verify_and_route", "returned", "verified", verification_due, None, agency))
                row.update(agency_code=agency, response_due=response_due)
            if rng.random() < 0.9:
                at = later(rng.choices(range(1, 13), (10, 12, 14, 14, 12, 9, 7, 6, 5, 4, 4, 3))[0])
                trail.append((at, "respond", "verified", "responded", response_due, None, agency))
                row.update(status="responded", responded_at=at)
                if rng.random() < 0.04:
                    at = later(rng.randint(1, 5))
                    trail.append((at, "reopen", "responded", "verified", None, None, agency))
                    response_due = cal.add(now_day, 5)
                    row.update(status="verified", responded_at=None, reopen_count=1, response_due=response_due)
                    at = later(rng.randint(1, 8))
                    trail.append((at, "respond", "verified", "responded", response_due, None, agency))
                    row.update(status="responded", responded_at=at)
                if rng.random() < 0.4:
                    at = later(rng.randint(0, 4))
                    score = rng.choices((1, 2, 3, 4, 5), (6, 6, 12, 36, 40))[0]
                    trail.append((at, "rate", "responded", "closed", None, None, agency))
                    row.update(status="closed", closed_at=at, rating=score)
                elif rng.random() < 0.7:
                    at = later(10, 7.5)
                    trail.append((at, "auto_close", "responded", "closed", None, None, agency))
                    row.update(status="closed", closed_at=at)
            elif cal.add(response_due, 1) < date(YEAR, 12, 31):  # still unanswered: reminded while late
                late = response_due
                for _ in range(rng.randint(1, 4)):
                    late = cal.add(late, 1)
                    for tier in (0, 1, 2):
                        reminders.append({"key": f"{i}:overdue:{tier}:{late}", "complaint_id": i, "kind": "overdue",
                                          "tier": tier, "day": late, "recipients": 1, "created_at": _instant(late, 7)})  # fmt: skip
        if rng.random() < 0.1 and row["status"] != "rejected":
            trail.append((min(at, end_of_data), "classify", row["status"], row["status"], None, None, row["agency_code"]))
            row["maladministration"] = rng.choice(("penundaan", "tidak_melayani", "prosedur", "imbalan", "tidak_patut"))
        row["verification_due"] = verification_due
        if row["created_at"] > end_of_data:
            continue
        _milestones(row, [t for t in trail if t[0] <= end_of_data])
        complaints.append(row)
        for at, action, from_status, to_status, due, code, at_agency in trail:
            if at > end_of_data:
                continue
            audit.append({"complaint_id": i, "actor": "system", "action": action, "from_status": from_status,
                          "to_status": to_status, "reason": None, "at": at, "agency_code": at_agency,
                          "due": due, "code": code})  # fmt: skip
    return complaints, audit, users, reminders


def _milestones(row: dict[str, Any], trail: list[tuple]) -> None:  # type: ignore[type-arg]
    """The case row's milestones, as storage.cases.record keeps them."""
    row.update(verified_at=None, first_routed_at=None, routed_at=None, first_response_at=None,
               first_response_routed_at=None, first_response_due=None, rated_at=None)  # fmt: skip
    for at, action, _, _, due, _, _ in trail:
        if action in ("verify_and_route", "reject", "mark_duplicate") and row["verified_at"] is None:
            row["verified_at"] = at
        if action == "verify_and_route":
            row["first_routed_at"] = row["first_routed_at"] or at
            row["routed_at"] = at
        elif action == "respond" and row["first_response_at"] is None:
            row.update(first_response_at=at, first_response_routed_at=row["routed_at"], first_response_due=due)
        elif action == "rate":
            row["rated_at"] = at


async def load(url: str, n: int) -> dict[str, int]:
    await upgrade_async(url)
    db = Database(url)
    try:
        await agencies.seed_if_empty(db.write)
        async with db.read() as session:
            codes = [code for (code,) in (await session.execute(Agency.__table__.select().with_only_columns(Agency.code))).all()]
        started = time.perf_counter()
        complaints, audit, users, reminders = generate(n, codes)
        made = time.perf_counter() - started
        started = time.perf_counter()
        await _store(url, ((User, users), (Complaint, complaints), (AuditEntry, audit), (Reminder, reminders)))
        if not db.is_postgres:
            # A running bot's WAL is checkpointed as it goes; one bulk load's would otherwise sit
            # in the WAL, and every page read would look it up there first.
            await checkpoint_truncate(db.engine)
        stored = time.perf_counter() - started
        print(f"  generated {len(complaints):,} complaints, {len(audit):,} audit rows, {len(reminders):,} reminders "
              f"in {made:.1f} s; stored in {stored:.1f} s")  # fmt: skip
        return {"complaints": len(complaints), "audit": len(audit)}
    finally:
        await db.dispose()


async def _store(url: str, tables: Any) -> None:
    """Bulk inserts through a synchronous engine (the same column types, so the same stored
    forms), off the event loop: generating the data is not what is measured."""
    from sqlalchemy import create_engine

    sync_url = url.replace("sqlite+aiosqlite", "sqlite").replace("postgresql+asyncpg", "postgresql+psycopg") \
        if url.startswith("sqlite") else None
    if sync_url is None:  # PostgreSQL: asyncpg's COPY is the fast path
        await _copy_postgres(url, tables)
        return

    def run() -> None:
        engine = create_engine(sync_url)
        try:
            with engine.begin() as connection:
                for table, rows in tables:
                    for offset in range(0, len(rows), 20000):
                        connection.execute(insert(table), rows[offset:offset + 20000])
        finally:
            engine.dispose()

    await asyncio.to_thread(run)


async def _copy_postgres(url: str, tables: Any) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        for table, rows in tables:
            if not rows:
                continue
            columns = list(rows[0])
            await connection.copy_records_to_table(table.__tablename__, records=[tuple(r[c] for c in columns) for r in rows],
                                                   columns=columns)  # fmt: skip
        for table in ("complaints", "audit_log", "reminders"):  # the serial ids after our explicit ones
            await connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))")
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


class PeakRss:
    """The most resident memory the process had while the block ran, above what it had before."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRss:
        self.before = self.process.memory_info().rss
        self.peak = self.before
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def added_mb(self) -> float:
        return (self.peak - self.before) / 1048576


async def measure(label: str, work: Callable[[], Awaitable[Any]], repeat: int) -> dict[str, Any]:
    times, memory = [], []
    for _ in range(repeat):
        with PeakRss() as rss:
            started = time.perf_counter()
            result = await work()
            times.append(time.perf_counter() - started)
        memory.append(rss.added_mb)
    line = {"what": label, "median": stats.median(times), "min": min(times), "rss": max(memory), "result": result}
    print(f"  {label:<28} median {line['median']:6.2f} s   min {line['min']:6.2f} s   peak RSS +{line['rss']:6.1f} MB")
    return line


async def run_on(url: str, n: int, repeat: int) -> list[dict[str, Any]]:
    counts = await load(url, n)
    policy = Policy(calendar=WorkCalendar())
    topics = load_topics()
    db = Database(url)
    as_of = _instant(date(YEAR, 12, 31), 21)
    year = Period(date(YEAR, 1, 1), date(YEAR, 12, 31))
    lines = []
    try:
        async with db.read() as session:
            biggest = await session.scalar(select(Complaint.agency_code).where(Complaint.agency_code.is_not(None))
                                           .group_by(Complaint.agency_code).order_by(func.count().desc()).limit(1))  # fmt: skip

        async def figures(period: Period, scope: Scope) -> str:
            result = await statistics.figures(db.read, period, scope, policy, as_of)
            return f"{result.intake.received} received"

        async def timed_parts() -> tuple[float, float]:
            started = time.perf_counter()
            tallied = await statistics.tallies(db.read, year, Scope(), policy.calendar, as_of)
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            compute(tallied, year, Scope(), policy, as_of)
            return loaded, time.perf_counter() - started

        lines.append(await measure("year figures", lambda: figures(year, Scope()), repeat))

        async def floor_rows() -> str:  # the least any design reading the cases row by row pays
            start, end = statistics.bounds(year, WITA)
            query = statistics._case_query(statistics._relevant(start, end, start), year.start, year.end)
            sql = str(query.compile(db.engine.sync_engine, compile_kwargs={"literal_binds": True}))
            async with db.read() as session:
                rows = (await (await session.connection()).exec_driver_sql(sql)).all()
            return f"{len(rows):,} raw rows"

        lines.append(await measure("floor: fetch the case rows", floor_rows, repeat))
        parts = [await timed_parts() for _ in range(repeat)]
        print(f"  {'  of which SQL (tallies)':<28} median {stats.median(p[0] for p in parts):6.2f} s; compute median {stats.median(p[1] for p in parts):6.2f} s")
        lines.append(await measure("november figures", lambda: figures(Period(date(YEAR, 11, 1), date(YEAR, 11, 30)), Scope()), repeat))
        lines.append(await measure(f"year figures of {biggest}", lambda: figures(year, Scope(agency=biggest)), repeat))
        with tempfile.TemporaryDirectory() as folder:
            async def workbook(period: Period, name: str) -> str:
                target = Path(folder) / name
                rows = await write_xlsx(db, ReportRequest(period, None, "id", as_of), policy, topics, str(target))
                return f"{rows:,} rows, {target.stat().st_size / 1048576:.1f} MB"

            def constant_workbook(rows: int) -> str:  # XlsxWriter alone, the same shape of row
                import xlsxwriter

                target = Path(folder) / "floor.xlsx"
                book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
                sheet = book.add_worksheet("Data")
                when = datetime(YEAR, 5, 4)
                style = book.add_format({"num_format": "dd-mm-yyyy"})
                for r in range(rows):
                    for c in range(8):
                        sheet.write_string(r, c, "Laporan nomor sekian")
                    for c in range(8, 15):
                        sheet.write_datetime(r, c, when, style)
                    for c in range(15, 24):
                        sheet.write_number(r, c, 3)
                book.close()
                return f"{rows:,} rows"

            async def floor_workbook() -> str:
                return await asyncio.to_thread(constant_workbook, counts["complaints"])

            lines.append(await measure("floor: xlsxwriter alone", floor_workbook, 1))
            fifth = Period(date(YEAR, 1, 1), date(YEAR, 3, 14))
            lines.append(await measure("xlsx first 20% of the year", lambda: workbook(fifth, "part.xlsx"), max(1, repeat - 1)))
            lines.append(await measure(f"xlsx {counts['complaints']:,} rows", lambda: workbook(year, "year.xlsx"), max(1, repeat - 1)))
    finally:
        await db.dispose()
    for line in lines:
        print(f"    {line['what']}: {line['result']}")
    by = {line["what"]: line for line in lines}
    xlsx = next(line for line in lines if line["what"].startswith("xlsx") and "20%" not in line["what"])
    print(f"  ratio year figures / fetching the rows alone: {by['year figures']['median'] / by['floor: fetch the case rows']['median']:.1f}")
    print(f"  ratio workbook / xlsxwriter alone: {xlsx['median'] / by['floor: xlsxwriter alone']['median']:.2f}")
    return lines


async def _postgres(base: str) -> tuple[str, Callable[[], Awaitable[None]]] | None:
    import asyncpg

    name = f"aduan_bench_{uuid.uuid4().hex[:8]}"
    try:
        connection = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"), timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    server = base.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
    return server.replace("postgresql://", "postgresql+asyncpg://") + "/" + name, drop


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", help="one database URL (default: a fresh SQLite file, then PostgreSQL if it answers)")
    args = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {}
    if args.database:
        results[args.database.split(":", 1)[0]] = await run_on(args.database, args.cases, args.repeat)
    else:
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite")
            results["sqlite"] = await run_on(f"sqlite+aiosqlite:///{folder}/bench.sqlite3", args.cases, args.repeat)
        made = await _postgres(os.environ.get("TEST_DATABASE_URL", POSTGRES))
        if made is not None:
            url, drop = made
            print("PostgreSQL")
            try:
                results["postgresql"] = await run_on(url, args.cases, args.repeat)
            finally:
                await drop()
    print("\n| database | what | median s | min s | peak RSS +MB | goal | met |\n|---|---|---:|---:|---:|---|---|")
    for database, lines in results.items():
        for line in lines:
            goal = GOALS.get(line["what"]) or (GOALS["xlsx 100,000 rows"] if line["what"].startswith("xlsx 1") and args.cases >= 100_000 else None)
            text, met = "", ""
            if goal:
                seconds, megabytes = goal
                text = f"≤ {seconds:.0f} s" + (f", ≤ +{megabytes:.0f} MB" if megabytes else ", flat memory")
                ok = line["median"] <= seconds and (megabytes is None or line["rss"] <= megabytes)
                met = "yes" if ok else "no"
            print(f"| {database} | {line['what']} | {line['median']:.2f} | {line['min']:.2f} | {line['rss']:.1f} | {text} | {met} |")
    print(json.dumps({db: [{k: v for k, v in line.items() if k != "result"} for line in lines] for db, lines in results.items()}))


if __name__ == "__main__":
    asyncio.run(main())
