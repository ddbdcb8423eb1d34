"""`aduan admin ...`: Diskominfo admins kept in the database (beside ADMIN_TELEGRAM_IDS)."""

from __future__ import annotations

import argparse

from bot.cli import common
from bot.cli.common import OperatorError
from bot.settings import Settings
from storage import roles


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = commands.add_parser("admin", help="Diskominfo admins kept in the database")
    admin_commands = admin.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    add = admin_commands.add_parser("add", help="make a Telegram user an admin")
    add.add_argument("telegram_id", type=int, metavar="ID")
    rem = admin_commands.add_parser("remove", help="remove an admin added with `admin add`")
    rem.add_argument("telegram_id", type=int, metavar="ID")
    admin_commands.add_parser("list", help="list admins (database and ADMIN_TELEGRAM_IDS)")


def command(args: argparse.Namespace) -> common.Command:
    action = args.admin_command
    if action == "list":
        return _admin_list
    telegram_id = common.telegram_id(args.telegram_id)
    return (lambda s: _admin_add(s, telegram_id)) if action == "add" else (lambda s: _admin_remove(s, telegram_id))


async def _admin_add(settings: Settings, telegram_id: int) -> int:
    added = await common.in_transaction(settings, lambda s: roles.add_admin(s, telegram_id, "cli", common.now()))
    print(f"{telegram_id} is now an admin" if added else f"{telegram_id} is already an admin")
    if telegram_id in settings.admin_telegram_ids:
        print("(it is also listed in ADMIN_TELEGRAM_IDS)")
    return 0


async def _admin_remove(settings: Settings, telegram_id: int) -> int:
    removed = await common.in_transaction(settings, lambda s: roles.remove_admin(s, telegram_id))
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
    admins = await common.in_transaction(settings, roles.db_admins)
    env_ids = set(settings.admin_telegram_ids)
    rows = [
        [str(a.telegram_id), "database" + (" + ADMIN_TELEGRAM_IDS" if a.telegram_id in env_ids else ""), common.wita(a.added_at), a.added_by]
        for a in admins
    ]
    db_ids = {a.telegram_id for a in admins}
    rows += [[str(i), "ADMIN_TELEGRAM_IDS", "", "setting"] for i in sorted(env_ids - db_ids)]
    rows.sort(key=lambda r: int(r[0]))
    if not rows:
        print("no admins (add one with `aduan admin add ID` or the ADMIN_TELEGRAM_IDS setting)")
        return 0
    print(common.table(["TELEGRAM ID", "SOURCE", "ADDED", "BY"], rows))
    return 0
