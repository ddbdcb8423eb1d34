"""`aduan`: run the bot, the offline demo, and operator commands."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aduan", description="Kanal Aduan — public-service complaints over Telegram.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the bot with long polling (no TELEGRAM_BOT_TOKEN: the offline demo)")
    demo = commands.add_parser("demo", help="offline demo: a local Bot API emulator, the bot and a terminal chat")
    demo.add_argument("--database", help="database URL for the demo (default: an SQLite file under ./data/)")
    database = commands.add_parser("db", help="database maintenance")
    db_commands = database.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="apply Alembic migrations up to the newest schema")
    from bot.operator_cli import add_parsers

    add_parsers(commands)
    return parser


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"aduan: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    settings = _settings()
    if command == "db":
        from storage.db import upgrade

        upgrade(settings.database_url)
        print("database is at the newest schema")
        return 0
    if command not in ("run", "demo"):  # every operator command (opd, admin, case, ...)
        from bot.operator_cli import run

        return run(args, settings)
    if command == "demo" or settings.token is None:
        if command == "run":
            print("No TELEGRAM_BOT_TOKEN configured: starting the offline demo instead.\n", file=sys.stderr)
        from bot.demo import run_demo

        return run_demo(settings, getattr(args, "database", None))
    from bot import logs
    from bot.app import serve

    logs.configure(settings.log_level, [settings.token])
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
