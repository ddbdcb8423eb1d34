"""Processing: one transaction per update, updates of a chat in order, never two at once.

Within one process a chat has at most one task; across processes (PostgreSQL) a transaction-scoped
advisory lock on the chat id keeps the others out. SQLite means one process, and one writer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import cast

from sqlalchemy import Row, Table, bindparam, func, select, text, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.dispatcher import Boarding, Dispatcher
from bot.leadership import LOCK_NAMESPACE
from bot.outbox import add_rows, rows_for, supersede
from bot.tasks import finish_within, wait_event
from bot.telegram import TelegramApi
from cases.calendar import WorkCalendar
from handlers import router
from handlers.core.actions import Action, AnswerCallback, Send
from handlers.core.agency_list import AgencyList
from handlers.core.context import Context, HandlerConfig
from handlers.core.flood import FloodGate
from handlers.core.i18n import texts
from storage import days_off
from storage.db import WORK_CHANNEL, Database, queued, withdraw
from storage.models import Admin, InboxUpdate, OutboxMessage, User
from storage.repo import Repository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
CALENDAR_REFRESH_SECONDS = 300  # days off declared with `aduan calendar` apply within this time
BUSY_RETRY_SECONDS = 0.1  # another process has the chat: try its lock again this soon
BUSY_RETRIES = 100  # then leave it to the periodic sweep (run's timeout)
PROCESSING_SLOTS_SQLITE = 2  # one in the writer, one ready behind it
PROCESSING_SLOTS_POSTGRES = 6  # of the pool's 20 connections: the rest for sends, reads and the web server

# Statements run for every update, built once and run with their values: building one (and keying
# it for SQLAlchemy's compiled cache) cost more than running it.
_PENDING_CHATS = (select(InboxUpdate.chat_id).where(InboxUpdate.status == "pending").group_by(InboxUpdate.chat_id)
                  .order_by(func.min(InboxUpdate.update_id)))
# The inbox in Core: an update is read and marked done as plain rows, not loaded as ORM objects.
_INBOX = cast(Table, InboxUpdate.__table__)
_NEXT_TWO = (select(_INBOX.c.update_id, _INBOX.c.payload, _INBOX.c.received_at)
             .where(_INBOX.c.chat_id == bindparam("chat"), _INBOX.c.status == "pending")
             .order_by(_INBOX.c.update_id).limit(2))
# A processed update keeps its id (against redelivery), not who sent it or what it said.
_DONE = (update(_INBOX).where(_INBOX.c.update_id == bindparam("id"))
         .values(status="done", processed_at=bindparam("now"), payload=None, chat_id=0))
_LOCK_CHAT = text("SELECT pg_try_advisory_xact_lock(:ns, :chat)")


class _HandlerFailed(Exception):
    """A handler raised on this update (the cause is chained)."""

    def __init__(self, update_id: int, error: str) -> None:
        super().__init__(update_id)
        self.update_id, self.error = update_id, error


class Processor:
    def __init__(
        self,
        db: Database,
        client: TelegramApi,
        config: HandlerConfig,
        calendar: WorkCalendar,
        clock: Callable[[], datetime],
        on_committed: Callable[[set[str]], None],
        on_wiped: Callable[[], None] = lambda: None,
        sender: Dispatcher | None = None,
    ) -> None:
        self.db = db
        self.client = client
        self.config = config
        self.calendar = calendar
        self._calendar_loaded = -float(CALENDAR_REFRESH_SECONDS)
        self.clock = clock
        self.on_committed = on_committed
        self.on_wiped = on_wiped
        self.sender = sender  # this process's dispatcher, whose work rides on processing (see _process_next)
        self.postgres = db.is_postgres
        self._wake = asyncio.Event()
        self._chats: dict[int, asyncio.Task[None]] = {}
        self._recheck: set[int] = set()  # chats with a task and a newer update than it may have seen
        # Transactions at once: the chats' tasks take turns. More would only queue for the
        # database (SQLite has one writer) ahead of the dispatcher's short claims, and every
        # reply would wait behind the whole backlog instead of going out as it is made.
        self._slots = asyncio.Semaphore(PROCESSING_SLOTS_POSTGRES if self.postgres else PROCESSING_SLOTS_SQLITE)
        self.flood = FloodGate(config.flood_max_messages, config.flood_window)
        self.agencies = AgencyList()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            await wait_event(self._wake, 5)  # the timeout retries failures
            self._wake.clear()
            if self._stopping:
                break
            try:
                await self._start_chats()
            except Exception:  # the database may be briefly away; the next wake retries
                log.exception("could not list pending updates")

    async def _start_chats(self) -> None:
        async with self.db.read_single() as session:  # one statement, polled: no transaction around it
            chats = await session.scalars(_PENDING_CHATS)
            for chat_id in chats:
                if chat_id in self._chats:
                    # Its task may be in its last look for a next update, begun before this one
                    # was stored: it looks again instead of ending (else this waits for the sweep).
                    self._recheck.add(chat_id)
                elif not self._stopping:
                    self._chats[chat_id] = asyncio.create_task(self._drain_chat(chat_id))

    async def _drain_chat(self, chat_id: int) -> None:
        busy = 0
        try:
            while not self._stopping:
                self._recheck.discard(chat_id)
                outcome = await self._process_next(chat_id)
                if outcome is None and busy < BUSY_RETRIES:
                    # Another process is on this chat. It may have looked for the chat's next
                    # update just before ours was stored, so we try again rather than leave it.
                    busy += 1
                    await asyncio.sleep(BUSY_RETRY_SECONDS)
                elif not outcome and chat_id not in self._recheck:
                    break
        except Exception:
            log.exception("processing chat failed; will retry")
        finally:
            self._chats.pop(chat_id, None)
            self._recheck.discard(chat_id)

    async def drain(self, timeout: float) -> None:
        """Stop taking updates; the one each chat has in hand is finished (committed), the rest stay
        pending for the next start. `run` returns once woken."""
        self._stopping = True
        self._wake.set()
        await finish_within(self._chats.values(), timeout)  # one cut off stays pending

    async def _process_next(self, chat_id: int) -> bool | None:
        """Process the oldest pending update of the chat. True when another was pending behind it
        (look again), False when there is none after it, none at all, or it must wait; None when
        another process holds the chat. Knowing "another is pending" from the same query saves each
        update a second transaction (on SQLite, a second turn of the writer lock) to find nothing."""
        async with self._slots:
            # The sender's work rides along: the outcomes of its calls are recorded here, and the
            # answers that may go at once are claimed here and sent at the commit (bot.dispatcher).
            boarding = self.sender.boarding() if self.sender is not None else None
            try:
                async with self.db.write_bounded() as session, session.begin():
                    if self.postgres and not await self._lock_chat(session, chat_id):
                        return None
                    rows = (await session.execute(_NEXT_TWO, {"chat": chat_id})).all()
                    if not rows:
                        return False
                    if boarding is not None:
                        await boarding.record(session, self.clock())
                    seconds, all_taken = await self._apply(session, rows[0], boarding)
                    if all_taken:  # nothing queued is left for the sender to find: no NOTIFY, no tick for it
                        withdraw(session, WORK_CHANNEL)
                failed, more, channels = False, len(rows) > 1, queued(session)
            except _HandlerFailed as failure:  # its transaction is rolled back whole: count the attempt in another
                if boarding is not None:
                    boarding.failed()
                outcome = await self._failed(chat_id, failure)
                if outcome is None:
                    return None
                given_up, seconds = outcome
                if not given_up:
                    return False  # stays pending; retried on the next wake
                failed, more, channels = True, False, {WORK_CHANNEL}
            except BaseException:
                if boarding is not None:
                    boarding.failed()
                raise
            else:
                if boarding is not None:
                    boarding.committed()
        (metrics.UPDATES_FAILED if failed else metrics.UPDATES_PROCESSED).inc()  # counted once committed
        metrics.PROCESSING_SECONDS.observe(seconds)
        self.on_committed(channels)  # the kinds of work it queued (storage.db's channels)
        self.on_wiped()  # the update's payload and sender are gone: empty them from the WAL too
        return more

    async def _lock_chat(self, session: AsyncSession, chat_id: int) -> bool:
        return bool(await session.scalar(_LOCK_CHAT, {"ns": LOCK_NAMESPACE, "chat": chat_id & 0x7FFFFFFF}))

    async def _apply(self, session: AsyncSession, row: Row[tuple[int, dict | None, datetime]],
                     boarding: Boarding | None) -> tuple[float, bool]:
        """Handle the update and queue its answers, claiming for the sender those that may go at
        once; returns seconds since it arrived, and whether every answer was claimed. What a handler
        learnt travels in return values, not on `self`: other chats' updates run in between awaits.
        A handler's failure raises _HandlerFailed: no savepoint on the way of every update for the
        rare one that fails (a savepoint is two more statements each time)."""
        now = self.clock()
        update_id, payload, received_at = row
        seconds = max(0.0, (now - received_at).total_seconds())
        try:
            actions, ctx = await self._handle(session, payload, now)
            await session.flush()  # a write the database refuses fails here, as the handler's, not at commit
        except Exception as exc:
            raise _HandlerFailed(update_id, f"{type(exc).__name__}: {exc}"[:2000]) from exc
        await session.execute(_DONE, {"id": update_id, "now": now})
        sensitive, strangers = (ctx.sensitive, ctx.strangers) if ctx is not None else (False, set())
        rows = await self._rows(session, actions, now, sensitive, strangers)
        ids = await add_rows(session, rows)
        all_taken = await boarding.claim(session, list(zip(ids, rows)), now) if boarding is not None and ids else False
        return seconds, all_taken

    async def _failed(self, chat_id: int, failure: _HandlerFailed) -> tuple[bool, float] | None:
        """Count a failed attempt at the update: (given up, seconds since it arrived). Given up
        after MAX_ATTEMPTS (the sender hears an apology); not while it stays pending, or once it is
        no longer pending (another process finished it meanwhile). None: another process has the chat."""
        now = self.clock()
        async with self.db.write_bounded() as session, session.begin():
            if self.postgres and not await self._lock_chat(session, chat_id):
                return None
            row = await session.get(InboxUpdate, failure.update_id)
            if row is None or row.status != "pending":
                return False, 0.0
            row.attempts += 1
            log.error("update %s failed (attempt %d)", failure.update_id, row.attempts, exc_info=failure.__cause__)
            if row.attempts < MAX_ATTEMPTS:
                return False, 0.0
            await add_rows(session, rows_for(self._apology(row)))
            row.status, row.error, row.payload = "failed", failure.error, None
            row.processed_at, row.chat_id = now, 0
            return True, max(0.0, (now - row.received_at).total_seconds())

    async def _rows(self, session: AsyncSession, actions: list[Action], now: datetime, sensitive: bool,
                    strangers: set[int]) -> list[OutboxMessage]:
        """Outbox rows; those to a whistleblower (`sensitive`: the update was theirs), or to anyone the bot keeps no row for, are
        marked to be wiped once sent (the bot does not keep a record of people it does not know)."""
        rows = rows_for(actions, now=now)
        await supersede(session, rows)
        known = set(self.config.admin_ids)
        # The people this update already loaded (the sender, most often the only recipient) are
        # known without asking the database again, and so are those it found to have no row.
        known |= {key[1][0] for key in session.identity_map.keys() if key[0] in (User, Admin)}
        chats = {row.chat_id for row in rows} - known - strangers
        if chats:
            known |= set(await session.scalars(union(select(User.telegram_id).where(User.telegram_id.in_(chats)),
                                                     select(Admin.telegram_id).where(Admin.telegram_id.in_(chats)))))
        for row in rows:
            row.sensitive = sensitive or row.chat_id not in known
        return rows

    async def _handle(self, session: AsyncSession, payload: dict | None, now: datetime) -> tuple[list[Action], Context | None]:
        """The update's actions, and the context they were made in (None: nothing to handle)."""
        event = self.client.event_of(payload or {})
        if event is None:
            return [], None
        await self._refresh_calendar(session)
        ctx = Context(repo=Repository(session), config=self.config, calendar=self.calendar, now=now,
                      language=self.config.default_language, flood=self.flood, agencies=self.agencies, reads=self.db.read)
        return await router.handle(event, ctx), ctx

    async def _refresh_calendar(self, session: AsyncSession) -> None:
        moment = asyncio.get_running_loop().time()
        if moment - self._calendar_loaded >= CALENDAR_REFRESH_SECONDS:
            self.calendar = await days_off.load_calendar(session, self.calendar.tz)
            self._calendar_loaded = moment

    def _apology(self, row: InboxUpdate) -> list[Action]:
        """After repeated failures the user still hears something, and the spinner stops."""
        actions: list[Action] = []
        if row.chat_id > 0:
            t = texts(self.config.default_language)
            actions.append(Send(row.chat_id, t.gettext("Sorry, something went wrong on our side with your last message. Please try again; your draft is kept.")))
        query = (row.payload or {}).get("callback_query") if row.payload else None
        if query:
            actions.insert(0, AnswerCallback(row.chat_id, str(query["id"])))
        return actions
