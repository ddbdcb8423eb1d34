"""`aduan calendar ...`: days off declared on top of the national holidays (cuti bersama, local leave)."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import common
from bot.cli.common import OperatorError
from bot.settings import Settings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    calendar = commands.add_parser("calendar", help="days off declared on top of national holidays")
    calendar_commands = calendar.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    day_add = calendar_commands.add_parser("add", help="declare a non-working day (e.g. cuti bersama)")
    day_add.add_argument("day", help="YYYY-MM-DD")
    day_add.add_argument("--reason", default="", help="shown in `calendar list`")
    day_remove = calendar_commands.add_parser("remove", help="withdraw a declared day")
    day_remove.add_argument("day", help="YYYY-MM-DD")
    day_list = calendar_commands.add_parser("list", help="declared days, and the holidays of a year")
    day_list.add_argument("--year", type=int, help="also list that year's public holidays and cuti bersama")


def command(args: argparse.Namespace) -> common.Command:
    if args.calendar_command == "list":
        return lambda s: _calendar_list(s, args.year)
    day = _date(args.day)
    if args.calendar_command == "add":
        return lambda s: _calendar_add(s, day, args.reason.strip()[:200])
    return lambda s: _calendar_remove(s, day)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise OperatorError(f"{value!r} is not a date (YYYY-MM-DD)") from None


async def _calendar_add(settings: Settings, day: date, reason: str) -> int:
    from storage import days_off

    async def work(session: AsyncSession) -> int:
        new = await days_off.add(session, day, reason, datetime.now(UTC))
        print(f"{day} {'declared a day off' if new else 'was already declared; reason updated'}"
              " — deadlines computed from now on skip it")
        return 0

    return await common.in_transaction(settings, work)


async def _calendar_remove(settings: Settings, day: date) -> int:
    from storage import days_off

    async def work(session: AsyncSession) -> int:
        if not await days_off.remove(session, day):
            raise OperatorError(f"{day} is not a declared day off")
        print(f"{day} is a working day again (unless it is a weekend or a national holiday)")
        return 0

    return await common.in_transaction(settings, work)


async def _calendar_list(settings: Settings, year: int | None) -> int:
    from storage import days_off

    async def work(session: AsyncSession) -> int:
        rows = await days_off.declared(session)
        print("declared days off:" if rows else "no declared days off")
        for row in rows:
            print(f"  {row.day}  {row.day.strftime('%a')}  {row.reason}")
        if year is not None:
            calendar = await days_off.load_calendar(session, settings.tz)
            print(f"national holidays and cuti bersama in {year}:")
            for day, name in sorted(calendar.holidays_in(year).items()):
                print(f"  {day}  {day.strftime('%a')}  {name}")
        return 0

    return await common.in_transaction(settings, work)
