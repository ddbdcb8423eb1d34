"""`aduan keys ...`: the whistleblower vault's keys — create them (with the offline disclosure key,
whole or in k-of-n shares) and rotate the online key."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import common
from bot.cli.common import OperatorError
from bot.settings import Settings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    keys = commands.add_parser("keys", help="the whistleblower vault's keys")
    keys_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = keys_commands.add_parser("init", help="create the vault key file and the offline disclosure key")
    init.add_argument("--out", default="disclosure-key", help="folder for the disclosure private key or shares (move it offline)")
    init.add_argument("--shares", type=int, default=1, help="split the private key among this many custodians")
    init.add_argument("--threshold", type=int, default=1, help="how many shares open it (with --shares)")
    keys_commands.add_parser("rotate", help="a new vault key: re-encrypt everything under it, drop the old")


def command(args: argparse.Namespace) -> common.Command:
    if args.keys_command == "rotate":
        return _keys_rotate
    if args.shares > 1 and not 2 <= args.threshold <= args.shares:
        raise OperatorError("--threshold must be between 2 and --shares")
    return lambda s: _keys_init(s, Path(args.out), args.shares, args.threshold)


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

    await common.in_transaction(settings, work)
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

    count = await common.in_transaction(settings, work)
    for path in sorted((settings.files_dir / "anon").glob("*.bin")) if (settings.files_dir / "anon").exists() else []:
        context = f"file:{path.stem}"
        path.write_bytes(vault.seal(vault.open(path.read_bytes(), context), context))
    vaults.retire(vault, new)
    vaults.save(vault, settings.vault_key_file)
    print(f"vault key {new} is now the only key; {count} report(s) re-encrypted")
    return 0
