"""`aduan vault ...`: the lawful disclosure of one whistleblower's identity (with the offline key or
k shares), and the hash-chained audit log of disclosures and key operations."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import common
from bot.cli.common import OperatorError
from bot.settings import Settings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    vault_parser = commands.add_parser("vault", help="lawful disclosure of a whistleblower's identity, and its audit log")
    vault_commands = vault_parser.add_subparsers(dest="vault_command", metavar="ACTION", required=True)
    disclose = vault_commands.add_parser("disclose", help="open one identity record (needs the offline key or k shares)")
    disclose.add_argument("ticket")
    disclose.add_argument("--key", action="append", required=True, metavar="FILE", help="the private key file, or a share (repeat)")
    disclose.add_argument("--operator", required=True, help="who discloses (name, position)")
    disclose.add_argument("--reason", required=True, help="the legal basis (e.g. a court order number)")
    vault_commands.add_parser("audit", help="verify the hash chain of disclosures and key operations")


def command(args: argparse.Namespace) -> common.Command:
    if args.vault_command == "audit":
        return _vault_audit
    from cases.tickets import parse_ticket

    found = parse_ticket(args.ticket)
    if found is None:
        raise OperatorError(f"{args.ticket!r} is not a ticket number")
    disclosed: str = found
    return lambda s: _vault_disclose(s, disclosed, [Path(k) for k in args.key], args.operator.strip(), args.reason.strip())


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
        if not report.identity:
            raise OperatorError(f"{ticket}: the identity was erased by the retention rule (RETENTION_MONTHS after closing)")
        try:
            identity = vaults.open_identity(report.identity, private)
        except vaults.VaultError as exc:
            raise OperatorError(str(exc)) from None
        now = datetime.now(UTC)
        await anon.audit(session, "disclose", ticket, operator, reason, now)
        for name, value in identity.items():
            print(f"{name}: {value}")
        if report.push is not None:
            from bot.outbox import add_rows, rows_for
            from handlers.core.actions import Send
            from handlers.core.i18n import texts

            target = vault.open_json(report.push, f"push:{complaint.id}")
            assert isinstance(target, dict)
            t = texts(str(target.get("language") or settings.default_language))
            text = t.gettext("⚖️ Your identity as the reporter of {ticket} was disclosed on {date}, by {operator}, on this basis: {reason}.")
            html = text.format(ticket=ticket, date=now.astimezone(settings.tz).strftime("%Y-%m-%d"), operator=_esc(operator), reason=_esc(reason))
            await add_rows(session, rows_for([Send(int(target["chat_id"]), html)], sensitive=True))
            print("the whistleblower is told in their chat (they asked for updates there)")
        else:
            print("the whistleblower cannot be told: they did not ask for updates in a chat")
        return 0

    return await common.in_transaction(settings, work)


def _esc(value: str) -> str:
    from handlers.core.text import esc

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

    return await common.in_transaction(settings, work)
