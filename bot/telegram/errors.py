"""The kinds of failure the bot tells apart when it calls Telegram, whatever the framework.

They keep python-telegram-bot's shape, which callers rely on: a 400 (`BadRequest`) and a time-out
(`TimedOut`) are `NetworkError`s, so code that retries network errors and does not single out a
bad request retries it too; the dispatcher catches `BadRequest` first. Messages never carry the
bot token.
"""

from __future__ import annotations


class TelegramError(Exception):
    """Telegram refused a call or could not be reached."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NetworkError(TelegramError):
    """Worth retrying: the connection failed, the request timed out, or Telegram answered 5xx."""


class ServerError(NetworkError):
    """Telegram answered 5xx (it is there, but failing): worth retrying, and worth counting apart
    from a connection that never reached it."""


class TimedOut(NetworkError):
    """No answer in time (the request may or may not have taken effect)."""


class BadRequest(NetworkError):
    """400: Telegram will never accept this request as it is."""


class Forbidden(TelegramError):
    """403: the user blocked the bot, or the bot was removed from the chat."""


class InvalidToken(TelegramError):
    """401/404 at start-up: the bot token is not valid; nothing will work until it is changed."""


class Conflict(TelegramError):
    """409: another process polls with the same token (or a webhook is set)."""


class RetryAfter(TelegramError):
    """429: flood control; wait `retry_after` seconds before calling again for that chat."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
