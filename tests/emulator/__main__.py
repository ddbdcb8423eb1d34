"""`python -m tests.emulator --port 8081`: run the emulator on its own, for manual use.

Point a bot at the printed base URL (python-telegram-bot: `base_url=<url>/bot`,
`base_file_url=<url>/file/bot`). Users given with --user have a private chat with the bot;
type `<user id>: <text>` on stdin to send a message as one of them. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import sys
import threading

from tests.emulator import BotApiEmulator, EmulatedUser, RateLimit
from tests.emulator.users import describe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulator", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--bot-username", default="emulated_test_bot")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="FIRST_NAME",
        help="create a user (repeatable)",
    )
    parser.add_argument("--no-rate-limit", action="store_true", help="do not enforce flood limits")
    args = parser.parse_args(argv)

    emulator = BotApiEmulator(
        args.token,
        bot_username=args.bot_username,
        host=args.host,
        port=args.port,
        rate_limit=None if args.no_rate_limit else RateLimit(),
    )
    emulator.start()
    users: dict[int, EmulatedUser] = {}
    for name in args.user:
        user = emulator.user(first_name=name)
        users[user.id] = user
    print(f"Bot API emulator at {emulator.base_url}  (token {args.token})", flush=True)
    print(
        f"  python-telegram-bot: base_url={emulator.base_url}/bot"
        f"  base_file_url={emulator.base_url}/file/bot"
    )
    for user in users.values():
        print(f"  user {user.id}: {user.first_name}")
    if users:
        print("Type '<user id>: <text>' to send a message; bot replies are printed.", flush=True)
        threading.Thread(target=_print_replies, args=(list(users.values()),), daemon=True).start()
    try:
        for line in sys.stdin if users else ():
            user_id, _, text = line.partition(":")
            sender = users.get(int(user_id)) if user_id.strip().isdigit() else None
            if sender is None or not text.strip():
                print("format: <user id>: <text>", flush=True)
                continue
            sender.send(text.strip())
        threading.Event().wait()  # serve until Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def _print_replies(users: list[EmulatedUser]) -> None:
    while True:
        for user in users:
            try:
                for message in user.wait_for_messages(timeout=0.5):
                    print(f"to {user.id}: {describe(message)}", flush=True)
            except AssertionError:
                continue


if __name__ == "__main__":
    raise SystemExit(main())
