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
  so a process killed in between resends the previous row, never the next one before it;
* the processing of an update takes the dispatcher's work along (Boarding): the outcomes waiting
  are recorded in its transaction, and the answers it queues that may go at once are claimed
  there and sent when it commits. A tick then only picks up the rest (rows behind a call in
  flight, rows queued elsewhere, retries) and records what no transaction took, within
  RECORD_WAIT_SECONDS of the answer.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
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
CALLBACK_METHOD = "answerCallbackQuery"  # callback answers are a lane of their own in each chat
SCAN_ROWS = 2048  # unsent rows a tick looks through at most
SCAN_PAGE = 128  # read this many at a time
UNCLAIMED_RECHECK_SECONDS = 0.25  # a row chosen but not claimed is looked at again this soon
# An answered call is recorded within this time (a row queued behind it in its lane goes at once);
# a process killed meanwhile sends it again (bot.dispatcher's lease), as it would mid-call.
RECORD_WAIT_SECONDS = 0.2
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
    behind: set[tuple[int, bool]] = field(default_factory=set)  # lanes with a row queued behind their call in flight


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
        self._wake_timer: asyncio.TimerHandle | None = None
        self._claims: dict[bool, Update] = {}  # the claiming statements, built at their first use (see _claim_rows)

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
            lane = (chat_id, method == CALLBACK_METHOD)
            if lane in seen:
                if lane in self._state.in_flight:  # waits for the call under way: its answer wakes us at once
                    self._state.behind.add(lane)
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
            may, wait = self._may_go(chat_id, method, loop_now)
            if not may:
                next_in = min(next_in, wait)
                continue
            chosen[row_id] = (chat_id, lane, method in MESSAGE_METHODS)
        if not chosen and not self._state.outcomes:
            return next_in
        claimed = await self._commit(list(chosen), now, stale)
        if len(claimed) < len(chosen):
            # A held reply whose chat has updates still to process (see _claim_rows), or a row
            # another process took: its tokens go back, and it is looked at again soon, as
            # processing those updates need not queue anything that would wake us.
            next_in = min(next_in, UNCLAIMED_RECHECK_SECONDS)
            self._give_back(chosen.keys() - {row_id for row_id, *_ in claimed}, chosen)
        self._start(claimed, chosen)
        return next_in

    def _start(self, claimed: list[tuple[int, str, dict, bool]], chosen: dict[int, tuple[int, tuple[int, bool], bool]]) -> None:
        """Start the calls of rows claimed (committed): their lanes are taken until each is answered."""
        for row_id, method, payload, sensitive in claimed:
            chat_id, lane, _ = chosen[row_id]
            self._state.in_flight.add(lane)
            task = asyncio.create_task(self._send(row_id, method, payload, chat_id, lane, sensitive))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _give_back(self, row_ids: Iterable[int], chosen: dict[int, tuple[int, tuple[int, bool], bool]]) -> None:
        """The rate tokens of rows chosen but not claimed after all."""
        for row_id in row_ids:
            chat_id, _, counted = chosen[row_id]
            if counted:
                self._chat_bucket(chat_id).give_back()
                self.bot_bucket.give_back()

    def _may_go(self, chat_id: int, method: str, loop_now: float) -> tuple[bool, float]:
        """Whether a chat's oldest row may be sent now by the rate limits (its tokens then taken),
        and else how long until it may."""
        if method not in MESSAGE_METHODS:
            return True, 0.0
        wait = max(self._chat_bucket(chat_id).wait_time(loop_now), self.bot_bucket.wait_time(loop_now))
        if wait > 0:
            return False, wait
        self._chat_bucket(chat_id).take(loop_now)
        self.bot_bucket.take(loop_now)
        return True, 0.0

    def boarding(self) -> Boarding:
        """A write transaction on the hot path (an update processed) that takes this dispatcher's
        work along: the outcomes waiting are recorded in it, and the rows it queues that may go at
        once are claimed in it and sent when it commits — no tick to record them, read them back
        and claim them in transactions of their own (see Boarding)."""
        return Boarding(self)

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
                          stale: datetime, first_in_lane: bool = False) -> list[tuple[int, str, dict, bool]]:
        """Claim the rows (those still claimable); `first_in_lane`: only a row with nothing older
        unsent in its lane (the tick knows its rows are, from its read of the queue in order)."""
        statement = self._claims.get(first_in_lane)
        if statement is None:  # built once each (the fence's values are given with each run)
            statement = self._claims[first_in_lane] = self._claim_statement(first_in_lane)
        values = {"ids": row_ids, "stale": stale, "claimed": now} | (self.role.fence_values() if self.role is not None else {})
        result = await session.execute(statement, values)
        return sorted((row_id, method, dict(payload), bool(sensitive)) for row_id, method, payload, sensitive in result.all())

    def _claim_statement(self, first_in_lane: bool) -> Update:
        # A held reply to a burst (a row with a coalesce key) waits while its chat has updates
        # still to process: the next of them replaces it (bot.outbox.supersede). On a busy
        # machine its wait can end before updates that came in time are processed. Asked
        # here, in the claim, it is asked of the rows as they are when they are taken.
        outbox, inbox = _OUTBOX.c, _INBOX.c
        unprocessed = exists().where(inbox.chat_id == outbox.chat_id, inbox.status == "pending")
        conditions = [
            outbox.id.in_(bindparam("ids", expanding=True)),
            or_(outbox.status == "pending", (outbox.status == "sending") & (outbox.claimed_at <= bindparam("stale"))),
            or_(outbox.coalesce_key.is_(None), ~unprocessed),
        ]
        if first_in_lane:  # order within a chat's lane: served by ix_outbox_pending
            earlier = _OUTBOX.alias("earlier").c
            callbacks = (earlier.method == CALLBACK_METHOD) & (outbox.method == CALLBACK_METHOD)
            messages = (earlier.method != CALLBACK_METHOD) & (outbox.method != CALLBACK_METHOD)
            conditions.append(~exists().where(earlier.status.in_(("pending", "sending")), earlier.chat_id == outbox.chat_id,
                                              earlier.id < outbox.id, callbacks | messages))
        claimable = select(outbox.id).where(*conditions).with_for_update(skip_locked=True)
        fence = self.role.fence() if self.role is not None else true()
        return (update(_OUTBOX).where(outbox.id.in_(claimable.scalar_subquery()), fence)
                .values(status="sending", claimed_at=bindparam("claimed"))
                .returning(outbox.id, outbox.method, outbox.payload, outbox.sensitive))

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
            if lane in self._state.behind:  # its next row may go now
                self._state.behind.discard(lane)
                self.wake()
            else:
                self._wake_soon()

    def _wake_soon(self) -> None:
        """A call was answered with nothing queued behind it that we know of: its outcome is
        recorded by the next hot-path transaction that takes it along (Boarding), or by a tick
        within RECORD_WAIT_SECONDS — one tick for all the answers in between, not one each."""
        if self._wake_timer is None:
            self._wake_timer = asyncio.get_running_loop().call_later(RECORD_WAIT_SECONDS, self._timer_wake)

    def _timer_wake(self) -> None:
        self._wake_timer = None
        self._wake.set()

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


