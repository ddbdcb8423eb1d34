"""`aduan retention run [--at ISO-8601]`: the retention rule once, as of an instant — the personal
data of cases closed more than RETENTION_MONTHS before it erased (bot.retention), with counts."""

from __future__ import annotations

import argparse

from bot.cli import common
from bot.cli.jobs import _instant
from bot.settings import Settings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    retention = commands.add_parser("retention", help="erase personal data of cases closed more than RETENTION_MONTHS ago")
    actions = retention.add_subparsers(dest="retention_command", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="run the retention rule once (the running bot also does, daily); prints what it erased")
    run.add_argument("--at", help="as of this instant (ISO-8601; without an offset it is WITA), default now")


def command(args: argparse.Namespace) -> common.Command:
    return lambda settings: _run(settings, args.at)


async def _run(settings: Settings, at: str | None) -> int:
    from bot.retention import run_retention
    from storage.db import Database, checkpoint_truncate

    now = _instant(at, settings)
    db = Database(settings.database_url)
    try:
        done = await run_retention(db, settings.files_dir, settings.retention_months, now, settings.admin_telegram_ids)
        await checkpoint_truncate(db.engine)  # SQLite: the erased values out of the WAL as well
    finally:
        await db.dispose()
    e = done.erasure
    print(f"retention as of {common.wita(now)}: cases closed before {common.wita(done.cutoff)} "
          f"(RETENTION_MONTHS={settings.retention_months})")
    for label, value in (("cases erased", e.cases), ("people forgotten", e.users), ("attachments emptied", e.attachments),
                         ("files deleted", done.files_deleted), ("outbox rows wiped", e.outbox),
                         ("drafts deleted", e.drafts)):  # fmt: skip
        print(f"  {label:<20} {value}")
    return 0
