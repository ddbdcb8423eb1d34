"""`aduan opd ...`: the agency (OPD) directory, its officers and invitations."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import common
from bot.cli.common import BOT_USERNAME_ENV, DEFAULT_BOT_USERNAME, OperatorError
from bot.settings import Settings
from handlers.core.text import shorten
from storage import agencies, roles
from storage.models import Agency, Officer

MAX_INVITE_HOURS = 24 * 30


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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


def command(args: argparse.Namespace) -> common.Command:
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
        telegram_id = common.telegram_id(args.telegram_id)
        return lambda s: _opd_revoke(s, args.code.strip().upper(), telegram_id)
    raise OperatorError(f"unknown action {action}")  # pragma: no cover - argparse rejects it


async def _agency(session: AsyncSession, code: str) -> Agency:
    agency = await session.get(Agency, code)
    if agency is None:
        raise OperatorError(f"no agency with code {code} (see `aduan opd list --all`)")
    return agency


async def _opd_import(settings: Settings, path: Path) -> int:
    if not path.is_file():
        raise OperatorError(f"{path}: no such file")
    rows, problems = agencies.validate_csv(path)
    if problems:
        for problem in problems:
            print(f"{path}:{problem.line}: {problem.reason}", file=sys.stderr)
        print(f"aduan: {len(problems)} bad row(s) in {path}; nothing imported", file=sys.stderr)
        return 1
    summary = await common.in_transaction(settings, lambda session: agencies.import_agencies(session, rows))
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
                shorten(a.name),
                a.kind or "—",
                "yes" if a.active else "no",
                str(counts.get(a.code, 0)),
                str(heads[a.code]) if a.code in heads else "—",
            ]
            for a in (await session.scalars(query)).all()
        ]

    rows = await common.in_transaction(settings, work)
    if not rows:
        print("no agencies" + ("" if show_all else " active (try --all, or `aduan opd import FILE.csv`)"))
        return 0
    print(common.table(["CODE", "NAME", "KIND", "ACTIVE", "OFFICERS", "HEAD"], rows))
    print(f"\n{len(rows)} agencies" + ("" if show_all else " (active only; --all for inactive ones)"))
    return 0


async def _opd_invite(settings: Settings, code: str, as_head: bool, hours: int, username: str) -> int:
    async def work(session: AsyncSession) -> tuple[str, datetime, str]:
        agency = await _agency(session, code)
        try:
            invite, payload = await roles.create_invite(session, code, as_head, "cli", common.now(), timedelta(hours=hours))
        except roles.AgencyInactive:
            raise OperatorError(f"agency {code} is inactive; re-activate it with `aduan opd import`") from None
        return payload, invite.expires_at, agency.name

    payload, expires_at, name = await common.in_transaction(settings, work)
    role = "head of" if as_head else "an officer of"
    print(f"One-time invitation to become {role} {code} ({name}):")
    print(f"https://t.me/{username}?start={payload}")
    print(f"valid until {common.wita(expires_at)} ({hours} hours); shown only now, send it privately")
    return 0


async def _opd_officers(settings: Settings, code: str) -> int:
    async def work(session: AsyncSession) -> tuple[Agency, list[Officer]]:
        agency = await _agency(session, code)
        return agency, await roles.officers_of(session, code)

    agency, officers = await common.in_transaction(settings, work)
    status = "" if agency.active else " [inactive]"
    print(f"{agency.code} — {agency.name}{status}")
    if not officers:
        print("no active officers (invite one with `aduan opd invite " + code + "`)")
        return 0
    rows = [
        [str(o.telegram_id), "head" if o.is_head else "", o.joined_at.astimezone(common.WITA).strftime("%Y-%m-%d")]
        for o in officers
    ]
    print(common.table(["TELEGRAM ID", "HEAD", "JOINED (common.WITA)"], rows))
    return 0


async def _opd_revoke(settings: Settings, code: str, telegram_id: int) -> int:
    async def work(session: AsyncSession) -> Officer:
        await _agency(session, code)
        try:
            return await roles.revoke_officer(session, code, telegram_id, common.now())
        except roles.RoleError as exc:
            raise OperatorError(str(exc)) from None

    officer = await common.in_transaction(settings, work)
    print(f"revoked {telegram_id} as officer of {code}")
    if officer.is_head:
        print(f"{code} now has no head; invite one with `aduan opd invite {code} --head`")
    return 0
