"""Reminder rows (sent exactly once by construction) and the queries the scheduler's jobs need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import Status
from cases.reminders import STAGE_KINDS, Window
from storage.db import dialect_insert
from storage.models import AuditEntry, Complaint, Reminder


@dataclass(frozen=True)
class Claim:
    key: str
    kind: str
    day: date
    complaint_id: int | None = None
    tier: int = 0
    recipients: int = 0


CLAIMS_PER_STATEMENT = 500  # SQLite allows 32,766 parameters a statement; seven a row


async def claim_many(session: AsyncSession, claims: list[Claim], now: datetime) -> set[str]:
    """Insert each row unless its key exists; returns the keys this call inserted.

    INSERT … ON CONFLICT DO NOTHING: a concurrent sweep waits for ours to commit and then finds
    the keys taken, so of two sweeps exactly one sends.
    """
    insert = dialect_insert(session)
    inserted: set[str] = set()
    for start in range(0, len(claims), CLAIMS_PER_STATEMENT):
        rows = [dict(key=c.key, kind=c.kind, day=c.day, created_at=now, complaint_id=c.complaint_id, tier=c.tier,
                     recipients=c.recipients) for c in claims[start:start + CLAIMS_PER_STATEMENT]]  # fmt: skip
        statement = insert(Reminder).values(rows).on_conflict_do_nothing(index_elements=["key"]).returning(Reminder.key)
        inserted.update(await session.scalars(statement))
    return inserted


async def claim(session: AsyncSession, key: str, kind: str, day: date, now: datetime, *,
                complaint_id: int | None = None, tier: int = 0, recipients: int = 0) -> bool:
    """One row of `claim_many`; True when this call inserted it."""
    return key in await claim_many(session, [Claim(key, kind, day, complaint_id, tier, recipients)], now)


async def due_candidates(session: AsyncSession, window: Window) -> list[Complaint]:
    """The open cases that may have something due today (`cases.reminders.window`) and have had
    no reminder of their stage yet today: the first sweep of a day takes what is due, the later
    ones only what became due since (a case returned by its agency at noon, say). All tiers of a
    case are claimed in one sweep, so a head appointed later that day is reminded the next."""
    c = Complaint

    def not_swept(status: Status) -> Any:
        return ~exists().where(Reminder.complaint_id == c.id, Reminder.day == window.today,
                               Reminder.kind.in_([k.value for k in STAGE_KINDS[status]]))  # fmt: skip

    bounds = or_(
        and_(c.status == Status.SUBMITTED.value, c.verification_due < window.verify_before, not_swept(Status.SUBMITTED)),
        and_(c.status == Status.RETURNED.value, not_swept(Status.RETURNED)),
        and_(c.status == Status.VERIFIED.value, c.response_due <= window.respond_by, not_swept(Status.VERIFIED)),
        and_(c.status == Status.RESPONDED.value, c.responded_at < window.responded_before,
             # the citizen replied since: the agency's turn, the closing clock stands still
             or_(c.citizen_replied_at.is_(None), c.citizen_replied_at <= c.responded_at), not_swept(Status.RESPONDED)),
    )
    return list(await session.scalars(select(c).where(bounds).order_by(c.id)))


async def week_figures(session: AsyncSession, since: datetime, until: datetime, today: date) -> dict[str, dict[str, int]]:
    """Per agency code ("" for not yet routed): new, overdue, answered and closed in [since, until)."""
    figures: dict[str, dict[str, int]] = {}

    def add(code: str | None, what: str, n: int) -> None:
        row = figures.setdefault(code or "", {"new": 0, "overdue": 0, "answered": 0, "closed": 0})
        row[what] += n

    new = await session.execute(select(Complaint.agency_code, func.count()).where(
        Complaint.created_at >= since, Complaint.created_at < until).group_by(Complaint.agency_code))
    for code, n in new:
        add(code, "new", n)
    overdue = await session.execute(select(Complaint.agency_code, func.count()).where(
        Complaint.status == Status.VERIFIED.value, Complaint.response_due < today).group_by(Complaint.agency_code))
    for code, n in overdue:
        add(code, "overdue", n)
    for action, what in (("respond", "answered"), (None, "closed")):
        condition = AuditEntry.action == action if action else AuditEntry.to_status == Status.CLOSED.value
        rows = await session.execute(select(Complaint.agency_code, func.count()).join(AuditEntry, AuditEntry.complaint_id == Complaint.id)
                                     .where(condition, AuditEntry.at >= since, AuditEntry.at < until)
                                     .group_by(Complaint.agency_code))  # fmt: skip
        for code, n in rows:
            add(code, what, n)
    return figures
