"""python-telegram-bot's HTTP on aiohttp instead of httpx.

python-telegram-bot talks HTTP through a `BaseRequest`, an extension point it documents for
exactly this; its stock one is on httpx. Measured in the benchmark's process (bench/README.md),
an httpx call cost the bot about 1.5 ms of CPU and an aiohttp call about 0.2 ms (the server's
share included), and the bot makes two or three calls per update — a sixth of its CPU. aiohttp
is a dependency already (the webhook server). ptbcontrib's AiohttpRequest does the same but is
not published on PyPI; this one follows PTB's HTTPXRequest in its timeouts and errors.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_Timeout = float | None


class AiohttpRequest(BaseRequest):
    """`pool_size` connections at most; `read_timeout` for an answer (None: wait for ever, the
    long poll adds its own `timeout` to it), `write_timeout` for an upload's whole request."""

    def __init__(self, pool_size: int, read_timeout: _Timeout, write_timeout: _Timeout = 20.0,
                 connect_timeout: _Timeout = 10.0, pool_timeout: _Timeout = 10.0) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # The session belongs to the running loop: made here, not in __init__.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool_size),
                                                  timeout=aiohttp.ClientTimeout(total=None))  # fmt: skip

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(  # noqa: PLR0913 - the signature is BaseRequest's
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: _Timeout | object = BaseRequest.DEFAULT_NONE,
        write_timeout: _Timeout | object = BaseRequest.DEFAULT_NONE,
        connect_timeout: _Timeout | object = BaseRequest.DEFAULT_NONE,
        pool_timeout: _Timeout | object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        write = self._write_timeout if write_timeout is BaseRequest.DEFAULT_NONE else write_timeout
        connect = self._connect_timeout if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout
        pool = self._pool_timeout if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        files = request_data is not None and request_data.contains_files
        timeout = aiohttp.ClientTimeout(
            # aiohttp has no write timeout: an upload's whole request is bounded instead.
            total=_sum(write, read) if files else None,
            connect=_sum(pool, connect),  # a free connection from the pool, then connected
            sock_connect=connect,  # type: ignore[arg-type]
            sock_read=read,  # type: ignore[arg-type]
        )
        try:
            async with self._session.request(method, url, data=_body(request_data), timeout=timeout,
                                             headers={"User-Agent": self.USER_AGENT}) as response:  # fmt: skip
                return response.status, await response.read()
        except asyncio.TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:  # the class name says what failed; the URL (with the token) is not in it
            raise NetworkError(f"aiohttp.{type(err).__name__}") from err


def _sum(first: object, second: object) -> float | None:
    if first is None or second is None:
        return None
    return float(first) + float(second)  # type: ignore[arg-type]


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as python-telegram-bot encodes them (JSON values as strings); with files, a
    multipart form."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields or None
    form = aiohttp.FormData(fields)
    for name, (filename, content, mime_type) in (request_data.multipart_data or {}).items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
