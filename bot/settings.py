"""Settings from the environment and `.env` (pydantic-settings).

Every setting is documented in `.env.example`. `load_settings` turns a validation error into one
line naming the setting, because an operator at a console needs the name, not a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from handlers.core.triage import TriageError, load_triage

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/aduan.sqlite3"
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram allows in secret_token
PROBE_PATHS = ("/healthz", "/readyz", "/metrics")
_TOKEN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{20,}$|^\d{3,15}:TEST[A-Za-z0-9_-]*$")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it."""


def async_database_url(value: str) -> str:
    """DATABASE_URL as the bot uses it. Accepts the URL operators paste from their hosting panel
    (postgres:// or postgresql://); we always talk asyncpg."""
    if value.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + value.split("://", 1)[1]
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("must be sqlite+aiosqlite:///PATH or postgresql://USER@HOST/DB")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    # Which framework talks to Telegram (both only as HTTP client and update parser, under our loop).
    telegram_runtime: Literal["ptb", "aiogram"] = "ptb"
    database_url: str = DEFAULT_DATABASE_URL
    admin_telegram_ids: Annotated[tuple[int, ...], NoDecode] = ()
    timezone: str = "Asia/Makassar"
    default_language: str = "id"
    log_level: str = "INFO"

    files_dir: Path = Path("./data/files")
    # The whistleblower channel's online keys (`aduan keys init` creates the file; keep it off backups
    # of the database). Without it, /anonim says the channel is not available.
    vault_key_file: Path = Path("./data/vault-keys.json")
    topics_file: Path | None = None
    # The triage words and contacts (handlers/data/triage.json when unset); checked here, at start.
    triage_file: Path | None = None
    verification_working_days: int = Field(default=3, ge=1, le=30)
    response_working_days: int = Field(default=5, ge=1, le=60)
    auto_close_working_days: int = Field(default=10, ge=1, le=60)
    reopen_window_working_days: int = Field(default=10, ge=1, le=60)
    escalate_to_head_after_working_days: int = Field(default=1, ge=1, le=30)
    escalate_to_admins_after_working_days: int = Field(default=3, ge=1, le=30)
    quiet_hours_start: int = Field(default=20, ge=0, le=23)
    quiet_hours_end: int = Field(default=7, ge=0, le=23)
    digest_hour: int = Field(default=8, ge=0, le=23)
    weekly_summary: bool = True
    monthly_reports: bool = True
    draft_ttl_hours: int = Field(default=168, ge=1)
    # Personal data of a case closed this many months ago is erased (UU 27/2022: kept no longer
    # than its purpose needs); the figures stay. A daily job, or `aduan retention run`.
    retention_months: int = Field(default=24, ge=1, le=240)
    draft_resume_after_minutes: int = Field(default=30, ge=1)
    description_min_chars: int = Field(default=30, ge=1)
    description_max_chars: int = Field(default=3000, ge=100, le=3500)
    max_attachments: int = Field(default=5, ge=0, le=10)
    max_attachment_mb: int = Field(default=10, ge=1, le=20)
    max_voice_minutes: int = Field(default=5, ge=1, le=60)  # per voice note or audio
    flood_max_messages: int = Field(default=15, ge=3)
    flood_window_seconds: int = Field(default=10, ge=1)
    # SQLite only. FULL: every commit is on disk before anyone is told of it (survives a power cut).
    # NORMAL: survives kill -9 and crashes, not a power cut; cheaper (bench/README.md has the cost).
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    polling_timeout_seconds: int = Field(default=25, ge=0, le=50)
    # Telegram's broadcast limits; raise them only if Telegram has raised them for this bot.
    send_rate_per_second: float = Field(default=30.0, gt=0)
    send_rate_per_chat: float = Field(default=1.0, gt=0)

    # Webhook mode (set WEBHOOK_URL) instead of long polling; see README, "Webhook deployment".
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"  # behind a TLS proxy on the same host; 0.0.0.0 in a container
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_secret: SecretStr | None = None  # unset: a new one per start
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # /healthz /readyz /metrics in polling mode (in webhook mode they are on WEBHOOK_PORT too).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # /readyz answers 503 above these.
    ready_max_inbox_pending: int = Field(default=100, ge=0)
    ready_max_outbox_backlog: int = Field(default=1000, ge=0)
    ready_max_outbox_age_seconds: int = Field(default=300, ge=1)

    @field_validator("telegram_bot_token", "webhook_url", "webhook_secret", "metrics_port", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never echoes the token: it may be half-pasted secret.
        if value is not None and not _TOKEN.match(value.get_secret_value()):
            raise ValueError("does not look like a bot token from @BotFather (digits:secret)")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        # Telegram's own checks (its ports, a resolvable host) answer setWebhook; here only what
        # we need to know where to serve.
        if value is None:
            return None
        parsed = urlsplit(value)
        if parsed.scheme != "https" or not parsed.hostname:
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        if (parsed.path or "/") in PROBE_PATHS:
            raise ValueError(f"its path must not be one of {', '.join(PROBE_PATHS)}")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            try:
                return tuple(int(p) for p in parts)
            except ValueError:
                raise ValueError("must be comma-separated numeric Telegram user ids") from None
        return value

    @field_validator("triage_file")
    @classmethod
    def _triage_file(cls, value: Path | None) -> Path | None:
        # Read once here so a mistake stops the start with one line naming the setting, the file
        # and the place in it, rather than a traceback when the first message arrives.
        if value is not None:
            try:
                load_triage(value)
            except TriageError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown IANA time zone (expected e.g. Asia/Makassar)") from None
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in ("id", "en"):
            raise ValueError("must be id or en")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    @property
    def webhook_path(self) -> str:
        """Where the bot serves the webhook: the path of WEBHOOK_URL (the proxy forwards it as is)."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {name}: {message}") from None
