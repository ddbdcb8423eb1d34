"""A round-robin HTTP proxy, as nginx's `upstream` block in front of several bot processes (see the
README's deployment section): each request goes to the next upstream in turn; an upstream that
refuses the connection is skipped for the next one (nginx's `proxy_next_upstream error`); when
none answers, 502. Runs on its own thread and event loop, beside the emulator."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web


@dataclass
class RoundRobinProxy:
    upstreams: list[str]  # base URLs, e.g. "http://127.0.0.1:8081"
    served: list[tuple[str, int]] = field(default_factory=list)  # (upstream, status) per forwarded request
    _next: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        for _ in range(len(self.upstreams)):
            upstream = self.upstreams[self._next % len(self.upstreams)]
            self._next += 1
            try:
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
                    async with session.request(request.method, upstream + request.path_qs, data=body, headers=headers) as answer:
                        content = await answer.read()
                        self.served.append((upstream, answer.status))
                        return web.Response(status=answer.status, body=content,
                                            content_type=answer.content_type if content else None)  # fmt: skip
            except aiohttp.ClientConnectorError:
                continue  # not listening (stopped or killed): the next one
            except (aiohttp.ClientError, asyncio.TimeoutError):
                self.served.append((upstream, 502))  # died mid-request: as nginx, no retry of a POST
                return web.Response(status=502, text="upstream failed")
        return web.Response(status=502, text="no upstream answered")

    def start(self) -> RoundRobinProxy:
        ready = threading.Event()

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._forward)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="round-robin-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
