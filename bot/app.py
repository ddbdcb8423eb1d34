"""The composition root: wires settings, storage, the Telegram runtime and the workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import TypeVar

from bot import logs, metrics, telegram
from bot.dispatcher import Dispatcher
from bot.dispatcher import Limits as SendLimits
from bot.files import FileFetcher
from bot.health import Thresholds
from bot.intake import Poller
from bot.jobs import Scheduler
from bot.leadership import Leadership
from bot.processor import Processor
from bot.reports.render import Renderer
from bot.retention import run_retention
from bot.settings import Settings, SettingsError
from bot.telegram import ALLOWED_UPDATES, BadRequest, NetworkError, RetryAfter, TelegramApi
from bot.wal import WalWiper
from bot.web import Webhook, WebServer
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
    sender: Leadership  # whether this process sends and fetches (one process at a time)


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
    database = db.Database(settings.database_url, settings.sqlite_synchronous)
    seeded = await agencies.seed_if_empty(database.write)
    if seeded:
        log.info("agency directory seeded with %d agencies", seeded)
    assert settings.token is not None
    client = telegram.connect(settings.telegram_runtime, settings.token, settings.telegram_api_base_url,
                              settings.polling_timeout_seconds)
    try:
        await until_up("Telegram", client.start, _telegram_transient)
    except BaseException:  # a rejected token, say: the program ends, its connections closed first
        await client.stop()
        await database.dispose()
        raise
    calendar = WorkCalendar(settings.tz)
    config = handler_config(settings, client.username)

    wakes = {db.WORK_CHANNEL: lambda: dispatcher.wake(), db.FILES_CHANNEL: lambda: fetcher.wake()}

    def committed(channels: set[str]) -> None:  # here, or (PostgreSQL) in another process: see storage.db's channels
        for channel in channels:
            wakes[channel]()

    sender = Leadership(database, "sender", metrics.SENDER_LEADER, listen=wakes)
    fetcher = FileFetcher(database, client, settings.files_dir, config.vault, role=sender)
    wiper = WalWiper(database.engine)
    policy = policy_of(settings, calendar)
    dispatcher = Dispatcher(database, client, clock, SendLimits(per_bot=settings.send_rate_per_second, per_chat=settings.send_rate_per_chat),
                            uploads=fetcher.cleaned, render=Renderer(database, config, policy), on_wiped=wiper.request,
                            role=sender)  # fmt: skip
    processor = Processor(database, client, config, calendar, clock, committed, wiper.request, sender=dispatcher)
    poller = Poller(client, database, processor.wake)
    return Bot(database, client, processor, dispatcher, fetcher, poller, wiper, sender)


async def register_commands(client: TelegramApi) -> None:
    """The command menu per language; Indonesian is the default for everyone else. Retried like
    getMe while Telegram is down; a refusal (400) is our bug, logged, and the menu stays as it was."""
    for language_code, language in (("", "id"), ("en", "en")):
        payload: dict[str, object] = {"commands": command_descriptions(language)}
        if language_code:
            payload["language_code"] = language_code
        try:
            await until_up("Telegram (setMyCommands)", lambda: client.call("setMyCommands", payload), _telegram_transient)
        except BadRequest as exc:
            log.error("setMyCommands refused (%s); the menu stays as it was", exc.message)


DRAIN_SECONDS = 20.0  # within systemd's default TimeoutStopSec (90 s) and a load balancer's drain


async def shut_down(bot: Bot, scheduler: Scheduler, tasks: dict[str, asyncio.Task[None]]) -> None:
    """Stop taking updates, finish the update in hand and the sends in flight, then exit: nothing
    is left claimed for the lease to recover (unless a send outlives DRAIN_SECONDS)."""
    log.info("stopping: finishing the work in hand")
    await scheduler.stop()  # a job mid-run is rolled back; its next run redoes it
    if "poller" in tasks:  # a poll cut short moved no offset: Telegram sends its updates again
        tasks["poller"].cancel()
        await asyncio.gather(tasks["poller"], return_exceptions=True)
    await bot.processor.drain(DRAIN_SECONDS / 2)
    await asyncio.gather(tasks["processor"], return_exceptions=True)
    bot.dispatcher.stop()
    await asyncio.wait([tasks["dispatcher"]], timeout=DRAIN_SECONDS / 4)  # its last tick starts its sends
    late = await bot.dispatcher.drain(DRAIN_SECONDS / 2)
    if late:
        log.warning("%d send(s) still unanswered at stop; they will be sent again after the lease", late)
    for name in ("dispatcher", "fetcher", "wiper"):  # a download cut short is fetched again later
        if name in tasks:
            tasks[name].cancel()
    await asyncio.gather(*(task for name, task in tasks.items() if name != "sender"), return_exceptions=True)
    await bot.sender.release()  # another process may send at once: nothing of ours is in flight
    if "sender" in tasks:  # its check under way finished within release; now it only waits
        tasks["sender"].cancel()
        await asyncio.gather(tasks["sender"], return_exceptions=True)
    await bot.wiper.flush()
    await bot.client.stop()
    await bot.db.dispose()


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, or a new one for this run (setWebhook hands it to Telegram each start, so
    nothing needs to remember it). Either way it is redacted from the log, never written there."""
    if settings.webhook_secret is not None:
        secret, origin = settings.webhook_secret.get_secret_value(), "WEBHOOK_SECRET"
    else:
        secret, origin = secrets.token_urlsafe(32), "generated"
        if not settings.is_sqlite:  # each process would register its own, refusing the others' deliveries
            log.warning("WEBHOOK_SECRET is not set: several processes behind one webhook need the same one")
    logs.redact_also(secret)
    log.info("webhook secret: set (%s)", origin)
    return secret


