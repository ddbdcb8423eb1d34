"""Scheduled jobs: APScheduler 3 only wakes them; what is due is computed from the database.

Each run is one transaction that claims its reminder rows and writes its messages to the outbox,
so a doubled, late or concurrent run sends nothing twice. With PostgreSQL and several processes,
the one holding the scheduler role (bot.leadership) runs the jobs; SQLite means one process.
`aduan jobs run NAME --at ISO-8601` runs one job as of any instant, for operators and tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import metrics
from bot.leadership import LEADERSHIP_CHECK_SECONDS, Leadership
from bot.outbox import add_rows, rows_for
from bot.retention import HOUR as RETENTION_HOUR
from bot.retention import MINUTE as RETENTION_MINUTE
from bot.tasks import finish_within
from handlers.core.actions import Action
from handlers.core.context import Context, HandlerConfig
from handlers.staff import reminders, reports
from storage import days_off
from storage.db import Database
from storage.repo import Repository

log = logging.getLogger(__name__)
STOP_WAIT_SECONDS = 5.0  # at stop, how long a run under way may finish before it is cut short


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    run: Callable[[Context], Awaitable[list[Action]]]


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("reminders", "reminders, escalations to heads and admins, auto-close; every 15 minutes "
                     "(sends only on working days outside quiet hours)", reminders.sweep),
    Job("digest", "each officer's morning digest of the agency's open cases (working days)", reminders.digest),
    Job("weekly", "the admins' weekly summary per agency (the week's first working morning)", reminders.weekly),
    Job("monthly", "the previous month's report to the admins and each agency's head, with charts and the "
                   "workbook (the month's first working morning)", reports.monthly),
)}  # fmt: skip


def trigger(name: str, tz: ZoneInfo, digest_hour: int) -> CronTrigger:
    if name == "reminders":
        return CronTrigger(minute="*/15", timezone=tz)
    # The weekly summary and the monthly report run every working morning; only the first of the
    # week (or of the month) sends, its key being the week (the month and recipient).
    minute = {"digest": 0, "weekly": 1, "monthly": 2}[name]
    return CronTrigger(day_of_week="mon-fri", hour=digest_hour, minute=minute, timezone=tz)


async def run_job(name: str, db: Database, config: HandlerConfig, tz: ZoneInfo, now: datetime) -> int:
    """Run one job as of `now`; returns the number of messages queued."""
    job = JOBS[name]
    async with db.write() as session, session.begin():
        calendar = await days_off.load_calendar(session, tz)
        ctx = Context(repo=Repository(session), config=config, calendar=calendar, now=now,
                      language=config.default_language, reads=db.read)  # fmt: skip
        rows = rows_for(await job.run(ctx))
        await add_rows(session, rows)
    return len(rows)


class Scheduler:
    def __init__(self, db: Database, config: HandlerConfig, tz: ZoneInfo, digest_hour: int,
                 clock: Callable[[], datetime], on_queued: Callable[[], None],
                 retention: Callable[[datetime], Awaitable[object]] | None = None) -> None:
        self.db, self.config, self.tz, self.clock, self.on_queued = db, config, tz, clock, on_queued
        self.leadership = Leadership(db, "scheduler", metrics.SCHEDULER_LEADER)
        self.scheduler = AsyncIOScheduler(timezone=tz)
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False
        for name in JOBS:
            metrics.JOB_MESSAGES.labels(name)  # shown at 0 before the job first queues anything
            self.scheduler.add_job(self.run, trigger(name, tz, digest_hour), args=[name], id=name, name=name,
                                   coalesce=True, max_instances=1, misfire_grace_time=600)  # fmt: skip
        # The retention rule (bot.retention) sends nothing, so it is no `Job`: it erases, daily.
        self.retention = retention
        if retention is not None:
            self.scheduler.add_job(self.erase, CronTrigger(hour=RETENTION_HOUR, minute=RETENTION_MINUTE, timezone=tz),
                                   id="retention", name="retention", coalesce=True, max_instances=1,
                                   misfire_grace_time=6 * 3600)  # fmt: skip
        if db.is_postgres:  # a dead leader's lock goes with its connection; another takes it up soon
            self.scheduler.add_job(self.claim_leadership, IntervalTrigger(seconds=LEADERSHIP_CHECK_SECONDS),
                                   id="leadership", name="leadership", coalesce=True, max_instances=1)  # fmt: skip

    @contextlib.contextmanager
    def _tracked(self, name: str) -> Iterator[None]:
        """A run `stop` lets finish. One cut short by the stop ends quietly: its transaction rolls
        back and its next run redoes it (APScheduler would log the cancellation as a failure)."""
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            yield
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            log.info("job %s cut short by the stop; its next run redoes it", name)
        finally:
            self._running.discard(task)

    async def claim_leadership(self) -> None:
        """Take the lead if no process holds it (so /metrics and the next job know at once)."""
        with self._tracked("leadership"):
            try:
                await self.leadership.held()
            except Exception:  # the database away for a moment: the next check tries again
                log.warning("could not check the scheduler lock; will try again")

    async def erase(self) -> None:
        with self._tracked("retention"):
            try:
                if self.retention is None or not await self.leadership.held():
                    return
                await self.retention(self.clock())
            except Exception:
                log.exception("job retention failed; its next run will retry")

    def start(self) -> None:
        if not self.db.is_postgres:
            metrics.SCHEDULER_LEADER.set(1)  # one process: it leads while the scheduler runs
        self.scheduler.start()
        self.scheduler.modify_job("reminders", next_run_time=datetime.now(self.tz))  # catch up at start

    async def run(self, name: str) -> None:
        with self._tracked(name):
            try:
                if not await self.leadership.held():
                    return
                queued = await run_job(name, self.db, self.config, self.tz, self.clock())
            except Exception:
                log.exception("job %s failed; its next run will retry", name)
                return
            metrics.JOB_MESSAGES.labels(name).inc(queued)
            if queued:
                log.info("job %s queued %d message(s)", name, queued)
                self.on_queued()

    async def stop(self, wait: float = STOP_WAIT_SECONDS) -> None:
        """Start no run; let the runs under way finish for up to `wait` seconds (one cancelled in
        the middle of opening a PostgreSQL connection leaves asyncpg errors behind), then cut
        short the rest and give up the role."""
        self.scheduler.pause()
        self._stopping = True
        await finish_within(self._running, wait)
        self.scheduler.shutdown(wait=False)
        await self.leadership.release()
