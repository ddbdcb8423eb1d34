"""The scheduler's jobs against a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL):
three weeks around Christmas and New Year with a declared day off, a sweep every 30 minutes and
each one doubled, cases at every stage — who gets what, when, and nothing twice."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.jobs import run_job
from cases import workflow
from cases.calendar import WorkCalendar
from cases.reminders import window
from handlers.core.context import HandlerConfig
from storage import agencies, cases, days_off
from storage import reminders as reminders_store
from storage.db import Database, upgrade_async
from storage.models import Complaint, Officer, OutboxMessage, Reminder, User
from storage.repo import Repository, new_complaint
from tests.e2e.harness import fresh_database

WITA = ZoneInfo("Asia/Makassar")
CITIZEN, OFFICER, HEAD, DINKES_OFFICER, ADMIN = 11, 21, 22, 31, 99
CONFIG = HandlerConfig(admin_ids=frozenset({ADMIN}))
START, END = date(2026, 12, 14), date(2027, 1, 6)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), WITA)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


async def stage(url: str) -> None:
    """The people: a citizen, an officer and the head of DPU, an officer of DINKES, an admin."""
    await upgrade_async(url)
    db = Database(url)
    try:
        await agencies.seed_if_empty(db.write)
        async with db.write() as session, session.begin():
            await days_off.add(session, date(2026, 12, 30), "cuti", at(START, 0))
            for uid, lang in ((CITIZEN, "id"), (OFFICER, "en"), (HEAD, "id"), (DINKES_OFFICER, "id"), (ADMIN, "id")):
                session.add(User(telegram_id=uid, display_name=f"u{uid}", language=lang, created_at=at(START, 0), last_seen_at=at(START, 0)))
            session.add_all([Officer(telegram_id=OFFICER, agency_code="DPU", joined_at=at(START, 0)),
                             Officer(telegram_id=HEAD, agency_code="DPU", is_head=True, joined_at=at(START, 0)),
                             Officer(telegram_id=DINKES_OFFICER, agency_code="DINKES", joined_at=at(START, 0))])  # fmt: skip
    finally:
        await db.dispose()


ADMIN_ACTOR = workflow.Actor("admin", ADMIN)
DINKES_ACTOR = workflow.Actor("officer", DINKES_OFFICER, "DINKES")
# What happens, and when: cases at every stage. A is routed to DPU and never answered (due 23
# December); B is never verified (due 17 December); C is answered on 15 December and the citizen
# stays silent; D waits for the citizen's information.
EVENTS: list[tuple[datetime, str, str, workflow.Actor | None, dict[str, str]]] = [
    (at(date(2026, 12, 10), 9), "C", "file", None, {}),
    (at(date(2026, 12, 10), 9), "D", "file", None, {}),
    (at(date(2026, 12, 11), 9), "C", "verify_and_route", ADMIN_ACTOR, {"agency_code": "DINKES"}),
    (at(date(2026, 12, 11), 9), "D", "verify_and_route", ADMIN_ACTOR, {"agency_code": "DINKES"}),
    (at(START, 8), "A", "file", None, {}),
    (at(START, 9), "B", "file", None, {}),
    (at(START, 9), "D", "request_info", DINKES_ACTOR, {"question": "Di mana?"}),
    (at(date(2026, 12, 15), 10), "C", "respond", DINKES_ACTOR, {"text": "Sudah"}),
    (at(date(2026, 12, 16), 10), "A", "verify_and_route", ADMIN_ACTOR, {"agency_code": "DPU"}),
]


async def happen(db: Database, made: dict[str, int], moment: datetime, name: str, action: str,
                 actor: workflow.Actor | None, args: dict[str, str]) -> None:
    """One event, through the case rules, at its own moment."""
    calendar = WorkCalendar(WITA, [date(2026, 12, 30)])
    async with db.write() as session, session.begin():
        repo = Repository(session)
        if action == "file":
            complaint = await repo.add_complaint(new_complaint(
                ticket=await repo.next_ticket(2026), citizen_id=CITIZEN, source_update_id=len(made) + 1,
                report_class="pengaduan", topic="infra.jalan", agency_code=None, title=f"Kasus {name}",
                description="x" * 40, event_date=moment.date(), privacy="biasa", language="id", status="submitted",
                created_at=moment, verification_due=calendar.deadline(moment, 3)), [], f"citizen:{CITIZEN}")  # fmt: skip
            made[name] = complaint.id
            return
        found = await repo.complaint_by_id(made[name])
        assert found is not None and actor is not None
        rule = getattr(workflow, action)
        step = rule(cases.case_view(found), actor, moment, workflow.Policy(calendar=calendar), **args)
        await cases.record(session, found, step, actor, moment)


async def simulate(url: str, made: dict[str, int]) -> list[tuple[datetime, int, str]]:
    """Every 30 minutes a doubled sweep; at 08:00 the digest and the weekly summary (also doubled).
    Returns (moment, chat, text) of every message queued."""
    db = Database(url)
    sent: list[tuple[datetime, int, str]] = []
    last = 0
    pending = list(EVENTS)
    try:
        moment = at(date(2026, 12, 10), 0)
        while moment.date() <= END:
            while pending and pending[0][0] <= moment:
                await happen(db, made, *pending.pop(0))
            names = ["reminders", "reminders"] if moment.date() >= START else []
            if names and moment.time() == time(8, 0):
                names += ["digest", "weekly", "digest", "weekly"]
            for name in names:
                await run_job(name, db, CONFIG, WITA, moment)
            async with db.read() as session:
                rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.id > last).order_by(OutboxMessage.id))).all()
            for row in rows:
                sent.append((moment, row.chat_id, str(row.payload.get("text", ""))))
                last = row.id
            moment += timedelta(minutes=30)
        return sent
    finally:
        await db.dispose()


def test_three_weeks_of_reminders_reach_the_right_people_once(database_url: str) -> None:
    asyncio.run(stage(database_url))
    made: dict[str, int] = {}
    sent = asyncio.run(simulate(database_url, made))

    by_chat: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for moment, chat, text in sent:
        by_chat[chat].append((moment, text))
        local = moment.astimezone(WITA)
        assert time(7) <= local.time() < time(20), f"sent in quiet hours: {local} {text[:60]}"
        assert local.date() not in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 30), date(2027, 1, 1), date(2027, 1, 5))
        assert local.weekday() < 5

    def days(chat: int, *fragments: str) -> list[date]:
        found = [m.date() for m, text in by_chat[chat] if all(f in text for f in fragments)]
        assert len(found) == len(set(found)), f"{chat} got {fragments!r} twice on one day"
        return found

    late_days = [date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 31), date(2027, 1, 4), date(2027, 1, 6)]
    # The officer (English): the day before, the day of, then each working day while late.
    assert days(OFFICER, "Reminder") == [date(2026, 12, 22), date(2026, 12, 23), *late_days]
    assert [m.time() for m, text in by_chat[OFFICER] if "Reminder" in text] == [time(7)] * 7, "at the first allowed moment"
    assert days(OFFICER, "due tomorrow") == [date(2026, 12, 22)]
    assert days(OFFICER, "overdue by 3 working days") == [date(2026, 12, 31)]
    # The head: as an officer at first, escalated from the first late day.
    assert days(HEAD, "Pengingat") == [date(2026, 12, 22), date(2026, 12, 23), *late_days]
    assert days(HEAD, "Dieskalasikan") == late_days
    # The admins: the unverified report from its deadline on, and the late agency from the third late day.
    admin_days = [date(2026, 12, 17), date(2026, 12, 18), date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23), *late_days]
    assert days(ADMIN, "Pengingat") == admin_days
    assert days(ADMIN, "Pengingat", "Dinas Pekerjaan Umum") == [date(2026, 12, 31), date(2027, 1, 4), date(2027, 1, 6)]
    # The citizen: warned two working days before the answered case closes, then told it closed.
    assert days(CITIZEN, "akan ditutup") == [date(2026, 12, 29)]
    assert days(CITIZEN, "ditutup") == [date(2026, 12, 29), date(2027, 1, 4)]
    # Digests each working morning while the agency has open cases; the weekly summary once a week.
    assert days(OFFICER, "Good morning") == [date(2026, 12, 17), date(2026, 12, 18), date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23), *late_days]
    assert len(days(DINKES_OFFICER, "Selamat pagi")) == 13
    assert days(ADMIN, "Ringkasan mingguan") == [date(2026, 12, 14), date(2026, 12, 21), date(2026, 12, 28), date(2027, 1, 4)]

    async def closed() -> tuple[str, int]:
        db = Database(database_url)
        try:
            async with db.read() as session:
                c = await session.get(Complaint, made["C"])
                d = await session.get(Complaint, made["D"])
                assert c is not None and d is not None and d.status == "agency_info_req"
                count = len((await session.scalars(select(Reminder).where(Reminder.complaint_id == made["D"]))).all())
                return c.status, count
        finally:
            await db.dispose()

    assert asyncio.run(closed()) == ("closed", 0), "the answered case closed; the paused one reminded nobody"


def test_concurrent_sweeps_send_once(database_url: str) -> None:
    asyncio.run(stage(database_url))

    async def events() -> None:
        db = Database(database_url)
        made: dict[str, int] = {}
        try:
            for event in EVENTS:
                await happen(db, made, *event)
        finally:
            await db.dispose()

    asyncio.run(events())

    async def race() -> tuple[list[int], int]:
        dbs = [Database(database_url) for _ in range(3)]
        try:
            moment = at(date(2026, 12, 28), 9)
            queued = await asyncio.gather(*(run_job("reminders", db, CONFIG, WITA, moment) for db in dbs))
            async with dbs[0].read() as session:
                rows = len((await session.scalars(select(OutboxMessage))).all())
            return sorted(queued), rows
        finally:
            for db in dbs:
                await db.dispose()

    queued, rows = asyncio.run(race())
    assert queued[:2] == [0, 0] and queued[2] == rows > 0, "exactly one of the concurrent sweeps sent"


def test_a_process_on_postgresql_checks_for_the_lead_well_within_30_seconds(database_url: str) -> None:
    from bot.jobs import Scheduler

    async def check() -> object:
        db = Database(database_url)
        try:
            scheduler = Scheduler(db, CONFIG, WITA, 8, lambda: datetime.now(WITA), lambda: None)
            job = scheduler.scheduler.get_job("leadership")
            return None if job is None else job.trigger.interval
        finally:
            await db.dispose()

    interval = asyncio.run(check())
    if database_url.startswith("sqlite"):
        assert interval is None, "one process: nothing to take over"
    else:
        assert isinstance(interval, timedelta) and interval <= timedelta(seconds=30)


def test_later_sweeps_of_a_day_read_only_what_became_due_since(database_url: str) -> None:
    """The first sweep of a working day takes what is due; the next ones do not read those cases
    again, until one changes stage: the late case A, sent back by DPU at noon, reaches the admins
    that afternoon although its officers were reminded of it that morning. (C, answered on 15
    December, is read each time: within the window's margin — eight calendar days since the
    answer — but not yet eight working days, so nothing is due and nothing claimed.)"""
    asyncio.run(stage(database_url))
    dpu = workflow.Actor("officer", OFFICER, "DPU")
    policy = workflow.Policy(calendar=WorkCalendar(WITA, [date(2026, 12, 30)]))

    async def day() -> tuple[list[set[str]], list[str], int]:
        db = Database(database_url)
        made: dict[str, int] = {}
        read: list[set[str]] = []
        try:
            for event in EVENTS:
                await happen(db, made, *event)
            names = {number: name for name, number in made.items()}
            morning = at(date(2026, 12, 28), 9)
            for moment in (morning, morning + timedelta(minutes=15), at(date(2026, 12, 28), 12, 30)):
                if moment.hour == 12:
                    await happen(db, made, at(date(2026, 12, 28), 12), "A", "not_ours", dpu, {"reason": "Bukan wewenang kami"})
                async with db.read() as session:
                    found = await reminders_store.due_candidates(session, window(moment, policy, CONFIG.reminder_rules))
                    read.append({names[c.id] for c in found})
                await run_job("reminders", db, CONFIG, WITA, moment)
            async with db.read() as session:
                rows = list(await session.scalars(select(Reminder).where(
                    Reminder.complaint_id == made["A"], Reminder.day == date(2026, 12, 28)).order_by(Reminder.id)))
            kinds = [r.kind for r in rows]
            return read, kinds, sum(r.recipients for r in rows if r.kind == "verify_late")
        finally:
            await db.dispose()

    read, kinds, admin_rows = asyncio.run(day())
    assert read == [{"A", "B", "C"}, {"C"}, {"A", "C"}], read
    assert sorted(kinds) == ["overdue", "overdue", "verify_late"], "the officers and the head in the morning, the admins after noon"
    assert admin_rows == 1, "the admin was reminded of the returned case that afternoon"


@pytest.mark.parametrize("outlasts", [False, True], ids=["finishes", "cut-short"])
def test_a_run_under_way_at_stop_is_let_finish_and_one_that_outlasts_the_wait_ends_quietly(
        database_url: str, outlasts: bool, caplog: pytest.LogCaptureFixture) -> None:
    """Stopping waits for the run in hand (one cancelled mid-connect leaves asyncpg errors
    behind); one still running after the wait is cut short with a line of INFO, not logged by
    APScheduler as a failed job with a traceback."""
    from bot.jobs import Scheduler

    async def run() -> tuple[list[str], float]:
        await upgrade_async(database_url)
        db = Database(database_url)
        began = asyncio.Event()
        seen: list[str] = []

        async def retention(_now: datetime) -> None:
            seen.append("began")
            began.set()
            await asyncio.sleep(3600 if outlasts else 0.3)
            seen.append("finished")

        try:
            scheduler = Scheduler(db, CONFIG, WITA, 8, lambda: datetime.now(WITA), lambda: None, retention)
            scheduler.start()
            scheduler.scheduler.modify_job("retention", next_run_time=datetime.now(WITA))
            await asyncio.wait_for(began.wait(), 10)
            moment = asyncio.get_running_loop().time()
            await scheduler.stop(wait=1.0)
            return seen, asyncio.get_running_loop().time() - moment
        finally:
            await db.dispose()

    with caplog.at_level("INFO"):
        seen, took = asyncio.run(run())
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert errors == [], [r.getMessage() for r in errors]
    if outlasts:
        assert seen == ["began"] and took < 5
        assert "job retention cut short by the stop; its next run redoes it" in caplog.messages
    else:
        assert seen == ["began", "finished"]
        assert not any("cut short" in m for m in caplog.messages)
