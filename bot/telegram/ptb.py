"""python-telegram-bot 22 behind the runtime seam: its `Bot` as an HTTP client and update parser,
under our own durable loop (its Application/polling loop acknowledges updates before we have
stored them). Its exceptions become the seam's (`bot.telegram.errors`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import telegram.error
import telegram.warnings
from telegram import Bot, InputFile, Update

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
from bot.telegram.ptb_http import AiohttpRequest
from bot.telegram.updates import ALLOWED_UPDATES
from handlers.core.events import Event

# We call every method through `do_api_request` with the payload the handlers built (one path for
# all of them, files included); the library then suggests its typed method, once per method, into
# the log. Only that advice, and only about our call below, is silenced.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=telegram.warnings.PTBUserWarning,
                        module=r"bot\.telegram\.ptb")  # fmt: skip


POLL_READ_MARGIN = 10  # seconds a long poll's answer may take beyond the poll's own timeout


@contextmanager
def _translated() -> Iterator[None]:
    """python-telegram-bot's exceptions as the seam's, most specific first."""
    try:
        yield
    except telegram.error.RetryAfter as exc:
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        raise RetryAfter(exc.message, seconds) from exc
    except telegram.error.InvalidToken as exc:
        # Its message quotes the token; ours must not.
        raise InvalidToken("Telegram rejected the bot token (check TELEGRAM_BOT_TOKEN)") from exc
    except telegram.error.Forbidden as exc:
        raise Forbidden(exc.message) from exc
    except telegram.error.Conflict as exc:
        raise Conflict(exc.message) from exc
    except telegram.error.BadRequest as exc:
        raise BadRequest(exc.message) from exc
    except telegram.error.TimedOut as exc:
        raise TimedOut(exc.message) from exc
    except telegram.error.NetworkError as exc:
        # The library wraps a failed connection around its cause (an aiohttp error); an answer
        # with a 5xx status has none (or only a TelegramError about parsing it).
        if exc.__cause__ is None or isinstance(exc.__cause__, telegram.error.TelegramError):
            raise ServerError(exc.message) from exc
        raise NetworkError(exc.message) from exc
    except telegram.error.TelegramError as exc:
        raise TelegramError(exc.message) from exc


def _as_input_files(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: InputFile(v.content, filename=v.filename) if isinstance(v, Upload) else v for k, v in payload.items()}


class PtbClient:
    """`bot.telegram.TelegramApi` on python-telegram-bot."""

    def __init__(self, token: str, base_url: str, poll_timeout: int = 25) -> None:
        # Separate connection pools: a long poll must never wait behind a burst of sends.
        # On aiohttp rather than the stock httpx: a sixth of the bot's CPU (see bot.telegram.ptb_http).
        request = AiohttpRequest(pool_size=32, read_timeout=15, write_timeout=15, connect_timeout=10, pool_timeout=10)
        polling = AiohttpRequest(pool_size=2, read_timeout=POLL_READ_MARGIN, connect_timeout=10)
        self.bot = Bot(token, base_url=f"{base_url}/bot", base_file_url=f"{base_url}/file/bot",
                       request=request, get_updates_request=polling)
        self.poll_timeout = poll_timeout

    async def start(self) -> dict[str, Any]:
        with _translated():
            await self.bot.initialize()
        return self.bot.bot.to_dict()

    async def stop(self) -> None:
        with _translated():
            await self.bot.shutdown()

    @property
    def username(self) -> str:
        return self.bot.username

    async def get_updates(self, offset: int | None, timeout: int | None = None) -> list[dict[str, Any]]:
        # Telegram's JSON as it came (as a webhook's is stored): `get_updates` would build objects
        # only for us to turn them back into dicts, and each is parsed once more when processed.
        wait = self.poll_timeout if timeout is None else timeout
        with _translated():
            updates = await self.bot.do_api_request("getUpdates", api_kwargs={
                "offset": offset, "limit": 100, "timeout": wait, "allowed_updates": list(ALLOWED_UPDATES),
            }, read_timeout=wait + POLL_READ_MARGIN)  # fmt: skip
        return list(updates)

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        with _translated():
            return await self.bot.do_api_request(method, api_kwargs=_as_input_files(payload))

    async def download(self, file_id: str) -> DownloadedFile:
        with _translated():
            telegram_file = await self.bot.get_file(file_id)
            content = bytes(await telegram_file.download_as_bytearray())
        # ptb hands back the whole download URL, token included; the seam promises Telegram's path.
        path = (telegram_file.file_path or "").rpartition(f"/file/bot{self.bot.token}/")[2]
        return DownloadedFile(path, content)

    def event_of(self, raw: dict[str, Any]) -> Event | None:
        return to_event(Update.de_json(raw, self.bot))

