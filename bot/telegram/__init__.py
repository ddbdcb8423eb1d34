"""The Telegram runtime seam. Only this package imports a Telegram framework: the rest of the bot
talks to `TelegramApi` and catches the errors below. Two runtimes stand behind it, picked by the
TELEGRAM_RUNTIME setting: python-telegram-bot (`ptb.py`, the default) and aiogram 3 (`aiogram.py`).
Both are only HTTP clients and update parsers under our durable loop; what they share without
either framework (the `Event` of an update) is in `neutral.py`."""

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


def connect(runtime: str, token: str, base_url: str, poll_timeout: int = 25) -> TelegramApi:
    """The client for the configured runtime, "ptb" or "aiogram" (not started yet: call `start`)."""
    # Imported in the branch: only the framework in use loads.
    if runtime == "aiogram":
        from bot.telegram.aiogram import AiogramClient

        return AiogramClient(token, base_url, poll_timeout)
    if runtime == "ptb":
        from bot.telegram.ptb import PtbClient

        return PtbClient(token, base_url, poll_timeout)
    raise ValueError(f"unknown Telegram runtime {runtime!r} (expected ptb or aiogram)")
