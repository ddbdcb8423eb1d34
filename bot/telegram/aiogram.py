"""aiogram 3 behind the runtime seam: its `Bot` and aiohttp session as an HTTP client, its types as
the update parser, under our own durable loop. No Dispatcher and no FSM storage: the Dispatcher's
polling acknowledges updates before we have stored them, and the database is the state.

Results come back as Telegram sent them (dicts, lists, booleans), as they do from the ptb adapter:
the inbox stores raw updates that either runtime must be able to parse later, and the outbox reads
`message_id` off a sent message. aiogram's exceptions become the seam's (`bot.telegram.errors`),
the same class for the same answer as python-telegram-bot gives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import aiohttp
from aiogram import Bot, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.types import BufferedInputFile, Update
from aiogram.utils.token import TokenValidationError
from pydantic import ValidationError

from bot.telegram.api import DownloadedFile, Upload
from bot.telegram.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    ServerError,
    TelegramError,
    TimedOut,
)
from bot.telegram.neutral import to_event
from bot.telegram.updates import ALLOWED_UPDATES
from handlers.core.events import Event

if TYPE_CHECKING:
    from aiogram.methods.base import TelegramType

SEND_TIMEOUT = 15  # seconds for a whole call; a long poll gets its own timeout plus 10
# A download has no overall limit (a 20 MB video on a slow link), only between reads, like ptb's.
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=10, sock_read=15)
_TOKEN_REJECTED = "Telegram rejected the bot token (check TELEGRAM_BOT_TOKEN)"


class _RawSession(AiohttpSession):
    """aiogram's aiohttp session, handing back a successful call's `result` untouched instead of
    aiogram's models of it; refusals still go through aiogram's own error mapping."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        if HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            try:
                data = self.json_loads(content)
            except ValueError:
                data = None
            if isinstance(data, dict) and data.get("ok") is True:
                return Response[Any](ok=True, result=data.get("result"))
        return super().check_response(bot, method, status_code, content)


@cache
def _method_classes() -> dict[str, type[TelegramMethod[Any]]]:
    """aiogram's method classes by Bot API name (lower-case: Telegram's names are case-blind)."""
    found: dict[str, type[TelegramMethod[Any]]] = {}
    for name in methods.__all__:
        cls = getattr(methods, name)
        api_name = getattr(cls, "__dict__", {}).get("__api_method__")
        if isinstance(cls, type) and issubclass(cls, TelegramMethod) and isinstance(api_name, str):
            found[api_name.lower()] = cls
    return found


@cache
def _untyped_method(name: str) -> type[TelegramMethod[Any]]:
    """A method this aiogram does not model (newer than the library, or a payload its models
    refuse): sent with the payload as it is, and Telegram is the judge, as under ptb."""
    namespace = {"__module__": __name__, "__returning__": Any, "__api_method__": name}
    return type(f"Untyped_{name}", (TelegramMethod[Any],), namespace)


def _method(name: str, payload: dict[str, Any]) -> TelegramMethod[Any]:
    fields = {k: BufferedInputFile(v.content, filename=v.filename) if isinstance(v, Upload) else v
              for k, v in payload.items()}  # fmt: skip
    cls = _method_classes().get(name.lower())
    if cls is not None:
        try:
            return cls.model_validate(fields)
        except ValidationError:
            pass  # aiogram's models may be stricter than Telegram; let Telegram answer
    return _untyped_method(name).model_validate(fields)


def _api_message(description: str) -> str:
    """A refusal's description as python-telegram-bot words it ("Bad Request: message is not
    modified" becomes "Message is not modified"), so the outbox's error texts and the checks on
    them are the same under either runtime."""
    message = description.removeprefix("Error: ").removeprefix("[Error]: ").removeprefix("Bad Request: ")
    return message.capitalize() if message != description else message


def _status_error(status: int, message: str) -> TelegramError:
    """A refusal known only by its HTTP status (a file download), mapped as ptb maps statuses."""
    if status == HTTPStatus.FORBIDDEN:
        return Forbidden(message)
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND):
        return InvalidToken(_TOKEN_REJECTED)
    if status == HTTPStatus.BAD_REQUEST:
        return BadRequest(message)
    if status == HTTPStatus.CONFLICT:
        return Conflict(message)
    return ServerError(message) if status >= 500 else NetworkError(message)


