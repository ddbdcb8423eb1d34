"""The composition root: wires settings, storage, the Telegram runtime and the workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import TypeVar

from bot import telegram
from bot.dispatcher import Dispatcher
from bot.dispatcher import Limits as SendLimits
from bot.files import FileFetcher
from bot.intake import Poller
from bot.jobs import Scheduler
from bot.processor import Processor
from bot.reports.render import Renderer
from bot.retention import run_retention
from bot.settings import Settings
from bot.telegram import BadRequest, NetworkError, RetryAfter, TelegramApi
from bot.wal import WalWiper
from cases.calendar import WorkCalendar
from cases.reminders import ReminderRules
from cases.workflow import Policy
from handlers.core.context import HandlerConfig
from handlers.core.i18n import texts
from handlers.core.topics import load_topics
from handlers.core.triage import load_triage
from handlers.core.validation import Limits
from storage import agencies, db, vault
from storage.vault import Vault

log = logging.getLogger(__name__)
T = TypeVar("T")

COMMANDS = ("lapor", "anonim", "lacak", "status", "riwayat", "batal", "bahasa", "privasi", "bantuan")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def handler_config(settings: Settings, bot_username: str) -> HandlerConfig:
    return HandlerConfig(
        admin_ids=frozenset(settings.admin_telegram_ids),
        default_language=settings.default_language,
        bot_username=bot_username,
        verification_working_days=settings.verification_working_days,
        response_working_days=settings.response_working_days,
        auto_close_working_days=settings.auto_close_working_days,
        reopen_window_working_days=settings.reopen_window_working_days,
        reminder_rules=ReminderRules(
            head_after=settings.escalate_to_head_after_working_days,
            admins_after=settings.escalate_to_admins_after_working_days,
            quiet_from=time(settings.quiet_hours_start),
            quiet_until=time(settings.quiet_hours_end),
        ),
        weekly_summary=settings.weekly_summary,
        monthly_reports=settings.monthly_reports,
        draft_ttl=timedelta(hours=settings.draft_ttl_hours),
        retention_months=settings.retention_months,
        resume_after=timedelta(minutes=settings.draft_resume_after_minutes),
        flood_max_messages=settings.flood_max_messages,
        flood_window=timedelta(seconds=settings.flood_window_seconds),
        limits=Limits(
            description_min=settings.description_min_chars,
            description_max=settings.description_max_chars,
            max_attachments=settings.max_attachments,
            max_attachment_bytes=settings.max_attachment_mb * 1024 * 1024,
            max_voice_seconds=settings.max_voice_minutes * 60,
        ),
        topics=load_topics(settings.topics_file),
        triage=load_triage(settings.triage_file),
        vault=load_vault(settings),
    )


def policy_of(settings: Settings, calendar: WorkCalendar) -> Policy:
    """The SLA settings as the case rules take them (the calendar with its declared days off)."""
    return Policy(calendar=calendar, verification_days=settings.verification_working_days,
                  response_days=settings.response_working_days, auto_close_days=settings.auto_close_working_days,
                  reopen_window_days=settings.reopen_window_working_days)  # fmt: skip


def load_vault(settings: Settings) -> Vault | None:
    try:
        return vault.load(settings.vault_key_file)
    except vault.VaultError as exc:
        log.warning("whistleblower channel off: %s", exc)
        return None


def command_descriptions(language: str) -> list[dict[str, str]]:
    t = texts(language)
    descriptions = {
        "lapor": t.gettext("Make a report"),
        "status": t.gettext("Status of a report (ticket number)"),
        "riwayat": t.gettext("My reports"),
        "batal": t.gettext("Cancel the report being written"),
        "bahasa": t.gettext("Language: Indonesian / English"),
        "privasi": t.gettext("Your personal data: what is kept, a copy, deleting it"),
        "bantuan": t.gettext("Help"),
        "anonim": t.gettext("Anonymous report (whistleblowing)"),
        "lacak": t.gettext("Follow an anonymous report with its token"),
    }
    return [{"command": c, "description": descriptions[c]} for c in COMMANDS]


@dataclass
class Bot:
    db: db.Database
    client: TelegramApi
    processor: Processor
    dispatcher: Dispatcher
    fetcher: FileFetcher
    poller: Poller
    wiper: WalWiper


START_RETRY_CAP = 30.0  # seconds between start-up attempts, at most


async def until_up(what: str, attempt: Callable[[], Awaitable[T]], transient: Callable[[BaseException], float | None]) -> T:
    """`attempt()` until it succeeds. `transient(exc)` says how long to wait before trying again
    (None: the error is not transient and ends the start at once, e.g. a rejected token). One
    log line per retry; the wait doubles up to START_RETRY_CAP."""
    delay = 1.0
    while True:
        try:
            return await attempt()
        except Exception as exc:
            wait = transient(exc)
            if wait is None:
                raise
            wait = max(wait, delay)
            log.warning("%s not reachable at start-up (%s); trying again in %.0f s", what, type(exc).__name__, wait)
            await asyncio.sleep(wait)
            delay = min(START_RETRY_CAP, delay * 2)


def _telegram_transient(exc: BaseException) -> float | None:
    """Telegram down or restarting (network errors, 5xx, 429) is waited out; anything else is not."""
    if isinstance(exc, RetryAfter):
        return exc.retry_after
    return 0.0 if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest) else None


def _database_transient(exc: BaseException) -> float | None:
    """The database server not answering yet (connection refused, timed out) is waited out; a bad
    URL, a missing database or a wrong password is a setting to fix."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError):
            return 0.0
        cause = cause.__cause__ or cause.__context__
    return None


