"""Reminder rows (sent exactly once by construction) and the queries the scheduler's jobs need."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import Status
from storage.models import AuditEntry, Complaint, Reminder

SWEPT = (Status.SUBMITTED, Status.RETURNED, Status.VERIFIED, Status.RESPONDED)
"""Statuses someone is on the clock for (paused cases wait for the citizen)."""


async def claim(session: AsyncSession, key: str, kind: str, day: date, now: datetime, *,
                complaint_id: int | None = None, tier: int = 0, recipients: int = 0) -> bool:
    """Insert the row unless its key exists; True when this call inserted it.

    INSERT … ON CONFLICT DO NOTHING: a concurrent sweep waits for ours to commit and then finds
    the key taken, so of two sweeps exactly one sends.
    """
    values = dict(key=key, kind=kind, day=day, created_at=now, complaint_id=complaint_id, tier=tier,
                  recipients=recipients)  # fmt: skip
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Reminder).values(**values).on_conflict_do_nothing(index_elements=["key"]).returning(Reminder.id)
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def open_cases(session: AsyncSession) -> list[Complaint]:
    rows = await session.scalars(select(Complaint).where(Complaint.status.in_([s.value for s in SWEPT]))
                                 .order_by(Complaint.id))  # fmt: skip
    return list(rows)


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
