"""Logging that never prints the bot token (libraries log request URLs that contain it)."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

# Any bot token, also URL-encoded (file download URLs carry "bot123%3ASECRET").
_TOKEN_IN_TEXT = re.compile(r"bot\d{3,15}(?::|%3A|%3a)[A-Za-z0-9_-]+")


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        # Each secret as written and URL-encoded, and a token's secret half on its own.
        variants = {v for v in (secret, quote(secret, safe=""), secret.partition(":")[2]) if len(v) >= 8} if secret else set()
        self.secrets = sorted(set(self.secrets) | variants, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return _TOKEN_IN_TEXT.sub("bot<redacted>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Exceptions may carry URLs too: render them now, redacted.
            clean += "\n" + self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = clean, None
        return True


def redact_also(secret: str) -> None:
    """A secret known only once running (a generated webhook secret): kept out of the log too."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter):
                found.add(secret)


def configure(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; keep it quieter, and redacted when it does speak.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    # python-telegram-bot logs every request's parameters and every update at DEBUG: chat ids,
    # names, texts. A whistleblower's identity must never reach a log, so never below INFO.
    # Database drivers do the same with query parameters (SQLAlchemy even echoes SQL at INFO).
    # aiogram's and aiohttp's loggers the same (aiohttp's client errors may quote request URLs).
    for name, floor in (("telegram", logging.INFO), ("aiogram", logging.INFO), ("aiohttp", logging.WARNING),
                        ("aiosqlite", logging.INFO), ("asyncpg", logging.INFO), ("sqlalchemy", logging.WARNING)):  # fmt: skip
        logging.getLogger(name).setLevel(max(floor, root.level))