async def build(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Bot:
    await until_up("the database", lambda: db.upgrade_async(settings.database_url), _database_transient)
    database = db.Database(settings.database_url)
    seeded = await agencies.seed_if_empty(database.write)
    if seeded:
        log.info("agency directory seeded with %d agencies", seeded)
    assert settings.token is not None
    client = telegram.connect(settings.telegram_runtime, settings.token, settings.telegram_api_base_url,
                              settings.polling_timeout_seconds)
    await until_up("Telegram", client.start, _telegram_transient)
    calendar = WorkCalendar(settings.tz)
    config = handler_config(settings, client.username)
    fetcher = FileFetcher(database, client, settings.files_dir, config.vault)
    wiper = WalWiper(database.engine)
    policy = policy_of(settings, calendar)
    dispatcher = Dispatcher(database, client, clock, SendLimits(per_bot=settings.send_rate_per_second, per_chat=settings.send_rate_per_chat),
                            uploads=fetcher.cleaned, render=Renderer(database, config, policy), on_wiped=wiper.request)  # fmt: skip

    def committed() -> None:
        dispatcher.wake()
        fetcher.wake()

    processor = Processor(database, client, config, calendar, clock, committed, wiper.request)
    poller = Poller(client, database, processor.wake)
    return Bot(database, client, processor, dispatcher, fetcher, poller, wiper)


async def register_commands(client: TelegramApi) -> None:
    """The command menu per language; Indonesian is the default for everyone else."""
    for language_code, language in (("", "id"), ("en", "en")):
        payload: dict[str, object] = {"commands": command_descriptions(language)}
        if language_code:
            payload["language_code"] = language_code
        try:
            await client.call("setMyCommands", payload)
        except NetworkError as exc:
            log.warning("setMyCommands failed (%s); the menu stays as it was", type(exc).__name__)


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    bot = await build(settings)
    if settings.is_sqlite:
        recovered = await bot.dispatcher.recover()
        if recovered:
            log.info("%d messages interrupted by the last stop will be sent again", recovered)
    log.info("Kanal Aduan is running as @%s (long polling)", bot.client.username)
    await register_commands(bot.client)
    tasks = [asyncio.create_task(coro, name=name) for name, coro in (
        ("poller", bot.poller.run()), ("processor", bot.processor.run()),
        ("dispatcher", bot.dispatcher.run()), ("fetcher", bot.fetcher.run()), ("wiper", bot.wiper.run()),
    )]  # fmt: skip
    async def retention(now: datetime) -> None:
        await run_retention(bot.db, settings.files_dir, settings.retention_months, now, settings.admin_telegram_ids)
        bot.wiper.request()  # the erased rows' old pages out of SQLite's WAL too

    scheduler = Scheduler(bot.db, bot.processor.config, settings.tz, settings.digest_hour, utc_now, bot.dispatcher.wake,
                          retention)  # fmt: skip
    scheduler.start()
    bot.processor.wake()
    bot.dispatcher.wake()
    stopper: asyncio.Task[object] = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stopper.cancel()
    await scheduler.stop()
    await bot.wiper.flush()
    await bot.client.stop()
    await bot.db.dispose()
    for finished in done:
        if finished is not stopper and (error := finished.exception()) is not None:
            raise error
    log.info("stopped")