async def start_web(settings: Settings, bot: Bot) -> WebServer | None:
    """The HTTP server: the webhook and the probes on WEBHOOK_PORT (webhook mode), the probes on
    METRICS_PORT (either mode, when set); None when neither is wanted."""
    ports = ([settings.webhook_port] if settings.webhook_url else []) + ([settings.metrics_port] if settings.metrics_port else [])
    if not ports:
        return None
    hook = Webhook(settings.webhook_path, webhook_secret(settings)) if settings.webhook_url else None
    thresholds = Thresholds(settings.ready_max_inbox_pending, settings.ready_max_outbox_backlog,
                            settings.ready_max_outbox_age_seconds)  # fmt: skip
    server = WebServer(bot.db, utc_now, thresholds, bot.processor.wake, hook)
    try:
        await server.start(settings.webhook_listen, ports)
    except OSError as exc:  # the port is taken, or the address is not this host's: a setting to fix
        names = "/".join(name for name, wanted in (("WEBHOOK_PORT", settings.webhook_url), ("METRICS_PORT", settings.metrics_port))
                         if wanted)  # fmt: skip
        raise SettingsError(f"invalid setting {names}: cannot listen on {settings.webhook_listen}:"
                            f"{'/'.join(map(str, ports))} ({exc.strerror or exc})") from None
    log.info("listening on %s:%s (%s)", settings.webhook_listen, "/".join(map(str, dict.fromkeys(ports))),
             "webhook and probes" if hook else "probes")  # fmt: skip
    return server


async def register_intake(settings: Settings, client: TelegramApi, server: WebServer | None) -> None:
    """Tell Telegram how updates reach us: setWebhook (webhook mode), or deleteWebhook so that
    getUpdates works after a webhook run. Retried while Telegram is unreachable; a webhook
    Telegram refuses (400: a bad URL, a port it does not allow) is a setting to fix."""
    if settings.webhook_url is None:
        await until_up("Telegram (deleteWebhook)", lambda: client.call("deleteWebhook", {}), _telegram_transient)
        return
    assert server is not None and server.webhook is not None
    payload = {"url": settings.webhook_url, "secret_token": server.webhook.secret, "allowed_updates": list(ALLOWED_UPDATES),
               "max_connections": settings.webhook_max_connections}  # fmt: skip
    try:
        await until_up("Telegram (setWebhook)", lambda: client.call("setWebhook", payload), _telegram_transient)
    except BadRequest as exc:
        raise SettingsError(f"invalid setting WEBHOOK_URL: Telegram refused the webhook ({exc.message})") from None
    server.mark_registered()


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
    web: WebServer | None = None
    try:
        web = await start_web(settings, bot)
        await register_intake(settings, bot.client, web)
    except BaseException:
        if web is not None:
            await web.stop()
        await bot.client.stop()
        await bot.db.dispose()
        raise
    mode = "webhook" if settings.webhook_url else "long polling"
    log.info("Kanal Aduan is running as @%s (%s)", bot.client.username, mode)
    await register_commands(bot.client)
    workers = [("processor", bot.processor.run()), ("dispatcher", bot.dispatcher.run()),
               ("fetcher", bot.fetcher.run()), ("wiper", bot.wiper.run())]  # fmt: skip
    if settings.webhook_url is None:  # with a webhook, the web server is the intake
        workers.insert(0, ("poller", bot.poller.run()))
    if bot.db.is_postgres:  # one process sends, within the bot's limits; another takes over when it dies
        workers.append(("sender", bot.sender.keep()))
    else:
        await bot.sender.held()
    tasks = [asyncio.create_task(coro, name=name) for name, coro in workers]
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
    if web is not None:  # stop accepting updates first (Telegram keeps and redelivers the rest)
        await web.stop()
    stopper.cancel()
    await shut_down(bot, scheduler, {task.get_name(): task for task in tasks})
    for finished in done:
        if finished is not stopper and (error := finished.exception()) is not None:
            raise error
    log.info("stopped")