class AiogramClient:
    """`bot.telegram.TelegramApi` on aiogram 3."""

    def __init__(self, token: str, base_url: str, poll_timeout: int = 25) -> None:
        self._token = token
        self.poll_timeout = poll_timeout
        self._started = False
        self._username = ""
        api = TelegramAPIServer.from_base(base_url)
        # Separate connection pools: a long poll must never wait behind a burst of sends.
        self._sending = _RawSession(api=api, limit=32, timeout=SEND_TIMEOUT)
        self._polling = _RawSession(api=api, limit=2, timeout=poll_timeout + 10)
        with self._translated():
            self.bot = Bot(token, session=self._sending)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """aiogram's (and aiohttp's) exceptions as the seam's, most specific first. Messages are
        scrubbed of the token: aiohttp's errors may quote the request URL, which carries it."""
        try:
            yield
        except TelegramRetryAfter as exc:
            raise RetryAfter(f"Flood control exceeded. Retry in {exc.retry_after} seconds", float(exc.retry_after)) from None
        except (TelegramUnauthorizedError, TokenValidationError):
            raise InvalidToken(_TOKEN_REJECTED) from None  # aiogram's messages may quote the token
        except TelegramNotFound as exc:
            # 404: a malformed token at start-up; once getMe has answered, an unknown method
            # (ptb's EndPointNotFound, a plain TelegramError).
            if not self._started:
                raise InvalidToken(_TOKEN_REJECTED) from None
            raise TelegramError(self._clean(_api_message(exc.message))) from exc
        except TelegramForbiddenError as exc:
            raise Forbidden(self._clean(_api_message(exc.message))) from exc
        except TelegramConflictError as exc:
            raise Conflict(self._clean(_api_message(exc.message))) from exc
        except TelegramBadRequest as exc:
            raise BadRequest(self._clean(_api_message(exc.message))) from exc
        except TelegramMigrateToChat as exc:  # ptb's ChatMigrated: a plain TelegramError
            raise TelegramError(self._clean(exc.message)) from exc
        except TelegramEntityTooLarge as exc:  # 413 (before the generic network error below)
            raise NetworkError(self._clean(_api_message(exc.message))) from exc
        except TelegramNetworkError as exc:  # raised by the session for time-outs and aiohttp errors
            if isinstance(exc.__cause__, asyncio.TimeoutError):
                raise TimedOut("Timed out") from exc
            raise NetworkError(self._clean(exc.message)) from exc
        except TelegramServerError as exc:  # 5xx, RestartingTelegram included
            raise ServerError(self._clean(_api_message(exc.message))) from exc
        except TelegramAPIError as exc:  # another status: ptb calls any other refusal a network error
            raise NetworkError(self._clean(_api_message(exc.message))) from exc
        except ClientDecodeError as exc:  # not JSON: a proxy's error page, say
            raise NetworkError(f"Invalid server response: {self._clean(exc.message)}") from None
        except asyncio.TimeoutError as exc:
            raise TimedOut("Timed out") from exc
        except aiohttp.ClientResponseError as exc:
            raise _status_error(exc.status, self._clean(exc.message)) from None
        except aiohttp.ClientError as exc:
            raise NetworkError(self._clean(f"{type(exc).__name__}: {exc}")) from None

    def _clean(self, message: str) -> str:
        return message.replace(self._token, "<token>").replace(self._token.partition(":")[2], "<token>")

    async def start(self) -> dict[str, Any]:
        me = await self.call("getMe", {})
        self._started, self._username = True, str(me.get("username") or "")
        return me

    async def stop(self) -> None:
        with self._translated():
            await self._polling.close()
            await self._sending.close()

    @property
    def username(self) -> str:
        return self._username

    async def get_updates(self, offset: int | None, timeout: int | None = None) -> list[dict[str, Any]]:
        wait = self.poll_timeout if timeout is None else timeout
        method = methods.GetUpdates(offset=offset, limit=100, timeout=wait, allowed_updates=list(ALLOWED_UPDATES))
        with self._translated():
            updates: Any = await self._polling(self.bot, method, timeout=wait + 10)
        return list(updates or [])  # raw dicts (see _RawSession), not aiogram's Update models

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        with self._translated():
            return await self._sending(self.bot, _method(method, payload), timeout=SEND_TIMEOUT)

    async def download(self, file_id: str) -> DownloadedFile:
        found = await self.call("getFile", {"file_id": file_id})
        path = str(found.get("file_path") or "")
        url = self._sending.api.file_url(self._token, path)
        with self._translated():
            session = await self._sending.create_session()
            async with session.get(url, timeout=DOWNLOAD_TIMEOUT, raise_for_status=True) as response:
                content = await response.read()
        return DownloadedFile(path, content)

    def event_of(self, raw: dict[str, Any]) -> Event | None:
        return to_event(Update.model_validate(raw, context={"bot": self.bot}))
