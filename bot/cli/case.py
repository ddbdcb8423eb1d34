"""`aduan case show TICKET`: a case and its audit trail."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import common
from bot.cli.common import OperatorError
from bot.settings import Settings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    case = commands.add_parser("case", help="complaints (cases)")
    case_commands = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)
    show = case_commands.add_parser("show", help="a case and its history: who did what, when, from, to and why")
    show.add_argument("ticket", help="ticket number, e.g. KKR-2026-000123")


def command(args: argparse.Namespace) -> common.Command:
    from cases.tickets import parse_ticket

    ticket = parse_ticket(args.ticket)
    if ticket is None:
        raise OperatorError(f"{args.ticket!r} is not a ticket number (e.g. KKR-2026-000123)")
    return lambda s: _case_show(s, ticket)


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

    return await common.in_transaction(settings, work)
