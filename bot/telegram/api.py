"""The calls the bot makes of Telegram: what intake, processor, dispatcher and file fetcher need.

A runtime adapter (python-telegram-bot in `bot.telegram.ptb`) implements `TelegramApi` with the
framework's HTTP client only — never its dispatcher or polling loop, which would acknowledge
updates before we have stored them — and raises the errors of `bot.telegram.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from handlers.core.events import Event


@dataclass(frozen=True)
class DownloadedFile:
    path: str  # Telegram's file_path (its extension hints at the type)
    content: bytes


@dataclass(frozen=True)
class Upload:
    """Bytes to upload in a payload field (a whistleblower's cleaned photo), in place of a file id."""

    content: bytes
    filename: str


class TelegramApi(Protocol):
    @property
    def username(self) -> str:
        """The bot's @username, known after `start`."""
        ...

    async def start(self) -> dict[str, Any]:
        """Open the client and ask Telegram who we are (getMe); raises InvalidToken for a bad token."""
        ...

    async def stop(self) -> None: ...

    async def get_updates(self, offset: int | None, timeout: int | None = None) -> list[dict[str, Any]]:
        """Raw update dicts, exactly as Telegram sent them (the inbox stores these)."""
        ...

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        """A Bot API method with a JSON payload (what an outbox row holds); `Upload` values are sent
        as files. Returns the method's result."""
        ...

    async def download(self, file_id: str) -> DownloadedFile: ...

    def event_of(self, raw: dict[str, Any]) -> Event | None:
        """The neutral event for a raw update, or None for kinds the bot ignores."""
        ...
