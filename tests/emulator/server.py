"""The HTTP side: `POST|GET /bot<token>/<method>` and `GET /file/bot<token>/<path>`, like
api.telegram.org.

A request goes through the same gates as on the real server, in this order: token (401),
method name (404), injected delay and fault, parameters against the spec (400), flood limits
(429), then the method itself. Parameters may come from the query string, a JSON body, a form or
a multipart body with files (python-telegram-bot sends forms, and multipart when it uploads).
Every call is recorded, with its outcome, for tests to inspect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.emulator.errors import (
    ApiError,
    bad_request,
    conflict,
    not_found,
    too_many_requests,
    unauthorized,
)
from tests.emulator.faults import FaultPlan
from tests.emulator.methods import HANDLERS, Behaviour, Call, accept, send_cost
from tests.emulator.models import ApiCall
from tests.emulator.ratelimit import RateLimiter
from tests.emulator.spec import ApiSpec, MethodSpec, Upload
from tests.emulator.state import DEFAULT_ALLOWED_UPDATES, EmulatorState
from tests.emulator.webhook import WebhookDelivery

logger = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 60 * 1024 * 1024  # above Telegram's 50 MB upload limit, so that limit answers


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """All parameters of a request, and the uploaded files by part name."""
    params: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if not request.body_exists:
        return params, uploads
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = json.loads(await request.text() or "{}")
        except ValueError:
            raise bad_request("can't parse JSON encoded request") from None
        if not isinstance(body, dict):
            raise bad_request("JSON object expected as request body")  # the emulator's wording
        params.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                uploads[name] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[name] = value
    return params, uploads


@dataclass
class _Poll:
    """One getUpdates long poll in progress."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    terminated: bool = False


class ApiServer:
    def __init__(
        self,
        state: EmulatorState,
        *,
        token: str,
        spec: ApiSpec,
        faults: FaultPlan,
        limiter: RateLimiter | None,
        behaviour: Behaviour,
        webhook: WebhookDelivery | None = None,
    ) -> None:
        self.state = state
        self.webhook = webhook or WebhookDelivery()
        self._delivery: asyncio.Task[None] | None = None
        self.token = token
        self.spec = spec
        self.faults = faults
        self.limiter = limiter
        self.behaviour = behaviour
        self._poll: _Poll | None = None
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_startup(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self.state.add_listener(self._state_changed)
        self._delivery = asyncio.create_task(self.webhook.run(self.state), name="webhook-delivery")

    async def _on_shutdown(self, app: web.Application) -> None:
        self.close()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
            self._delivery = None

    def close(self) -> None:
        """Release pending long polls (answering them with no updates) so shutdown is quick.
        Runs on the server's loop."""
        self._closing = True
        self.state.remove_listener(self._state_changed)
        if self._poll is not None:
            self._poll.event.set()

    def _state_changed(self) -> None:
        """Called from any thread after a state change: wake the long poll on the loop's thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake_poll)
            except RuntimeError:
                pass  # the loop is shutting down

    def _wake_poll(self) -> None:
        if self._poll is not None:
            self._poll.event.set()
        self.webhook.wake()

    # --- requests -----------------------------------------------------------------------------

    async def handle_method(self, request: web.Request) -> web.Response:
        arrived = time.time()
        name = request.match_info["method"]
        params: dict[str, Any] = {}
        injected = False
        try:
            if request.match_info["token"] != self.token:
                raise unauthorized()
            spec = self.spec.method(name)
            if spec is None:
                raise not_found()
            name = spec.name
            params, uploads = await read_params(request)
            params.update({key: upload for key, upload in uploads.items() if key in spec.fields})
            attachments = {key: upload for key, upload in uploads.items() if key not in spec.fields}
            delay = self.faults.take_delay(name)
            if delay:
                await asyncio.sleep(delay)
            fault = self.faults.take_fault(name, params)
            if fault is not None:
                injected = True
                raise fault
            params = self.spec.parse_params(spec, params)
            result = await self._run(spec, params, attachments)
        except ApiError as error:
            return self._refuse(name, params, error, arrived, injected)
        except Exception as bug:  # an emulator bug: answered Telegram-style, and logged
            logger.exception("Bot API emulator failed on %s", name)
            failure = ApiError(500, f"Internal Server Error: the emulator failed: {bug!r}")
            return self._refuse(name, params, failure, arrived, injected)
        self.state.record(ApiCall(name, params, True, None, None, arrived, result=result))
        return _json({"ok": True, "result": result})

    def _refuse(
        self, name: str, params: dict[str, Any], error: ApiError, arrived: float, injected: bool
    ) -> web.Response:
        self.state.record(
            ApiCall(name, params, False, error.error_code, error.description, arrived, injected)
        )
        return _json(error.to_json(), error.error_code)

    async def _run(
        self, spec: MethodSpec, params: dict[str, Any], attachments: dict[str, Upload]
    ) -> Any:
        if spec.name == "getUpdates":
            return await self._get_updates(params)
        call = Call(self.state, params, attachments, self.behaviour)
        handler = HANDLERS.get(spec.name.lower(), accept)
        with self.state.lock:
            cost = send_cost(spec.name, params)
            chat_id = params.get("chat_id")
            chat = self.state.chats.get(chat_id) if cost and isinstance(chat_id, int) else None
            if chat is not None and self.limiter is not None:
                is_group = chat.type != "private"
                retry_after = self.limiter.retry_after(chat.id, is_group=is_group, cost=cost)
                if retry_after is not None:
                    raise too_many_requests(retry_after)
                result = handler(call)
                self.limiter.book(chat.id, is_group=is_group, cost=cost)
                return result
            return handler(call)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling: answer as soon as there are updates, or with [] after `timeout` seconds.

        A newer getUpdates ends an older one with 409, as Telegram does when two instances poll,
        so a bot restarted after a crash takes over at once.
        """
        if self.state.webhook:
            raise conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
            )
        if self._poll is not None:
            self._poll.terminated = True
            self._poll.event.set()
        poll = self._poll = _Poll()
        if "allowed_updates" in params:
            with self.state.lock:
                self.state.allowed_updates = (
                    frozenset(params["allowed_updates"]) or DEFAULT_ALLOWED_UPDATES
                )
        offset = params.get("offset")
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0, int(params.get("timeout", 0)))
        try:
            while True:
                poll.event.clear()
                if poll.terminated:
                    raise conflict(
                        "terminated by other getUpdates request; make sure that only one bot instance is running"
                    )
                updates = self.state.take_updates(offset, limit)
                remaining = deadline - loop.time()
                if updates or remaining <= 0 or self._closing:
                    return updates
                try:
                    await asyncio.wait_for(poll.event.wait(), remaining)
                except TimeoutError:
                    pass
        finally:
            if self._poll is poll:
                self._poll = None

    async def handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json(unauthorized().to_json(), 401)
        with self.state.lock:
            stored = self.state.files_by_path.get(request.match_info["path"])
        if stored is None:
            return _json(not_found().to_json(), 404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )
