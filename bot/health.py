"""What /readyz and the queue gauges of /metrics report: the inbox and outbox as the database has
them, measured with a few indexed counts (both tables are indexed by status first), and the
thresholds above which the bot says it is not ready."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from storage.db import Database
from storage.models import InboxUpdate, OutboxMessage

UNSENT = ("pending", "sending")


@dataclass(frozen=True)
class Thresholds:
    inbox_pending: int
    outbox_backlog: int
    outbox_age_seconds: float


@dataclass(frozen=True)
class Backlog:
    inbox_pending: int
    outbox_backlog: int
    # How long the oldest outbox row that may go (its `not_before` passed) has waited; a row held
    # back on purpose (a debounce, a 429's wait) does not count until its time comes.
    outbox_oldest_seconds: float


async def measure(db: Database, now: datetime) -> Backlog:
    async with db.read() as session:
        inbox = await session.scalar(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending"))
        outbox = await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(UNSENT)))
        oldest = await session.scalar(select(func.min(OutboxMessage.not_before))
                                      .where(OutboxMessage.status.in_(UNSENT), OutboxMessage.not_before <= now))  # fmt: skip
    # min() keeps the column's type, so `oldest` is an aware UTC datetime on every backend.
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return Backlog(int(inbox or 0), int(outbox or 0), age)


def reasons(backlog: Backlog, limits: Thresholds) -> list[str]:
    """Why the bot is not ready, in words an operator reads in a probe's output; [] when it is."""
    found = []
    if backlog.inbox_pending > limits.inbox_pending:
        found.append(f"inbox backlog {backlog.inbox_pending} > {limits.inbox_pending}")
    if backlog.outbox_backlog > limits.outbox_backlog:
        found.append(f"outbox backlog {backlog.outbox_backlog} > {limits.outbox_backlog}")
    if backlog.outbox_oldest_seconds > limits.outbox_age_seconds:
        found.append(f"oldest unsent message waited {backlog.outbox_oldest_seconds:.0f} s > {limits.outbox_age_seconds:.0f} s")
    return found
