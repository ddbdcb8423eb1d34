"""`aduan`: run the bot, the offline demo, and the operator commands — one module per command
group (`aduan opd ...` is `bot/cli/opd.py`), each with its parser (`add_parser`) and the work it
names (`command`). argparse, because the standard library does it in a few lines per group and
nothing else needs installing on the server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli import admin, calendar, case, jobs, keys, opd, report, retention, stats, vault
from bot.cli.common import OperatorError
from bot.settings import Settings, SettingsError, load_settings

# In the order `aduan --help` lists them.
GROUPS = {"opd": opd, "calendar": calendar, "case": case, "admin": admin, "keys": keys, "vault": vault, "jobs": jobs,
          "report": report, "stats": stats, "retention": retention}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aduan", description="Kanal Aduan — public-service complaints over Telegram.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the bot, by long polling or a webhook (no TELEGRAM_BOT_TOKEN: the offline demo)")
    demo = commands.add_parser("demo", help="offline demo: a local Bot API emulator, the bot and a terminal chat")
    demo.add_argument("--database", help="database URL for the demo (default: an SQLite file under ./data/)")
    database = commands.add_parser("db", help="database maintenance")
    db_commands = database.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="apply Alembic migrations up to the newest schema")
    for group in GROUPS.values():
        group.add_parser(commands)
    return parser


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"aduan: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _operate(args: argparse.Namespace, settings: Settings) -> int:
    """An operator command: its arguments checked, the migrations applied, then its work."""
    from storage.db import upgrade

    try:
        work = GROUPS[args.command].command(args)
        upgrade(settings.database_url)
        return asyncio.run(work(settings))
    except OperatorError as exc:
        print(f"aduan: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    settings = _settings()
    if command == "db":
        from storage.db import upgrade

        upgrade(settings.database_url)
        print("database is at the newest schema")
        return 0
    if command in GROUPS:
        return _operate(args, settings)
    if command == "demo" or settings.token is None:
        if command == "run":
            print("No TELEGRAM_BOT_TOKEN configured: starting the offline demo instead.\n", file=sys.stderr)
        from bot.demo import run_demo

        return run_demo(settings, getattr(args, "database", None))
    from bot import logs
    from bot.app import serve
    from bot.telegram import InvalidToken

    logs.configure(settings.log_level, [settings.token])
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass
    except (InvalidToken, SettingsError) as exc:  # not worth retrying: one clear line, a code systemd can act on
        print(f"aduan: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
