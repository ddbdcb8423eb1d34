"""`BotApiEmulator`: a local Telegram Bot API server for tests, the demo and manual use.

It runs its own asyncio loop in a daemon thread so that plain synchronous pytest functions can
drive it while the bot under test (usually a separate process) talks to it over HTTP:

    emu = BotApiEmulator(token="123456:TEST-token").start()
    alice = emu.user(first_name="Siti", language_code="id")
    alice.send("/start")
    reply = alice.wait_for_messages()[0]
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any, Self

from aiohttp import web

from tests.emulator.faults import FaultPlan
from tests.emulator.methods import Behaviour
from tests.emulator.models import ApiCall, User
from tests.emulator.ratelimit import RateLimit, RateLimiter
from tests.emulator.server import ApiServer
from tests.emulator.spec import ApiSpec, load_spec
from tests.emulator.state import EmulatorState, commands_key
from tests.emulator.users import EmulatedGroup, EmulatedUser
from tests.emulator.webhook import DEFAULT_RETRY_DELAYS, Delivery, WebhookDelivery

_DEFAULT_RATE_LIMIT = RateLimit()


class BotApiEmulator:
    """The emulated Telegram, for one bot (one token).

    rate_limit: flood limits to enforce, or None for none.
    privacy_mode: in groups the bot sees only commands, mentions and replies (Telegram's default).
    strict_html: refuse a bare "&" in HTML (TDLib keeps it literally; the docs say to escape it).
    callback_answer_timeout: seconds after which answerCallbackQuery is refused (None: never).
    webhook_target, webhook_retry_delays, webhook_timeout: how updates reach a webhook once the
    bot sets one (see tests/emulator/webhook.py); `webhook_delivery` changes them later.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_username: str = "emulated_test_bot",
        bot_first_name: str = "Test Bot",
        rate_limit: RateLimit | None = _DEFAULT_RATE_LIMIT,
        host: str = "127.0.0.1",
        port: int = 0,
        privacy_mode: bool = True,
        strict_html: bool = True,
        callback_answer_timeout: float | None = None,
        first_update_id: int = 10_000_001,
        spec: ApiSpec | None = None,
        webhook_target: str | Callable[[str], str] | None = None,
        webhook_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        webhook_timeout: float = 10.0,
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("a bot token looks like '<bot id>:<secret>'")
        self.token = token
        self.host, self.port = host, port
        self.spec = spec or load_spec()
        bot = User(int(bot_id), bot_first_name, username=bot_username, is_bot=True)
        self.state = EmulatorState(bot, privacy_mode=privacy_mode, first_update_id=first_update_id)
        self.faults = FaultPlan()
        self.rate_limiter = RateLimiter(rate_limit) if rate_limit is not None else None
        self.behaviour = Behaviour(
            strict_html=strict_html, callback_answer_timeout=callback_answer_timeout
        )
        self.webhook_delivery = WebhookDelivery(webhook_target, webhook_retry_delays, webhook_timeout)
        self.server = ApiServer(
            self.state,
            token=token,
            spec=self.spec,
            faults=self.faults,
            limiter=self.rate_limiter,
            behaviour=self.behaviour,
            webhook=self.webhook_delivery,
        )
        self.base_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on host:port (port 0: a free one); `base_url` then says where."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self.base_url = f"http://{self.host}:{self.port}"
        ready = threading.Event()
        failure: list[Exception] = []

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                self._runner = web.AppRunner(
                    self.server.application(), access_log=None, shutdown_timeout=1.0
                )
                loop.run_until_complete(self._runner.setup())
                loop.run_until_complete(web.SockSite(self._runner, sock).start())
            except Exception as error:  # noqa: BLE001 - reported to start()'s caller
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, name="bot-api-emulator", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            self._thread = None
            raise RuntimeError("the Bot API emulator could not start") from failure[0]
        return self

    def stop(self) -> None:
        """Answer pending long polls, close the server and end its thread."""
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None or runner is None:
            return

        async def shutdown() -> None:
            self.server.close()  # on the loop: it wakes the pending long polls
            await runner.cleanup()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(15)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(15)
            self._loop = self._thread = self._runner = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- people and chats ---------------------------------------------------------------------

    @property
    def bot_id(self) -> int:
        return self.state.bot.id

    @property
    def bot_username(self) -> str:
        return self.state.bot.username or ""

    def user(
        self,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        user_id: int | None = None,
        started: bool = True,
    ) -> EmulatedUser:
        """A new user with a private chat with the bot. `started=False`: one who never pressed
        Start, so the bot may not write to them until they send something."""
        return EmulatedUser(
            self,
            self.state.add_user(first_name, last_name, username, language_code, user_id, started),
        )

    def group(
        self,
        title: str = "Group",
        members: Iterable[EmulatedUser] = (),
        *,
        group_id: int | None = None,
    ) -> EmulatedGroup:
        """A group with the bot and `members` in it (a negative id; the bot is told with a
        my_chat_member update)."""
        return EmulatedGroup(self, self.state.add_group(title, [m.user for m in members], group_id))

    # --- updates ------------------------------------------------------------------------------

    def inject_raw_update(self, update: dict[str, Any]) -> int:
        """Queue any update as is (keeping an `update_id` it has); returns its update_id."""
        return self.state.inject(update)

    def redeliver(self, update_id: int) -> None:
        """Queue an update the bot already received again, as Telegram does when it did not get
        the confirmation."""
        self.state.redeliver(update_id)

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot (a getUpdates offset past them)."""
        with self.state.lock:
            return len(self.state.updates)

    def wait_until_confirmed(self, timeout: float = 10.0) -> None:
        """Block until the bot has confirmed every queued update."""
        if self.state.wait_until(lambda: not self.state.updates, timeout) is None:
            raise AssertionError(
                f"timed out after {timeout} s: {self.pending_updates()} update(s) still unconfirmed"
            )

    # --- calls --------------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every Bot API request so far, in the order they were answered."""
        with self.state.lock:
            return list(self.state.calls)

    def calls_of(self, method: str) -> list[ApiCall]:
        name = method.lower()
        return [call for call in self.calls if call.method.lower() == name]

    def wait_for_call(
        self, method: str, timeout: float = 10.0, predicate: Callable[[ApiCall], bool] | None = None
    ) -> ApiCall:
        """The first call of `method` (matching `predicate`), waiting for it if need be."""

        def found() -> ApiCall | None:
            return next(
                (c for c in self.calls_of(method) if predicate is None or predicate(c)), None
            )

        call = self.state.wait_until(found, timeout)
        if call is None:
            raise AssertionError(f"timed out after {timeout} s: no matching {method} call")
        return call

    # --- faults -------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 500,
        count: int = 1,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next `count` calls of `method` ("*": any but getUpdates), optionally only those
        for `chat_id`, fail with `status` without taking effect. 429 carries `retry_after`."""
        self.faults.fail_next(method, status, count, retry_after, chat_id, description)

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Hold the next `count` calls of `method` for `seconds` before carrying them out."""
        self.faults.delay_next(method, seconds, count)

    # --- inspection ---------------------------------------------------------------------------

    def file_bytes(self, file_id: str) -> bytes:
        with self.state.lock:
            stored = self.state.files.get(file_id)
            if stored is None:
                raise KeyError(f"no file {file_id!r}")
            return stored.data

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """How the bot answered a callback query, or None while unanswered."""
        with self.state.lock:
            query = self.state.callbacks.get(query_id)
            return dict(query.answer) if query is not None and query.answer is not None else None

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The bot's command list for a scope and language, as set with setMyCommands."""
        with self.state.lock:
            return list(self.state.commands.get(commands_key(scope, language_code), []))

    @property
    def webhook_url(self) -> str | None:
        with self.state.lock:
            return self.state.webhook["url"] if self.state.webhook else None

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every POST of an update to the webhook so far, in order."""
        with self.state.lock:
            return list(self.webhook_delivery.deliveries)

    def webhook_info(self) -> dict[str, Any]:
        """What getWebhookInfo answers now."""
        from tests.emulator.methods.account import webhook_info

        with self.state.lock:
            return webhook_info(self.state)
