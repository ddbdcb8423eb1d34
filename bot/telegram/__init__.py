"""The Telegram runtime seam. Only this package imports a Telegram framework: the rest of the bot
talks to `TelegramApi` and catches the errors below. python-telegram-bot stands behind it today
(`ptb.py`); another runtime is one more adapter beside it and one more branch in `connect`."""

from bot.telegram.api import DownloadedFile, TelegramApi, Upload
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
from bot.telegram.updates import ALLOWED_UPDATES, chat_of

__all__ = [
    "ALLOWED_UPDATES", "BadRequest", "Conflict", "DownloadedFile", "Forbidden", "InvalidToken", "NetworkError", "RetryAfter",
    "ServerError", "TelegramApi", "TelegramError", "TimedOut", "Upload", "chat_of", "connect",
]  # fmt: skip


def connect(token: str, base_url: str, poll_timeout: int = 25) -> TelegramApi:
    """The client for the configured runtime (not started yet: call `start`)."""
    from bot.telegram.ptb import PtbClient  # imported here: the framework loads only when used

    return PtbClient(token, base_url, poll_timeout)
