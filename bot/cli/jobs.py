"""`aduan jobs ...`: the scheduled jobs, listed or run once as of a given instant."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime

from bot.cli import common
from bot.cli.common import BOT_USERNAME_ENV, DEFAULT_BOT_USERNAME, OperatorError
from bot.settings import Settings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    jobs = commands.add_parser("jobs", help="the scheduled jobs (reminders, digests, summaries)")
    jobs_commands = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    jobs_commands.add_parser("list", help="the jobs, what they do and when they run next")
    job_run = jobs_commands.add_parser("run", help="run one job once; its messages are sent by the running bot")
    job_run.add_argument("name", help="a job name from `jobs list`")
    job_run.add_argument("--at", help="as of this instant (ISO-8601; without an offset it is WITA), default now")


def command(args: argparse.Namespace) -> common.Command:
    from bot.jobs import JOBS

    if args.jobs_command == "list":
        return _jobs_list
    if args.name not in JOBS:
        raise OperatorError(f"no job {args.name!r}; the jobs are: {', '.join(JOBS)}")
    return lambda s: _jobs_run(s, args.name, args.at)


async def _jobs_list(settings: Settings) -> int:
    from bot.jobs import JOBS, trigger

    now = datetime.now(settings.tz)
    for name, job in JOBS.items():
        upcoming = trigger(name, settings.tz, settings.digest_hour).get_next_fire_time(None, now)
        when = upcoming.strftime("%Y-%m-%d %H:%M WITA") if upcoming else "—"
        print(f"{name:<10} next {when}   {job.description}")
    return 0


def _instant(value: str | None, settings: Settings) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise OperatorError(f"--at {value!r} is not an ISO-8601 instant (e.g. 2026-12-08T09:00)") from None
    return moment.replace(tzinfo=settings.tz) if moment.tzinfo is None else moment


async def _jobs_run(settings: Settings, name: str, at: str | None) -> int:
    from bot.app import handler_config
    from bot.jobs import run_job
    from storage.db import Database

    now = _instant(at, settings)
    db = Database(settings.database_url)
    try:
        queued = await run_job(name, db, handler_config(settings, os.environ.get(BOT_USERNAME_ENV) or DEFAULT_BOT_USERNAME), settings.tz, now)
    finally:
        await db.dispose()
    print(f"{name} as of {now.astimezone(settings.tz):%Y-%m-%d %H:%M} WITA: {queued} message(s) queued"
          " (the running bot sends them)")
    return 0


# -- the whistleblower vault ------------------------------------------------------------------------------
