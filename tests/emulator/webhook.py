"""Webhook delivery, as Telegram does it: while a webhook is set, queued updates are POSTed to it.

* In order, one in flight (Telegram may use up to max_connections in parallel and promises no
  order across chats; one at a time is the simplest faithful choice, and keeps a chat's order).
* JSON body; the header `X-Telegram-Bot-Api-Secret-Token` when setWebhook was given a
  secret_token.
* An update leaves the queue only on a 2xx answer. A non-2xx answer, a refused or broken
  connection, or no answer within `timeout` is an error: getWebhookInfo shows it
  (last_error_date, last_error_message, in Telegram's wording) and the same update is tried again
  after the next delay of `retry_delays` (the last one repeats; a success starts over at the first;
  so does a new setWebhook). Telegram's own schedule is unpublished, roughly increasing delays up
  to about a minute, and it gives up after "a reasonable amount of attempts"; the emulator never
  gives up. Default: 1, 2, 4, 8, 16, 32, 60 s; tests choose short ones.
* Telegram requires https on ports 443, 80, 88 or 8443, and a bot listens on plain HTTP behind a
  TLS proxy. `target` plays that proxy: the registered public URL's path (and query) is sent to
  `target` (a base such as "http://127.0.0.1:8080"), or `target(url)` gives the address; None
  posts to the URL itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from tests.emulator.state import EmulatorState

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0)


@dataclass(frozen=True)
class Delivery:
    """One POST of an update to the webhook, as it went."""

    update_id: int
    status: int | None  # the HTTP status answered (None: no answer)
    error: str | None  # as getWebhookInfo's last_error_message; None for a success
    time: float
    dropped: bool = False  # the answer came but was discarded (drop_next_answer)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class WebhookDelivery:
    """Settings tests may change while the emulator runs, and the loop that delivers."""

    target: str | Callable[[str], str] | None = None
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    timeout: float = 10.0
    deliveries: list[Delivery] = field(default_factory=list)
    _drop_answers: int = 0
    _wake: asyncio.Event | None = None

    def address(self, url: str) -> str:
        if self.target is None:
            return url
        if callable(self.target):
            return self.target(url)
        parts = urlsplit(url)
        return self.target.rstrip("/") + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def drop_next_answer(self, count: int = 1) -> None:
        """Discard the bot's answer to the next `count` deliveries, whatever it is, as if it was
        lost on the way (a timeout for Telegram): the update is delivered again."""
        self._drop_answers += count

    def wake(self) -> None:
        """Called on the emulator's loop after any state change."""
        if self._wake is not None:
            self._wake.set()

    async def run(self, state: EmulatorState) -> None:
        self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        hook: dict[str, Any] | None = None
        failures, retry_at = 0, 0.0
        async with aiohttp.ClientSession() as session:
            while True:
                self._wake.clear()
                with state.lock:
                    current = state.webhook
                    update = dict(state.updates[0]) if current and state.updates else None
                if current is not hook:  # a new setWebhook (or deleteWebhook): start afresh
                    hook, failures, retry_at = current, 0, 0.0
                if hook is None or update is None:
                    await self._wake.wait()
                    continue
                if (wait := retry_at - loop.time()) > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wait)
                    continue
                delivery = await self._post(session, hook, update)
                with state.lock:
                    self.deliveries.append(delivery)
                    if delivery.ok:
                        state.updates = [u for u in state.updates if u["update_id"] != delivery.update_id]
                        failures, retry_at = 0, 0.0
                    else:
                        hook["last_error_date"] = int(delivery.time)
                        hook["last_error_message"] = delivery.error
                        retry_at = loop.time() + self.retry_delays[min(failures, len(self.retry_delays) - 1)]
                        failures += 1
                    state.notify()

    async def _post(self, session: aiohttp.ClientSession, hook: dict[str, Any], update: dict[str, Any]) -> Delivery:
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers[SECRET_HEADER] = hook["secret_token"]
        body = json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()
        update_id = int(update["update_id"])
        status: int | None = None
        try:
            async with session.post(self.address(hook["url"]), data=body, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:  # fmt: skip
                await response.read()
                status, reason = response.status, response.reason
        except TimeoutError:
            return Delivery(update_id, None, "Read timeout expired", time.time())
        except aiohttp.ClientConnectorError:
            return Delivery(update_id, None, "Connection refused", time.time())
        except aiohttp.ClientError as error:
            logger.debug("webhook delivery failed: %r", error)
            return Delivery(update_id, None, "Connection reset by peer", time.time())
        if self._drop_answers > 0:
            self._drop_answers -= 1
            return Delivery(update_id, status, "Read timeout expired", time.time(), dropped=True)
        if not 200 <= status < 300:
            return Delivery(update_id, status, f"Wrong response from the webhook: {status} {reason}", time.time())
        return Delivery(update_id, status, None, time.time())
