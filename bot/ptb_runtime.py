"""The python-telegram-bot 22 runtime: the framework's API client under our own durable loop.

We use PTB for HTTP, error mapping and parsing updates, not its Application/polling loop: the
stock loop acknowledges updates before we have stored them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from handlers.events import Contact, Event, FileRef, Location

__all__ = [
    "BadRequest", "Conflict", "Forbidden", "InvalidToken", "NetworkError", "RetryAfter", "TimedOut",
    "TelegramClient", "to_event", "chat_of",
]  # fmt: skip


@dataclass(frozen=True)
class DownloadedFile:
    path: str
    content: bytes


class TelegramClient:
    """Bot API calls by method name with JSON payloads (what the outbox stores)."""

    def __init__(self, token: str, base_url: str, poll_timeout: int = 25) -> None:
        # Separate connection pools: a long poll must never wait behind a burst of sends.
        request = HTTPXRequest(connection_pool_size=32, read_timeout=15, write_timeout=15, connect_timeout=10, pool_timeout=10)
        polling = HTTPXRequest(connection_pool_size=2, read_timeout=poll_timeout + 10, connect_timeout=10)
        self.bot = Bot(token, base_url=f"{base_url}/bot", base_file_url=f"{base_url}/file/bot",
                       request=request, get_updates_request=polling)
        self.poll_timeout = poll_timeout

    async def start(self) -> dict[str, Any]:
        await self.bot.initialize()
        return self.bot.bot.to_dict()

    async def stop(self) -> None:
        await self.bot.shutdown()

    @property
    def username(self) -> str:
        return self.bot.username

    async def get_updates(self, offset: int | None, timeout: int | None = None) -> list[dict[str, Any]]:
        """Raw update dicts, so the inbox stores exactly what Telegram sent."""
        updates = await self.bot.get_updates(
            offset=offset,
            limit=100,
            timeout=self.poll_timeout if timeout is None else timeout,
            allowed_updates=["message", "edited_message", "callback_query", "my_chat_member"],
        )
        return [update.to_dict() for update in updates]

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        return await self.bot.do_api_request(method, api_kwargs=payload)

    async def download(self, file_id: str) -> DownloadedFile:
        telegram_file = await self.bot.get_file(file_id)
        content = bytes(await telegram_file.download_as_bytearray())
        return DownloadedFile(telegram_file.file_path or "", content)

    def parse(self, raw: dict[str, Any]) -> Update:
        return Update.de_json(raw, self.bot)


def chat_of(raw: dict[str, Any]) -> int:
    """The chat an update belongs to, for per-chat ordering (0 when it has none)."""
    for key in ("message", "edited_message", "channel_post", "my_chat_member"):
        if key in raw and isinstance(raw[key], dict):
            return int(raw[key].get("chat", {}).get("id", 0))
    if "callback_query" in raw:
        query = raw["callback_query"]
        message = query.get("message") or {}
        return int(message.get("chat", {}).get("id") or query.get("from", {}).get("id", 0))
    return 0


def to_event(update: Update) -> Event | None:
    """The neutral event for an update, or None for kinds we ignore (edits, membership changes)."""
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
    message = update.message
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
    files: list[FileRef] = []
    unsupported = None
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        files.append(FileRef("photo", largest.file_id, largest.file_unique_id, "image/jpeg", None, largest.file_size))
    elif message.document is not None:
        doc = message.document
        files.append(FileRef("document", doc.file_id, doc.file_unique_id, doc.mime_type, doc.file_name, doc.file_size))
    else:
        for kind in ("sticker", "voice", "video", "video_note", "audio", "animation", "poll", "dice", "venue"):
            if getattr(message, kind, None):
                unsupported = kind
                break
    location = Location(message.location.latitude, message.location.longitude) if message.location else None
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
    )