class Boarding:
    """A dispatcher's work riding on a hot-path write transaction (Dispatcher.boarding):

        boarding = dispatcher.boarding()
        async with db.write_bounded() as session, session.begin():
            await boarding.record(session, now)       # first: a chat's sent row is then no longer in its way
            ...queue rows...
            all_taken = await boarding.claim(session, [(row_id, row), ...], now)
        boarding.committed()                          # on an exception instead: boarding.failed()

    A row is claimed here only if it may go at once: the first of its lane with nothing older
    unsent in it (asked in the claim), no call of its lane in flight, due now, not a held reply,
    within the rate limits, a slot free, and this process sending (holding the role; the claim
    carries the fence). The rest are the tick's, as any row. The dispatcher's own invariant holds:
    a chat's next row is claimed only in a transaction that records the previous one as sent."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher
        self._batch: list[_Outcome] = []
        self._wiped = False
        self._chosen: dict[int, tuple[int, tuple[int, bool], bool]] = {}
        self._held: set[int] = set()  # rows chosen whose rate tokens are taken and not given back
        self._claimed: list[tuple[int, str, dict, bool]] = []

    async def record(self, session: AsyncSession, now: datetime) -> None:
        """Record the outcomes waiting, in this transaction."""
        state = self._dispatcher._state
        if state.outcomes and not self._batch:
            self._batch, state.outcomes = state.outcomes, []
            self._wiped = await self._dispatcher._record(session, self._batch, now)

    async def claim(self, session: AsyncSession, queued: Sequence[tuple[int, OutboxMessage]], now: datetime) -> bool:
        """Claim, of the rows this transaction queued (ids and rows, in order), those that may go
        at once; True when that is all of them (nothing is left for a tick to find)."""
        dispatcher = self._dispatcher
        if not queued:
            return True
        if dispatcher._stopping or not dispatcher._sending or (dispatcher.role is not None and not dispatcher.role.holds):
            return False
        loop_now = asyncio.get_running_loop().time()
        free = dispatcher.limits.concurrency - len(dispatcher._tasks)
        seen: set[tuple[int, bool]] = set()
        for row_id, row in queued:
            lane = (row.chat_id, row.method == CALLBACK_METHOD)
            if lane in seen:  # a later row of a lane this transaction queued: the tick's, after the first is sent
                continue
            seen.add(lane)
            if (len(self._chosen) >= free or lane in dispatcher._state.in_flight or row.coalesce_key is not None
                    or row.not_before is not None):
                continue
            may, _ = dispatcher._may_go(row.chat_id, row.method, loop_now)
            if may:
                self._chosen[row_id] = (row.chat_id, lane, row.method in MESSAGE_METHODS)
        if not self._chosen:
            return False
        self._held = set(self._chosen)
        self._claimed = await dispatcher._claim_rows(session, list(self._chosen), now, now - dispatcher.limits.lease,
                                                     first_in_lane=True)
        claimed = {row_id for row_id, *_ in self._claimed}
        dispatcher._give_back(self._held - claimed, self._chosen)
        self._held = claimed
        return len(claimed) == len(queued)

    def committed(self) -> None:
        """The transaction committed: the outcomes are recorded, the claimed rows' calls start."""
        dispatcher = self._dispatcher
        if self._batch:
            dispatcher._state.record_failures = 0
            dispatcher._recorded(self._batch)
        if self._wiped:
            dispatcher.on_wiped()
        dispatcher._start(self._claimed, self._chosen)

    def failed(self) -> None:
        """The transaction rolled back: the outcomes wait for the next transaction, the tokens go back."""
        dispatcher = self._dispatcher
        dispatcher._state.outcomes[:0] = self._batch
        dispatcher._give_back(self._held, self._chosen)
        if self._batch:
            dispatcher.wake()  # the next tick records them
