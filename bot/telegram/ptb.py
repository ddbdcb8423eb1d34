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
from telegram.request import HTTPXRequest

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
from bot.telegram.updates import ALLOWED_UPDATES
from handlers.core.events import Contact, Event, FileRef, Location

# We call every method through `do_api_request` with the payload the handlers built (one path for
# all of them, files included); the library then suggests its typed method, once per method, into
# the log. Only that advice, and only about our call below, is silenced.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=telegram.warnings.PTBUserWarning,
                        module=r"bot\.telegram\.ptb")  # fmt: skip


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
        # The library wraps a failed connection around its cause (an httpx error); an answer
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
        request = HTTPXRequest(connection_pool_size=32, read_timeout=15, write_timeout=15, connect_timeout=10, pool_timeout=10)
        polling = HTTPXRequest(connection_pool_size=2, read_timeout=poll_timeout + 10, connect_timeout=10)
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
        with _translated():
            updates = await self.bot.get_updates(
                offset=offset,
                limit=100,
                timeout=self.poll_timeout if timeout is None else timeout,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        return [update.to_dict() for update in updates]

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        with _translated():
            return await self.bot.do_api_request(method, api_kwargs=_as_input_files(payload))

    async def download(self, file_id: str) -> DownloadedFile:
        with _translated():
            telegram_file = await self.bot.get_file(file_id)
            content = bytes(await telegram_file.download_as_bytearray())
        return DownloadedFile(telegram_file.file_path or "", content)

    def event_of(self, raw: dict[str, Any]) -> Event | None:
        return to_event(Update.de_json(raw, self.bot))


def to_event(update: Update) -> Event | None:
    """The neutral event for an update, or None for kinds we ignore (membership changes)."""
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        chat = message.chat if message is not None else None
        user = query.from_user
        return Event(
            update_id=update.update_id,
            user_id=user.id,
            chat_id=chat.id if chat is not None else user.id,
            chat_type=chat.type if chat is not None else "private",
            language_code=user.language_code,
            display_name=user.full_name,
            username=user.username,
            message_id=message.message_id if message is not None else None,
            callback_id=query.id,
            callback_data=query.data or "",
        )
    message = update.message or update.edited_message
    if message is None or message.from_user is None:
        return None
    user = message.from_user
    text = message.text or message.caption
    command, args = None, ""
    if message.text and message.text.startswith("/"):
        head, _, rest = message.text.partition(" ")
        name, _, _bot = head[1:].partition("@")
        if name:
            command, args = name.lower()[:64], rest.strip()
    forwarded = message.forward_origin is not None
    files: list[FileRef] = []
    unsupported = None
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        files.append(FileRef("photo", largest.file_id, largest.file_unique_id, "image/jpeg", None, largest.file_size,
                             forwarded=forwarded))  # fmt: skip
    elif message.animation is not None:  # a GIF: Telegram sets `document` for it too
        unsupported = "animation"
    elif message.document is not None:
        doc = message.document
        files.append(FileRef("document", doc.file_id, doc.file_unique_id, doc.mime_type, doc.file_name, doc.file_size,
                             forwarded=forwarded))  # fmt: skip
    else:
        for kind in ("voice", "audio", "video", "video_note"):
            media = getattr(message, kind, None)
            if media is not None:
                files.append(FileRef(kind, media.file_id, media.file_unique_id, getattr(media, "mime_type", None),
                                     getattr(media, "file_name", None), media.file_size, _seconds(media.duration),
                                     forwarded))  # fmt: skip
                break
        else:
            for kind in ("sticker", "poll", "dice", "venue", "game", "story"):
                if getattr(message, kind, None):
                    unsupported = kind
                    break
    if message.venue is not None:  # a venue carries a location too; it is not the user's own
        unsupported = "venue"
    location = Location(message.location.latitude, message.location.longitude) if message.location and not message.venue else None
    contact = Contact(message.contact.phone_number, message.contact.user_id) if message.contact else None
    return Event(
        update_id=update.update_id,
        user_id=user.id,
        chat_id=message.chat.id,
        chat_type=message.chat.type,
        language_code=user.language_code,
        display_name=user.full_name,
        username=user.username,
        message_id=message.message_id,
        text=None if files else text,
        caption=message.caption if files else None,
        command=command,
        args=args,
        files=tuple(files),
        unsupported=unsupported,
        location=location,
        contact=contact,
        album=message.media_group_id,
        forwarded=forwarded,
        edited=update.edited_message is not None,
    )


def _seconds(duration: int | timedelta | None) -> int | None:
    """python-telegram-bot may give durations as timedelta (its newer default) or seconds."""
    if duration is None:
        return None
    return int(duration.total_seconds()) if isinstance(duration, timedelta) else int(duration)
