"""The dispatcher: sends outbox rows in order per chat, within Telegram's limits.

* about 30 messages/s per bot, 1/s per private chat sustained (a short burst is fine), 20/min per
  group — token buckets, in this process: the limits are the bot's, so with several processes only
  the holder of the sender role (bot.leadership) sends, and its claims are fenced by that role;
* 429 → wait `retry_after` for that chat only; 5xx and time-outs → retry with backoff;
* 403 → the user blocked the bot: record it and drop what is queued for them;
* a row is claimed (status ``sending``) before the call; a claim older than the lease is taken
  over, so a process killed mid-send loses nothing (the message may then arrive twice, which is
  the one case Telegram itself cannot tell apart). Claims skip rows another transaction has locked
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so no row is ever claimed twice at once;
* a held reply to a burst (a row with a coalesce key, see bot.outbox.supersede) is not claimed
  while its chat has updates still to process: one of them is to replace it;
* what became of the calls since the last tick is recorded in the transaction of the tick's
  claims: one write transaction (on SQLite one turn of the writer, one sync to disk) for both.
  A chat's next row is claimed only in a transaction that also records its previous one as sent,
  so a process killed in between resends the previous row, never the next one before it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, Update, bindparam, exists, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.leadership import LEADERSHIP_CHECK_SECONDS, Leadership
from bot.outbox import RENDER
from bot.tasks import finish_within, wait_event
from bot.telegram import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    ServerError,
    TelegramApi,
    TimedOut,
    Upload,
)
from handlers.core.actions import UPLOAD_PREFIX
from storage.db import Database
from storage.models import InboxUpdate, OutboxMessage, User

log = logging.getLogger(__name__)

MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage",
                             "sendLocation", "sendContact", "sendVoice", "sendAudio", "sendVideo", "sendVideoNote"})
SCAN_ROWS = 2048  # unsent rows a tick looks through at most
SCAN_PAGE = 128  # read this many at a time
UNCLAIMED_RECHECK_SECONDS = 0.25  # a row chosen but not claimed is looked at again this soon
RECORD_TRIES = 3  # a batch of outcomes whose recording failed this often is left to the lease
# Statements of every tick and every send, built once and run with their values: building one
# (and keying it for SQLAlchemy's compiled cache) cost more than running it.
# In Core, on the tables: the ORM's compile and bulk-update steps (synchronising a session that
# holds none of these rows) cost more than the statements themselves.
_OUTBOX = cast(Table, OutboxMessage.__table__)
_INBOX = cast(Table, InboxUpdate.__table__)
_QUEUE_PAGE = (select(_OUTBOX.c.id, _OUTBOX.c.chat_id, _OUTBOX.c.method, _OUTBOX.c.status,
                      _OUTBOX.c.not_before, _OUTBOX.c.claimed_at)
               .where(_OUTBOX.c.status.in_(("pending", "sending")), _OUTBOX.c.id > bindparam("after"))
               .order_by(_OUTBOX.c.id).limit(bindparam("size")))
_RECORD_SENT = {  # by whether the row is wiped once sent (sensitive)
    wipe: update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id"))
    .values(status="sent", sent_at=bindparam("sent_now"), result_message_id=bindparam("message_id"), claimed_at=None,
            # A whistleblower's message, or one to a stranger: forget where it went and what it said.
            **({"chat_id": 0, "payload": {}} if wipe else {}))
    for wipe in (False, True)
}
HARMLESS_BAD_REQUESTS = ("message is not modified", "query is too old", "message to delete not found")


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second, at most `capacity` saved up."""

    rate: float
    capacity: float
    tokens: float = -1.0
    stamp: float = 0.0
    blocked_until: float = 0.0

    def wait_time(self, now: float) -> float:
        self._refill(now)
        if now < self.blocked_until:
            return self.blocked_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def give_back(self) -> None:
        """A token taken for a call that is not made after all."""
        self.tokens = min(self.capacity, self.tokens + 1)

    def _refill(self, now: float) -> None:
        if self.tokens < 0 and self.stamp == 0.0:
            self.tokens, self.stamp = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


@dataclass(frozen=True)
class Limits:
    per_bot: float = 30.0
    per_chat: float = 1.0
    chat_burst: float = 3.0
    # A small bot-wide burst: with 30 saved up on top of 30/s, a second could see 60 sends, and
    # calls go out (and reach Telegram) a little later than their token is taken.
    bot_burst: float = 5.0
    per_group: float = 20 / 60
    # Longer than a send can take (HTTP timeouts are 15 s), so a live sender never loses its claim.
    lease: timedelta = timedelta(seconds=30)
    max_attempts: int = 8
    concurrency: int = 16


