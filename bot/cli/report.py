"""`aduan report`: a period's figures and cases as a file (XLSX or CSV).

The same figures as /statistik and the monthly reports (`cases.figures`), for the whole regency
or one agency. What never leaves in a file: a reporter's name, username, phone or Telegram id; a
whistleblower's text, kecamatan or exact dates; another agency's cases in an agency's file.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime
from pathlib import Path

from bot.cli import common
from bot.cli.common import OperatorError
from bot.settings import Settings
from cases.figures import Period

FORMATS = ("xlsx", "csv")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = commands.add_parser(
        "report", help="a period's figures and cases as a workbook (XLSX) or CSV file",
        description="Write the figures of a period (sheets Ringkasan, OPD, Topik × Kecamatan, Maladministrasi, "
        "Kepuasan) and one Data row per case filed in it. With --agency, that agency's cases only, beside the "
        "regency's figures. CSV holds the Data rows.",
    )  # fmt: skip
    period_arguments(report, required=True)
    report.add_argument("--format", choices=FORMATS, help="xlsx or csv (default: from the --out file's ending, else xlsx)")
    report.add_argument("--out", required=True, type=Path, metavar="FILE", help="where to write the file")


def period_arguments(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--from", dest="start", required=required, metavar="DATE", help="first day (YYYY-MM-DD or dd-mm-yyyy)")
    parser.add_argument("--to", dest="end", required=required, metavar="DATE", help="last day, included")
    parser.add_argument("--agency", metavar="CODE", help="one agency (see `aduan opd list`)")
    parser.add_argument("--language", choices=("id", "en"), help="the file's language (default: DEFAULT_LANGUAGE)")


def _day(value: str, name: str) -> date:
    text = value.strip()
    match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text)
    try:
        if match:
            d, m, y = (int(g) for g in match.groups())
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError:
        raise OperatorError(f"{name} {value!r} is not a date (YYYY-MM-DD or dd-mm-yyyy)") from None


def period_of(args: argparse.Namespace, today: date) -> Period:
    if args.start is None and args.end is None:
        return Period(today.replace(day=1), today)
    start = _day(args.start, "--from") if args.start else None
    end = _day(args.end, "--to") if args.end else today
    if start is None:
        raise OperatorError("--to needs --from")
    if end < start:
        raise OperatorError(f"--to {end} is before --from {start}")
    if (end - start).days > 366 * 5:
        raise OperatorError("a period of at most five years, please")
    return Period(start, end)


def command(args: argparse.Namespace) -> common.Command:
    today = datetime.now(UTC).astimezone(common.WITA).date()
    period = period_of(args, today)
    agency = args.agency.strip().upper() if args.agency else None
    fmt = args.format or (args.out.suffix.lstrip(".").lower() if args.out.suffix.lstrip(".").lower() in FORMATS else "xlsx")
    return lambda s: _report(s, period, agency, args.language, fmt, args.out)


async def context(settings: Settings, agency: str | None):  # type: ignore[no-untyped-def]
    from bot.app import policy_of
    from cases.calendar import WorkCalendar
    from handlers.core.topics import load_topics
    from storage.db import Database
    from storage.models import Agency

    db = Database(settings.database_url)
    if agency is not None:
        async with db.read() as session:
            if await session.get(Agency, agency) is None:
                await db.dispose()
                raise OperatorError(f"no agency with code {agency} (see `aduan opd list --all`)")
    return db, policy_of(settings, WorkCalendar(settings.tz)), load_topics(settings.topics_file)


async def _report(settings: Settings, period: Period, agency: str | None, language: str | None, fmt: str, out: Path) -> int:
    from bot.reports import build

    db, policy, topics = await context(settings, agency)
    request = build.ReportRequest(period, agency, language or settings.default_language, datetime.now(UTC))
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        if fmt == "xlsx":
            rows = await build.write_xlsx(db, request, policy, topics, str(out))
        else:
            with out.open("w", encoding="utf-8", newline="") as handle:
                rows = await build.write_csv(db, request, policy, topics, handle)
    finally:
        await db.dispose()
    print(f"{out}: {rows} case(s) filed {period.start} .. {period.end}{' for ' + agency if agency else ''} ({fmt})")
    return 0
