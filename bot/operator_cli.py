"""Operator commands: `aduan opd ...` and `aduan admin ...` (parsers in bot/cli.py).

Every command applies the migrations first, then does its work in one transaction. Output is
plain text on stdout; problems go to stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from storage import agencies, roles
from storage.models import Agency, Officer

WITA = ZoneInfo("Asia/Makassar")
DEFAULT_BOT_USERNAME = "kanal_aduan_bot"
BOT_USERNAME_ENV = "TELEGRAM_BOT_USERNAME"
MAX_INVITE_HOURS = 24 * 30
NAME_WIDTH = 60

T = TypeVar("T")


class OperatorError(Exception):
    """A command cannot be done; printed as one line, exit status 1."""


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    opd = commands.add_parser("opd", help="agency (OPD) directory, officers and invitations")
    opd_commands = opd.add_subparsers(dest="opd_command", metavar="ACTION", required=True)
    imp = opd_commands.add_parser(
        "import",
        help="make the agency directory match a CSV (code,name,kind)",
        description="Upsert agencies by code from a CSV with the header code,name,kind (other columns "
        "are ignored). Every row is checked first; any bad row means nothing is imported. Agencies "
        "missing from the file are deactivated, never deleted. Safe to run again.",
    )
    imp.add_argument("file", type=Path, metavar="FILE.csv")
    lst = opd_commands.add_parser("list", help="list agencies with their officers and head")
    lst.add_argument("--all", action="store_true", help="include inactive agencies")
    inv = opd_commands.add_parser(
        "invite",
        help="create a one-time invitation link for an officer of an agency",
        description="Print a one-time t.me deep link that makes whoever opens it an officer of the "
        "agency. The link is shown only now (only a hash is stored); send it privately.",
    )
    inv.add_argument("code", metavar="CODE")
    inv.add_argument("--head", action="store_true", help="the invitee becomes the agency head (replacing the current head)")
    inv.add_argument("--hours", type=int, default=72, help=f"hours the link stays valid (default 72, at most {MAX_INVITE_HOURS})")
    inv.add_argument(
        "--bot-username",
        default=os.environ.get(BOT_USERNAME_ENV) or DEFAULT_BOT_USERNAME,
        metavar="NAME",
        help=f"the bot's @username for the link (default: ${BOT_USERNAME_ENV}, else {DEFAULT_BOT_USERNAME})",
    )
    off = opd_commands.add_parser("officers", help="list the active officers of an agency")
    off.add_argument("code", metavar="CODE")
    rev = opd_commands.add_parser("revoke", help="revoke an officer of an agency")
    rev.add_argument("code", metavar="CODE")
    rev.add_argument("telegram_id", type=int, metavar="TELEGRAM_ID")

    calendar = commands.add_parser("calendar", help="days off declared on top of national holidays")
    calendar_commands = calendar.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    day_add = calendar_commands.add_parser("add", help="declare a non-working day (e.g. cuti bersama)")
    day_add.add_argument("day", help="YYYY-MM-DD")
    day_add.add_argument("--reason", default="", help="shown in `calendar list`")
    day_remove = calendar_commands.add_parser("remove", help="withdraw a declared day")
    day_remove.add_argument("day", help="YYYY-MM-DD")
    day_list = calendar_commands.add_parser("list", help="declared days, and the holidays of a year")
    day_list.add_argument("--year", type=int, help="also list that year's public holidays and cuti bersama")
    case = commands.add_parser("case", help="complaints (cases)")
    case_commands = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)
    show = case_commands.add_parser("show", help="a case and its history: who did what, when, from, to and why")
    show.add_argument("ticket", help="ticket number, e.g. KKR-2026-000123")
    admin = commands.add_parser("admin", help="Diskominfo admins kept in the database")
    admin_commands = admin.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    add = admin_commands.add_parser("add", help="make a Telegram user an admin")
    add.add_argument("telegram_id", type=int, metavar="ID")
    rem = admin_commands.add_parser("remove", help="remove an admin added with `admin add`")
    rem.add_argument("telegram_id", type=int, metavar="ID")
    admin_commands.add_parser("list", help="list admins (database and ADMIN_TELEGRAM_IDS)")
    keys = commands.add_parser("keys", help="the whistleblower vault's keys")
    keys_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = keys_commands.add_parser("init", help="create the vault key file and the offline disclosure key")
    init.add_argument("--out", default="disclosure-key", help="folder for the disclosure private key or shares (move it offline)")
    init.add_argument("--shares", type=int, default=1, help="split the private key among this many custodians")
    init.add_argument("--threshold", type=int, default=1, help="how many shares open it (with --shares)")
    keys_commands.add_parser("rotate", help="a new vault key: re-encrypt everything under it, drop the old")
    vault_parser = commands.add_parser("vault", help="lawful disclosure of a whistleblower's identity, and its audit log")
    vault_commands = vault_parser.add_subparsers(dest="vault_command", metavar="ACTION", required=True)
    disclose = vault_commands.add_parser("disclose", help="open one identity record (needs the offline key or k shares)")
    disclose.add_argument("ticket")
    disclose.add_argument("--key", action="append", required=True, metavar="FILE", help="the private key file, or a share (repeat)")
    disclose.add_argument("--operator", required=True, help="who discloses (name, position)")
    disclose.add_argument("--reason", required=True, help="the legal basis (e.g. a court order number)")
    vault_commands.add_parser("audit", help="verify the hash chain of disclosures and key operations")
    jobs = commands.add_parser("jobs", help="the scheduled jobs (reminders, digests, summaries)")
    jobs_commands = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    jobs_commands.add_parser("list", help="the jobs, what they do and when they run next")
    job_run = jobs_commands.add_parser("run", help="run one job once; its messages are sent by the running bot")
    job_run.add_argument("name", help="a job name from `jobs list`")
    job_run.add_argument("--at", help="as of this instant (ISO-8601; without an offset it is WITA), default now")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import upgrade

    try:
        command = _command(args)
        upgrade(settings.database_url)
        return asyncio.run(command(settings))
    except OperatorError as exc:
        print(f"aduan: {exc}", file=sys.stderr)
        return 1


Command = Callable[[Settings], Coroutine[Any, Any, int]]


def _command(args: argparse.Namespace) -> Command:
    if args.command == "calendar":
        if args.calendar_command == "list":
            return lambda s: _calendar_list(s, args.year)
        day = _date(args.day)
        if args.calendar_command == "add":
            return lambda s: _calendar_add(s, day, args.reason.strip()[:200])
        return lambda s: _calendar_remove(s, day)
    if args.command == "keys":
        if args.keys_command == "rotate":
            return _keys_rotate
        if args.shares > 1 and not 2 <= args.threshold <= args.shares:
            raise OperatorError("--threshold must be between 2 and --shares")
        return lambda s: _keys_init(s, Path(args.out), args.shares, args.threshold)
    if args.command == "vault":
        if args.vault_command == "audit":
            return _vault_audit
        from cases.tickets import parse_ticket

        found = parse_ticket(args.ticket)
        if found is None:
            raise OperatorError(f"{args.ticket!r} is not a ticket number")
        disclosed: str = found
        return lambda s: _vault_disclose(s, disclosed, [Path(k) for k in args.key], args.operator.strip(), args.reason.strip())
    if args.command == "jobs":
        from bot.jobs import JOBS

        if args.jobs_command == "list":
            return _jobs_list
        if args.name not in JOBS:
            raise OperatorError(f"no job {args.name!r}; the jobs are: {', '.join(JOBS)}")
        return lambda s: _jobs_run(s, args.name, args.at)
    if args.command == "case":
        from cases.tickets import parse_ticket

        ticket = parse_ticket(args.ticket)
        if ticket is None:
            raise OperatorError(f"{args.ticket!r} is not a ticket number (e.g. KKR-2026-000123)")
        return lambda s: _case_show(s, ticket)
    if args.command == "admin":
        action = args.admin_command
        if action == "list":
            return _admin_list
        telegram_id = _telegram_id(args.telegram_id)
        return (lambda s: _admin_add(s, telegram_id)) if action == "add" else (lambda s: _admin_remove(s, telegram_id))
    action = args.opd_command
    if action == "import":
        return lambda s: _opd_import(s, args.file)
    if action == "list":
        return lambda s: _opd_list(s, args.all)
    if action == "invite":
        if not 1 <= args.hours <= MAX_INVITE_HOURS:
            raise OperatorError(f"--hours must be between 1 and {MAX_INVITE_HOURS}")
        username = args.bot_username.strip().lstrip("@")
        if not username.replace("_", "").isalnum() or not username.isascii() or len(username) < 5:
            raise OperatorError(f"--bot-username {args.bot_username!r} is not a Telegram bot username")
        return lambda s: _opd_invite(s, args.code.strip().upper(), args.head, args.hours, username)
    if action == "officers":
        return lambda s: _opd_officers(s, args.code.strip().upper())
    if action == "revoke":
        telegram_id = _telegram_id(args.telegram_id)
        return lambda s: _opd_revoke(s, args.code.strip().upper(), telegram_id)
    raise OperatorError(f"unknown action {action}")  # pragma: no cover - argparse rejects it


def _telegram_id(value: int) -> int:
    if value <= 0:
        raise OperatorError(f"{value} is not a Telegram user id (a positive number)")
    return value


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from storage.db import Database

    database = Database(settings.database_url)
    try:
        async with database.write() as session, session.begin():
            return await work(session)
    finally:
        await database.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


def _wita(moment: datetime) -> str:
    return moment.astimezone(WITA).strftime("%Y-%m-%d %H:%M WITA")


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _short(text: str, width: int = NAME_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


async def _agency(session: AsyncSession, code: str) -> Agency:
    agency = await session.get(Agency, code)
    if agency is None:
        raise OperatorError(f"no agency with code {code} (see `aduan opd list --all`)")
    return agency


# --- opd ----------------------------------------------------------------------------------------


async def _opd_import(settings: Settings, path: Path) -> int:
    if not path.is_file():
        raise OperatorError(f"{path}: no such file")
    rows, problems = agencies.validate_csv(path)
    if problems:
        for problem in problems:
            print(f"{path}:{problem.line}: {problem.reason}", file=sys.stderr)
        print(f"aduan: {len(problems)} bad row(s) in {path}; nothing imported", file=sys.stderr)
        return 1
    summary = await _in_transaction(settings, lambda session: agencies.import_agencies(session, rows))
    print(f"{path}: {len(rows)} agencies in the file")
    if summary.nothing_changed:
        print("nothing changed")
        return 0
    for label, codes in (
        ("added", summary.added),
        ("changed", summary.changed),
        ("reactivated", summary.reactivated),
        ("deactivated", summary.deactivated),
    ):
        if codes:
            print(f"{label} ({len(codes)}): {', '.join(codes)}")
    return 0


async def _opd_list(settings: Settings, show_all: bool) -> int:
    async def work(session: AsyncSession) -> list[list[str]]:
        query = select(Agency).order_by(Agency.code)
        if not show_all:
            query = query.where(Agency.active.is_(True))
        counts = dict(
            (
                await session.execute(
                    select(Officer.agency_code, func.count())
                    .where(Officer.revoked_at.is_(None))
                    .group_by(Officer.agency_code)
                )
            ).all()
        )
        heads = dict(
            (
                await session.execute(
                    select(Officer.agency_code, Officer.telegram_id)
                    .where(Officer.revoked_at.is_(None), Officer.is_head.is_(True))
                    .order_by(Officer.joined_at)
                )
            ).all()
        )
        return [
            [
                a.code,
                _short(a.name),
                a.kind or "—",
                "yes" if a.active else "no",
                str(counts.get(a.code, 0)),
                str(heads[a.code]) if a.code in heads else "—",
            ]
            for a in (await session.scalars(query)).all()
        ]

    rows = await _in_transaction(settings, work)
    if not rows:
        print("no agencies" + ("" if show_all else " active (try --all, or `aduan opd import FILE.csv`)"))
        return 0
    print(_table(["CODE", "NAME", "KIND", "ACTIVE", "OFFICERS", "HEAD"], rows))
    print(f"\n{len(rows)} agencies" + ("" if show_all else " (active only; --all for inactive ones)"))
    return 0


async def _opd_invite(settings: Settings, code: str, as_head: bool, hours: int, username: str) -> int:
    async def work(session: AsyncSession) -> tuple[str, datetime, str]:
        agency = await _agency(session, code)
        try:
            invite, payload = await roles.create_invite(session, code, as_head, "cli", _now(), timedelta(hours=hours))
        except roles.AgencyInactive:
            raise OperatorError(f"agency {code} is inactive; re-activate it with `aduan opd import`") from None
        return payload, invite.expires_at, agency.name

    payload, expires_at, name = await _in_transaction(settings, work)
    role = "head of" if as_head else "an officer of"
    print(f"One-time invitation to become {role} {code} ({name}):")
    print(f"https://t.me/{username}?start={payload}")
    print(f"valid until {_wita(expires_at)} ({hours} hours); shown only now, send it privately")
    return 0


async def _opd_officers(settings: Settings, code: str) -> int:
    async def work(session: AsyncSession) -> tuple[Agency, list[Officer]]:
        agency = await _agency(session, code)
        return agency, await roles.officers_of(session, code)

    agency, officers = await _in_transaction(settings, work)
    status = "" if agency.active else " [inactive]"
    print(f"{agency.code} — {agency.name}{status}")
    if not officers:
        print("no active officers (invite one with `aduan opd invite " + code + "`)")
        return 0
    rows = [
        [str(o.telegram_id), "head" if o.is_head else "", o.joined_at.astimezone(WITA).strftime("%Y-%m-%d")]
        for o in officers
    ]
    print(_table(["TELEGRAM ID", "HEAD", "JOINED (WITA)"], rows))
    return 0


async def _opd_revoke(settings: Settings, code: str, telegram_id: int) -> int:
    async def work(session: AsyncSession) -> Officer:
        await _agency(session, code)
        try:
            return await roles.revoke_officer(session, code, telegram_id, _now())
        except roles.RoleError as exc:
            raise OperatorError(str(exc)) from None

    officer = await _in_transaction(settings, work)
    print(f"revoked {telegram_id} as officer of {code}")
    if officer.is_head:
        print(f"{code} now has no head; invite one with `aduan opd invite {code} --head`")
    return 0


# --- admin --------------------------------------------------------------------------------------


async def _admin_add(settings: Settings, telegram_id: int) -> int:
    added = await _in_transaction(settings, lambda s: roles.add_admin(s, telegram_id, "cli", _now()))
    print(f"{telegram_id} is now an admin" if added else f"{telegram_id} is already an admin")
    if telegram_id in settings.admin_telegram_ids:
        print("(it is also listed in ADMIN_TELEGRAM_IDS)")
    return 0


async def _admin_remove(settings: Settings, telegram_id: int) -> int:
    removed = await _in_transaction(settings, lambda s: roles.remove_admin(s, telegram_id))
    in_env = telegram_id in settings.admin_telegram_ids
    if removed:
        print(f"{telegram_id} removed from the database admins")
        if in_env:
            print(f"{telegram_id} is still an admin through the ADMIN_TELEGRAM_IDS setting; remove it there too")
        return 0
    if in_env:
        raise OperatorError(
            f"{telegram_id} is an admin through the ADMIN_TELEGRAM_IDS setting, not the database; "
            "remove it from that setting (environment or .env) and restart the bot"
        )
    raise OperatorError(f"{telegram_id} is not an admin")


async def _admin_list(settings: Settings) -> int:
    admins = await _in_transaction(settings, roles.db_admins)
    env_ids = set(settings.admin_telegram_ids)
    rows = [
        [str(a.telegram_id), "database" + (" + ADMIN_TELEGRAM_IDS" if a.telegram_id in env_ids else ""), _wita(a.added_at), a.added_by]
        for a in admins
    ]
    db_ids = {a.telegram_id for a in admins}
    rows += [[str(i), "ADMIN_TELEGRAM_IDS", "", "setting"] for i in sorted(env_ids - db_ids)]
    rows.sort(key=lambda r: int(r[0]))
    if not rows:
        print("no admins (add one with `aduan admin add ID` or the ADMIN_TELEGRAM_IDS setting)")
        return 0
    print(_table(["TELEGRAM ID", "SOURCE", "ADDED", "BY"], rows))
    return 0


async def _case_show(settings: Settings, ticket: str) -> int:
    from storage import cases
    from storage.repo import Repository

    def when(moment: datetime | None) -> str:
        return moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M WITA") if moment else "—"

    async def work(session: AsyncSession) -> int:
        complaint = await Repository(session).complaint_by_ticket(ticket)
        if complaint is None:
            raise OperatorError(f"no case {ticket}")
        print(f"{complaint.ticket}  {complaint.title}")
        print(f"status: {complaint.status}   agency: {complaint.agency_code or '—'}   privacy: {complaint.privacy}")
        print(f"filed: {when(complaint.created_at)}   verification due: {complaint.verification_due}"
              f"   response due: {complaint.response_due or '—'}")
        print(f"category: {complaint.category or '—'}   maladministration: {complaint.maladministration or '—'}"
              f"   reopened: {complaint.reopen_count}   rating: {complaint.rating or '—'}")
        files = Counter(a.audit_id for a in complaint.attachments)
        print(f"history (files with the report: {files.get(None, 0)}):")
        for entry in await cases.history(session, complaint):
            move = f"{entry.from_status or '—'} -> {entry.to_status or '—'}"
            reason = f"   ({entry.reason})" if entry.reason else ""
            attached = f"   [{files[entry.id]} file(s)]" if files.get(entry.id) else ""
            print(f"  {when(entry.at)}  {entry.actor:<28} {entry.action:<20} {move}{reason}{attached}")
        return 0

    return await _in_transaction(settings, work)


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

    return await _in_transaction(settings, work)


async def _calendar_remove(settings: Settings, day: date) -> int:
    from storage import days_off

    async def work(session: AsyncSession) -> int:
        if not await days_off.remove(session, day):
            raise OperatorError(f"{day} is not a declared day off")
        print(f"{day} is a working day again (unless it is a weekend or a national holiday)")
        return 0

    return await _in_transaction(settings, work)


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

    return await _in_transaction(settings, work)


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


async def _keys_init(settings: Settings, out: Path, shares: int, threshold: int) -> int:
    from storage import anon
    from storage import vault as vaults

    if settings.vault_key_file.exists():
        raise OperatorError(f"{settings.vault_key_file} exists; to change keys use `aduan keys rotate`")
    vault, private = vaults.create(shares, threshold)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for n, text in enumerate(private, start=1):
        path = out / (f"disclosure-share-{n}.txt" if shares > 1 else "disclosure-private-key.txt")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
        written.append(path)
    vaults.save(vault, settings.vault_key_file)

    async def work(session: AsyncSession) -> int:
        await anon.audit(session, "keys_init", None, "cli", f"vault key k1; disclosure key in {shares} part(s), {max(threshold, 1)} needed", datetime.now(UTC))
        return 0

    await _in_transaction(settings, work)
    print(f"vault key file: {settings.vault_key_file} (keep it on the server, out of database backups)")
    for path in written:
        print(f"disclosure {'share' if shares > 1 else 'private key'}: {path}")
    print("Move the disclosure key (or give each share to its custodian) OFF this server now, then delete it here.")
    print("Without it no identity can ever be disclosed; with it (or enough shares) `aduan vault disclose` can.")
    return 0


async def _keys_rotate(settings: Settings) -> int:
    from sqlalchemy import select

    from storage import anon
    from storage import vault as vaults
    from storage.models import AnonDraft, AnonFile

    try:
        vault = vaults.load(settings.vault_key_file)
    except vaults.VaultError as exc:
        raise OperatorError(str(exc)) from None
    old = sorted(vault.keys)
    new = vaults.rotate(vault)
    vaults.save(vault, settings.vault_key_file)  # old and new keys: a crash below loses nothing

    async def work(session: AsyncSession) -> int:
        count = 0
        for report in await anon.all_reports(session):
            context = f"report:{report.complaint_id}"
            report.content = vault.seal(vault.open(report.content, context), context)
            if report.push is not None:
                report.push = vault.seal(vault.open(report.push, f"push:{report.complaint_id}"), f"push:{report.complaint_id}")
            count += 1
        for draft in (await session.scalars(select(AnonDraft))).all():
            draft.state = vault.seal(vault.open(draft.state, f"draft:{draft.key}"), f"draft:{draft.key}")
        for evidence in (await session.scalars(select(AnonFile))).all():
            evidence.ref = vault.seal(vault.open(evidence.ref, f"ref:{evidence.name}"), f"ref:{evidence.name}")
        await anon.audit(session, "keys_rotate", None, "cli", f"{', '.join(old)} -> {new}; {count} report(s)", datetime.now(UTC))
        return count

    count = await _in_transaction(settings, work)
    for path in sorted((settings.files_dir / "anon").glob("*.bin")) if (settings.files_dir / "anon").exists() else []:
        context = f"file:{path.stem}"
        path.write_bytes(vault.seal(vault.open(path.read_bytes(), context), context))
    vaults.retire(vault, new)
    vaults.save(vault, settings.vault_key_file)
    print(f"vault key {new} is now the only key; {count} report(s) re-encrypted")
    return 0


async def _vault_disclose(settings: Settings, ticket: str, key_files: list[Path], operator: str, reason: str) -> int:
    from storage import anon
    from storage import vault as vaults
    from storage.repo import Repository

    if not operator or not reason:
        raise OperatorError("--operator and --reason must not be empty")
    try:
        vault = vaults.load(settings.vault_key_file)
        private = vaults.private_from([p.read_text(encoding="ascii") for p in key_files], vault)
    except (OSError, vaults.VaultError) as exc:
        raise OperatorError(str(exc)) from None

    async def work(session: AsyncSession) -> int:
        complaint = await Repository(session).complaint_by_ticket(ticket)
        report = await anon.report(session, complaint.id) if complaint is not None else None
        if complaint is None or report is None:
            raise OperatorError(f"{ticket} is not a whistleblower's report")
        try:
            identity = vaults.open_identity(report.identity, private)
        except vaults.VaultError as exc:
            raise OperatorError(str(exc)) from None
        now = datetime.now(UTC)
        await anon.audit(session, "disclose", ticket, operator, reason, now)
        for name, value in identity.items():
            print(f"{name}: {value}")
        if report.push is not None:
            from bot.outbox import rows_for
            from handlers.actions import Send
            from handlers.i18n import texts

            target = vault.open_json(report.push, f"push:{complaint.id}")
            assert isinstance(target, dict)
            t = texts(str(target.get("language") or settings.default_language))
            text = t.gettext("⚖️ Your identity as the reporter of {ticket} was disclosed on {date}, by {operator}, on this basis: {reason}.")
            html = text.format(ticket=ticket, date=now.astimezone(settings.tz).strftime("%Y-%m-%d"), operator=_esc(operator), reason=_esc(reason))
            for row in rows_for([Send(int(target["chat_id"]), html)]):
                row.sensitive = True
                session.add(row)
            print("the whistleblower is told in their chat (they asked for updates there)")
        else:
            print("the whistleblower cannot be told: they did not ask for updates in a chat")
        return 0

    return await _in_transaction(settings, work)


def _esc(value: str) -> str:
    from handlers.text import esc

    return esc(value)


async def _vault_audit(settings: Settings) -> int:
    from sqlalchemy import select

    from storage import anon
    from storage.models import VaultAudit

    async def work(session: AsyncSession) -> int:
        for row in (await session.scalars(select(VaultAudit).order_by(VaultAudit.id))).all():
            print(f"{row.id:>4}  {row.at.astimezone(settings.tz):%Y-%m-%d %H:%M} WITA  {row.action:<12} {row.ticket or '—':<16} {row.operator}: {row.detail}")
        checked, broken = await anon.verify_audit(session)
        if broken is not None:
            print(f"BROKEN: the chain does not hold at entry {broken} (of {checked}): the log was altered")
            return 1
        print(f"OK: {checked} entries, the chain holds")
        return 0

    return await _in_transaction(settings, work)