@dataclass(frozen=True)
class _Outcome:
    """What became of one claimed row's call, to be recorded."""

    row_id: int
    chat_id: int
    outcome: dict
    sensitive: bool  # wiped once sent
    lane: tuple[int, bool]

    @property
    def sent(self) -> bool:
        return "sent" in self.outcome


@dataclass
class _State:
    chats: dict[int, Bucket] = field(default_factory=dict)
    in_flight: set[tuple[int, bool]] = field(default_factory=set)  # (chat, callback lane) with a call under way
    # Calls answered, not yet recorded (the next claiming transaction records them), and of
    # those the rows sent: no longer in the way of their chat's next row.
    outcomes: list[_Outcome] = field(default_factory=list)
    sent_unrecorded: set[int] = field(default_factory=set)
    record_failures: int = 0


class Dispatcher:
    def __init__(self, db: Database, client: TelegramApi,
                 clock: Callable[[], datetime], limits: Limits = Limits(),
                 uploads: Callable[[str], bytes | None] | None = None,
                 render: Callable[[dict], Awaitable[Upload]] | None = None,
                 on_wiped: Callable[[], None] = lambda: None, role: Leadership | None = None) -> None:
        self.db = db
        self.role = role  # None: this dispatcher always sends (one process, tests)
        self.on_wiped = on_wiped
        self.uploads = uploads  # bytes of a cleaned whistleblower file by name (see bot.files)
        self.render = render  # a chart or report file made from its spec (see bot.reports.render)
        self.client = client
        self.clock = clock
        self.limits = limits
        self.bot_bucket = Bucket(limits.per_bot, limits.bot_burst)
        self._state = _State()
        self._sending = False  # whether the last tick could send (held the role)
        self._empty_since = 0.0  # the buckets count as empty at this loop time (see _start_sending)
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(limits.concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._claim: Update | None = None  # the claiming statement, built at its first use

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """At start-up of the only process (SQLite): claims left by a killed run are ours to resend
        now, not after the lease."""
        async with self.db.write() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage).where(OutboxMessage.status == "sending").values(status="pending", claimed_at=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def run(self) -> None:
        # Never cancelled mid-tick (see `drain`): a claim committed just before a cancel would be
        # left for the lease with no send behind it.
        while not self._stopping:
            try:
                delay = await self.tick()
            except Exception:
                log.exception("dispatcher tick failed")
                delay = 2.0
            await wait_event(self._wake, max(0.01, min(delay, 2.0)))
            self._wake.clear()

    def stop(self) -> None:
        """Claim nothing more; `run` returns after the tick under way (which starts its sends)."""
        self._stopping = True
        self._wake.set()

    async def drain(self, timeout: float) -> int:
        """After `stop` and `run` returned: let the sends in flight finish and be recorded; returns
        how many were still unfinished at `timeout` (their rows stay claimed: the lease resends them)."""
        self.stop()
        late = await finish_within(self._tasks, timeout)
        try:
            await self._record_waiting(self.clock())
        except Exception:
            log.exception("recording the last outcomes failed; the lease will resend those rows")
        return late

    @property
    def idle(self) -> bool:
        """No call under way, none unrecorded."""
        return not self._tasks and not self._state.outcomes

    def _chat_bucket(self, chat_id: int) -> Bucket:
        bucket = self._state.chats.get(chat_id)
        if bucket is None:
            rate = self.limits.per_chat if chat_id > 0 else self.limits.per_group
            bucket = self._state.chats[chat_id] = Bucket(rate, self.limits.chat_burst, tokens=0.0, stamp=self._empty_since)
        return bucket

    def _start_sending(self, now: float) -> None:
        """Sending starts (this process took the role, or just started): Telegram still counts
        what a process before us sent moments ago, so every bucket starts empty and fills at its
        rate — a burst only once a predecessor's could no longer matter."""
        self._sending, self._empty_since = True, now
        self.bot_bucket = Bucket(self.limits.per_bot, self.limits.bot_burst, tokens=0.0, stamp=now)
        self._state.chats.clear()

    async def tick(self) -> float:
        """Start every send that may go now; returns seconds until the next one may."""
        if self._stopping:
            return 5.0
        now = self.clock()
        if self.role is not None and not self.role.holds:
            self._sending = False
            await self._record_waiting(now)  # calls made while we held it are recorded all the same
            return float(LEADERSHIP_CHECK_SECONDS)  # taking the role wakes us
        loop_now = asyncio.get_running_loop().time()
        if not self._sending:
            self._start_sending(loop_now)
        stale = now - self.limits.lease
        # No more than can start now: a token is taken when the call goes out, not while it
        # queues for a slot (queued calls would go out together with the next tick's, in a burst
        # Telegram counts). A finished send wakes the next tick.
        free = self.limits.concurrency - len(self._tasks)
        if free <= 0:
            await self._record_waiting(now)
            return 2.0
        next_in = 5.0
        seen: set[tuple[int, bool]] = set()
        chosen: dict[int, tuple[int, tuple[int, bool], bool]] = {}  # row id -> (chat, lane, whether it took tokens)
        # The rows ahead of those that can go now are mostly of chats with a call in flight (a row
        # or two each): a first page that size, not a full one, is what a tick usually reads.
        first_page = 2 * (free + len(self._state.in_flight)) + 8
        async for row_id, chat_id, method, status, not_before, claimed_at in self._queued(first_page):
            if len(chosen) >= free:
                break
            if row_id in self._state.sent_unrecorded:  # sent: its chat's next row may go
                continue
            # Only the oldest row of a chat may go: order within a chat. Callback answers form a
            # lane of their own so a queue of messages never leaves a button spinning.
            lane = (chat_id, method == "answerCallbackQuery")
            if lane in seen:
                continue
            seen.add(lane)
            if lane in self._state.in_flight:
                continue
            if status == "sending" and claimed_at is not None and claimed_at > stale:
                next_in = min(next_in, (claimed_at - stale).total_seconds())
                continue
            if not_before > now:
                next_in = min(next_in, (not_before - now).total_seconds())
                continue
            counted = method in MESSAGE_METHODS
            if counted:
                wait = max(self._chat_bucket(chat_id).wait_time(loop_now), self.bot_bucket.wait_time(loop_now))
                if wait > 0:
                    next_in = min(next_in, wait)
                    continue
                self._chat_bucket(chat_id).take(loop_now)
                self.bot_bucket.take(loop_now)
            chosen[row_id] = (chat_id, lane, counted)
        if not chosen and not self._state.outcomes:
            return next_in
        claimed = await self._commit(list(chosen), now, stale)
        if len(claimed) < len(chosen):
            # A held reply whose chat has updates still to process (see _claim_rows), or a row
            # another process took: its tokens go back, and it is looked at again soon, as
            # processing those updates need not queue anything that would wake us.
            next_in = min(next_in, UNCLAIMED_RECHECK_SECONDS)
            for row_id in chosen.keys() - {row_id for row_id, *_ in claimed}:
                chat_id, _, counted = chosen[row_id]
                if counted:
                    self._chat_bucket(chat_id).give_back()
                    self.bot_bucket.give_back()
        for row_id, method, payload, sensitive in claimed:
            chat_id, lane, _ = chosen[row_id]
            self._state.in_flight.add(lane)
            task = asyncio.create_task(self._send(row_id, method, payload, chat_id, lane, sensitive))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return next_in

    async def _queued(self, first_page: int) -> AsyncIterator[tuple[int, int, str, str, datetime, datetime | None]]:
        """The unsent rows, oldest first, a page at a time (`first_page` rows, then SCAN_PAGE, at
        most SCAN_ROWS in all): a tick that finds what it can send among the first rows — the
        usual case, one or two free slots after a send — reads no further, however long the
        queue behind them."""
        after, read, size = 0, 0, min(first_page, SCAN_PAGE)
        while read < SCAN_ROWS:
            async with self.db.read_single() as session:  # one statement, polled: no transaction around it
                page = (await session.execute(_QUEUE_PAGE, {"after": after, "size": size})).all()
            for row in page:
                yield tuple(row)  # type: ignore[misc]
            if len(page) < size:
                return
            after, read, size = page[-1][0], read + size, SCAN_PAGE

    async def _record_waiting(self, now: datetime) -> None:
        """Record the outcomes waiting, claiming nothing (no slot free, the role lost, stopping)."""
        if self._state.outcomes:
            await self._commit([], now, now - self.limits.lease)

    async def _commit(self, row_ids: list[int], now: datetime, stale: datetime) -> list[tuple[int, str, dict, bool]]:
        """One write transaction: record the outcomes waiting, then claim `row_ids`; returns the
        rows this process got, with their calls and whether each is to be wiped once sent.
        Outcomes whose recording failed are tried again with the next claim; after RECORD_TRIES
        they are given up (their rows, still claimed, are resent after the lease, as if this
        process had died)."""
        batch, self._state.outcomes = self._state.outcomes, []
        try:
            async with self.db.write_bounded() as session, session.begin():
                wiped = await self._record(session, batch, now) if batch else False
                claimed = await self._claim_rows(session, row_ids, now, stale) if row_ids else []
        except BaseException:
            if batch:
                self._state.record_failures += 1
                if self._state.record_failures < RECORD_TRIES:
                    self._state.outcomes[:0] = batch
                else:
                    log.error("recording %d outcomes failed %d times; the lease will resend those rows",
                              len(batch), self._state.record_failures)
                    self._recorded(batch)
            raise
        if batch:
            self._state.record_failures = 0
            self._recorded(batch)
        if wiped:
            self.on_wiped()
        return claimed

    def _recorded(self, batch: list[_Outcome]) -> None:
        """The batch is recorded (or given up): a chat whose row was not sent may go on (its row,
        back to pending or failed, says when)."""
        for outcome in batch:
            self._state.sent_unrecorded.discard(outcome.row_id)
            if not outcome.sent:
                self._state.in_flight.discard(outcome.lane)
                self.wake()

    async def _claim_rows(self, session: AsyncSession, row_ids: list[int], now: datetime,
                          stale: datetime) -> list[tuple[int, str, dict, bool]]:
        if self._claim is None:  # built once (the fence's values are given with each run)
            # A held reply to a burst (a row with a coalesce key) waits while its chat has updates
            # still to process: the next of them replaces it (bot.outbox.supersede). On a busy
            # machine its wait can end before updates that came in time are processed. Asked
            # here, in the claim, it is asked of the rows as they are when they are taken.
            outbox, inbox = _OUTBOX.c, _INBOX.c
            unprocessed = exists().where(inbox.chat_id == outbox.chat_id, inbox.status == "pending")
            claimable = select(outbox.id).where(
                outbox.id.in_(bindparam("ids", expanding=True)),
                or_(outbox.status == "pending", (outbox.status == "sending") & (outbox.claimed_at <= bindparam("stale"))),
                or_(outbox.coalesce_key.is_(None), ~unprocessed),
            ).with_for_update(skip_locked=True)
            fence = self.role.fence() if self.role is not None else true()
            self._claim = (update(_OUTBOX).where(outbox.id.in_(claimable.scalar_subquery()), fence)
                           .values(status="sending", claimed_at=bindparam("claimed"))
                           .returning(outbox.id, outbox.method, outbox.payload, outbox.sensitive))
        values = {"ids": row_ids, "stale": stale, "claimed": now} | (self.role.fence_values() if self.role is not None else {})
        result = await session.execute(self._claim, values)
        return sorted((row_id, method, dict(payload), bool(sensitive)) for row_id, method, payload, sensitive in result.all())

    async def _send(self, row_id: int, method: str, payload: dict, chat_id: int, lane: tuple[int, bool], sensitive: bool) -> None:
        free_lane = False  # else the lane stays taken until the outcome is recorded (see _recorded)
        try:
            async with self._slots:
                outcome = _Outcome(row_id, chat_id, await self._call(method, payload, chat_id), sensitive, lane)
            self._state.outcomes.append(outcome)
            if outcome.sent:
                self._state.sent_unrecorded.add(row_id)
                free_lane = True
        except Exception:
            log.exception("sending outbox row %s failed; the lease will retry it", row_id)
            free_lane = True  # nothing to record: the row stays claimed, in its chat's way, until the lease
        finally:
            if free_lane:
                self._state.in_flight.discard(lane)
            self.wake()

    async def _with_uploads(self, payload: dict) -> dict | None:
        """Replace "anon-file:<name>" by the cleaned bytes to upload, and {"render": spec} by the
        file made from it; None if a file is missing. A spec that cannot be made raises."""
        resolved = dict(payload)
        for field_name, value in payload.items():
            if isinstance(value, str) and value.startswith(UPLOAD_PREFIX):
                content = self.uploads(value.removeprefix(UPLOAD_PREFIX)) if self.uploads is not None else None
                if content is None:
                    return None
                resolved[field_name] = Upload(content, filename="bukti.jpg" if field_name == "photo" else "bukti")
            elif isinstance(value, dict) and RENDER in value:
                if self.render is None:
                    return None
                resolved[field_name] = await self.render(value[RENDER])
        return resolved

    async def _call(self, method: str, payload: dict, chat_id: int) -> dict:
        try:
            resolved = await self._with_uploads(payload)
        except ValueError as exc:  # a spec that cannot be drawn will not be drawn on a retry either
            log.error("could not make the file for a %s: %s", method, exc)
            return {"failed": f"render: {exc}"[:500]}
        except Exception as exc:  # the database away for a moment, say: try again later
            log.warning("making the file for a %s failed (%s); will retry", method, type(exc).__name__)
            return {"retry": f"render: {type(exc).__name__}"}
        if resolved is None:
            return {"failed": "the file to upload is not available"}
        try:
            result = await self.client.call(method, resolved)
        except RetryAfter as exc:
            metrics.SENDS.labels("429").inc()
            self._chat_bucket(chat_id).blocked_until = asyncio.get_running_loop().time() + exc.retry_after
            return {"retry_after": exc.retry_after}
        except Forbidden as exc:
            metrics.SENDS.labels("403").inc()
            return {"forbidden": exc.message}
        except BadRequest as exc:
            if any(harmless in exc.message.lower() for harmless in HARMLESS_BAD_REQUESTS):  # ptb capitalises
                metrics.SENDS.labels("sent").inc()
                return {"sent": None}
            metrics.SENDS.labels("400").inc()
            return {"failed": f"BadRequest: {exc.message}"}
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            outcome = "5xx" if isinstance(exc, ServerError) else "timeout" if isinstance(exc, TimedOut) else "network"
            metrics.SENDS.labels(outcome).inc()
            return {"retry": f"{type(exc).__name__}: {exc.message}"}
        metrics.SENDS.labels("sent").inc()
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return {"sent": message_id}

    async def _record(self, session: AsyncSession, outcomes: list[_Outcome], now: datetime) -> bool:
        """Record the calls' outcomes on their rows; True when a row was wiped."""
        others = [o for o in outcomes if not o.sent]
        wiped = False
        for sensitive in (False, True):  # the common case, in plain statements: no row is loaded to say it was sent
            sent = [{"row_id": o.row_id, "message_id": o.outcome["sent"], "sent_now": now}
                    for o in outcomes if o.sent and o.sensitive == sensitive]
            if not sent:
                continue
            await session.execute(_RECORD_SENT[sensitive], sent)
            wiped |= sensitive
        if others:
            rows = {row.id: row for row in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_([o.row_id for o in others])))}
            for o in others:
                row = rows.get(o.row_id)
                if row is None:  # gone meanwhile (a person's data erased): nothing to record
                    continue
                wiped |= await self._apply_outcome(session, row, o.chat_id, o.outcome, now)
        return wiped

    async def _apply_outcome(self, session: AsyncSession, row: OutboxMessage, chat_id: int, outcome: dict, now: datetime) -> bool:
        """Record one outcome other than "sent" on its row; True when the row was wiped."""
        row_id = row.id
        if "retry_after" in outcome:
            row.status, row.not_before = "pending", now + timedelta(seconds=outcome["retry_after"])
            log.info("429 for a chat: waiting %.0f s", outcome["retry_after"])
        elif "forbidden" in outcome:
            row.status, row.error = "failed", f"Forbidden: {outcome['forbidden']}"
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.chat_id == chat_id, OutboxMessage.status == "pending", OutboxMessage.id != row_id,
            ).values(status="failed", error="Forbidden: recipient blocked the bot"))
            user = await session.get(User, chat_id)
            if user is not None:
                user.blocked_at = now
            elif chat_id > 0 and not row.sensitive:  # e.g. an admin who never wrote to the bot
                session.add(User(telegram_id=chat_id, display_name="", language="id", created_at=now,
                                 last_seen_at=now, blocked_at=now))
            log.info("a user blocked the bot; their queued messages were dropped")
        elif "failed" in outcome:
            row.status, row.error = "failed", outcome["failed"]
            log.error("outbox row %s (%s) rejected: %s", row_id, row.method, outcome["failed"])
        else:
            row.attempts += 1
            if row.attempts >= self.limits.max_attempts:
                row.status, row.error = "failed", outcome["retry"]
                log.error("outbox row %s gave up after %d attempts: %s", row_id, row.attempts, outcome["retry"])
            else:
                backoff = min(300.0, 2 ** row.attempts) * random.uniform(0.8, 1.2)
                row.status, row.not_before, row.error = "pending", now + timedelta(seconds=backoff), outcome["retry"]
        row.claimed_at = None
        if row.sensitive and row.status == "failed":  # a whistleblower's message: forget where it went and what it said (sent ones: see _record)
            row.chat_id, row.payload = 0, {}
            return True
        return False
