"""The bot's HTTP server (aiohttp): the webhook Telegram posts updates to, and the probes.

* POST <path of WEBHOOK_URL>: the secret header first (401, nothing read or stored), then the
  body (at most 1 MB: 413; a JSON object with an integer update_id: else 400), then the inbox
  insert-if-absent; 200 only once it has committed, so an update we answered for is never lost,
  and a redelivery of it is a no-op. A database error answers 500: Telegram delivers it again.
* GET /healthz: the process is up. GET /readyz: the database answers, the webhook is registered
  (webhook mode) and the queues are below their thresholds (200), else 503 with the reasons.
  GET /metrics: Prometheus text (bot.metrics).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import health, metrics
from bot.intake import store_updates
from bot.telegram import chat_of
from storage.db import Database

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kB; its files stay on Telegram's side
PROBE_TIMEOUT = 3.0  # seconds /readyz waits for the database before calling it unreachable
_MAX_UPDATE_ID = 2**63 - 1  # the inbox's BigInteger key


def secret_matches(expected: str, given: str | None) -> bool:
    """The header against our secret in constant time (no timing hint of how much matched)."""
    if given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "backslashreplace"))


def parse_update(body: bytes) -> dict[str, Any] | None:
    """The update in a webhook body, or None unless it is a JSON object with an integer update_id."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict):
        return None
    update_id = value.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id <= _MAX_UPDATE_ID:
        return None
    try:
        chat_of(value)  # what the inbox reads of it before storing; a 500 here would be redelivered forever
    except (TypeError, ValueError, AttributeError):
        return None
    return value


@dataclass(frozen=True)
class Webhook:
    path: str
    secret: str


class WebServer:
    def __init__(self, db: Database, clock: Callable[[], datetime], thresholds: health.Thresholds,
                 on_stored: Callable[[], None], webhook: Webhook | None = None) -> None:
        self.db = db
        self.clock = clock
        self.thresholds = thresholds
        self.on_stored = on_stored
        self.webhook = webhook
        self.registered = False  # set once setWebhook has succeeded
        self._runner: web.AppRunner | None = None

    def mark_registered(self) -> None:
        self.registered = True
        metrics.WEBHOOK_REGISTERED.set(1)

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)
        if self.webhook is not None:
            app.router.add_route("*", self.webhook.path, self.receive)
        return app

    async def start(self, host: str, ports: list[int]) -> None:
        """Listen on each port (OSError if one is taken). No access log: it would only repeat
        Telegram's address for every update."""
        runner = web.AppRunner(self.application(), access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            for port in dict.fromkeys(ports):
                await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        """Stop accepting requests; those under way get a few seconds to finish."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # --- the webhook --------------------------------------------------------------------------

    async def receive(self, request: web.Request) -> web.StreamResponse:
        assert self.webhook is not None
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        if not secret_matches(self.webhook.secret, request.headers.get(SECRET_HEADER)):
            return web.Response(status=401)
        if request.content_length is not None and request.content_length > MAX_UPDATE_BYTES:
            return web.Response(status=413)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:  # no Content-Length (chunked), and too long
            return web.Response(status=413)
        update = parse_update(body)
        if update is None:
            return web.Response(status=400)
        try:
            new = await store_updates(self.db, [update])
        except Exception as exc:
            # Only the kind of error: a database error's text quotes the statement's parameters,
            # which hold the update (a person's message).
            log.error("storing a webhook update failed (%s); Telegram will deliver it again", type(exc).__name__)
            return web.Response(status=500)
        log.debug("webhook update stored (%s)", "new" if new else "seen before")
        self.on_stored()
        return web.Response(status=200)

    # --- probes -------------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    async def readyz(self, request: web.Request) -> web.StreamResponse:
        try:
            backlog = await asyncio.wait_for(health.measure(self.db, self.clock()), PROBE_TIMEOUT)
        except Exception as exc:
            return web.json_response({"status": "unready", "reasons": [f"database unreachable ({type(exc).__name__})"]},
                                     status=503)  # fmt: skip
        reasons = health.reasons(backlog, self.thresholds)
        if self.webhook is not None and not self.registered:
            reasons.insert(0, "webhook not registered with Telegram yet")
        body: dict[str, object] = {"status": "unready" if reasons else "ready", "inbox_pending": backlog.inbox_pending,
                "outbox_backlog": backlog.outbox_backlog, "outbox_oldest_seconds": round(backlog.outbox_oldest_seconds, 1)}
        if reasons:
            body["reasons"] = reasons
        return web.json_response(body, status=503 if reasons else 200)

    async def metrics(self, request: web.Request) -> web.StreamResponse:
        try:
            backlog = await asyncio.wait_for(health.measure(self.db, self.clock()), PROBE_TIMEOUT)
        except Exception as exc:  # the counters still tell something; the gauges keep their last value
            log.debug("queue gauges not refreshed (%s)", type(exc).__name__)
        else:
            metrics.INBOX_PENDING.set(backlog.inbox_pending)
            metrics.OUTBOX_BACKLOG.set(backlog.outbox_backlog)
            metrics.OUTBOX_OLDEST_SECONDS.set(backlog.outbox_oldest_seconds)
        return web.Response(body=generate_latest(metrics.REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})
