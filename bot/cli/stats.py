"""`aduan stats`: a period's figures in the terminal — the summary /statistik shows, then the
agencies' scorecard as a table. The default period is this month."""

from __future__ import annotations

import argparse
import html
import re
from dataclasses import replace
from datetime import UTC, datetime

from bot.cli import common
from bot.cli.report import context, period_arguments, period_of
from bot.settings import Settings
from cases.figures import Period


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    stats = commands.add_parser("stats", help="a period's figures in the terminal (default: this month)")
    period_arguments(stats, required=False)


def command(args: argparse.Namespace) -> common.Command:
    today = datetime.now(UTC).astimezone(common.WITA).date()
    period = period_of(args, today)
    agency = args.agency.strip().upper() if args.agency else None
    return lambda s: _stats(s, period, agency, args.language)


def plain(markup: str) -> str:
    """Telegram HTML as terminal text."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


async def _stats(settings: Settings, period: Period, agency: str | None, language: str | None) -> int:
    from cases.figures import Scope
    from handlers.core.i18n import texts
    from handlers.staff import figures_view as view
    from storage import days_off, statistics

    db, policy, topics = await context(settings, agency)
    t = texts(language or settings.default_language)
    now = datetime.now(UTC)
    try:
        async with db.read() as session:
            calendar = await days_off.load_calendar(session, settings.tz)
            policy = replace(policy, calendar=calendar)  # with the declared days off
            names = {a.code: a.name for a in await statistics.agencies(session)}
        regency = await statistics.figures(db.read, period, Scope(), policy, now)
        figures = await statistics.figures(db.read, period, Scope(agency=agency), policy, now) if agency else regency
    finally:
        await db.dispose()
    print(plain(view.summary_html(figures, t, names, topics, settings.tz, regency=regency if agency else None)))
    rows = [[str(a.rank or ""), a.code, str(a.cases), str(a.answered), t.percent(a.share_on_time) if a.share_on_time is not None else "—",
             t.number(a.median_response) if a.median_response is not None else "—", str(a.overdue_now),
             t.number(a.average_rating) if a.average_rating is not None else "—", "n<5" if a.small else ""]
            for a in figures.agencies]  # fmt: skip
    if rows:
        print()
        print(common.table(["RANK", "AGENCY", "CASES", "ANSWERED", "ON TIME", "MEDIAN DAYS", "OVERDUE", "RATING", ""], rows))
    return 0

