"""Complaints as the case rules see them, and transitions written back with their audit row."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import Status
from cases.workflow import Actor, CaseView, Transition
from storage.models import AuditEntry, Complaint

_VIEW_FIELDS = tuple(f.name for f in fields(CaseView) if f.name != "status")


def case_view(complaint: Complaint) -> CaseView:
    values = {name: getattr(complaint, name) for name in _VIEW_FIELDS}
    return CaseView(status=Status(complaint.status), **values)


def actor_label(actor: Actor) -> str:
    """How the audit log names an actor: role, then id (and agency for officers)."""
    if actor.kind == "system":
        return "system"
    if actor.kind == "officer":
        return f"officer:{actor.agency_code}:{actor.telegram_id}"
    return f"{actor.kind}:{actor.telegram_id}"


async def record(session: AsyncSession, complaint: Complaint, transition: Transition, actor: Actor, now: datetime) -> None:
    """Apply `transition` to the row and append the audit entry, in the caller's transaction."""
    for name, value in transition.changes.items():
        if name not in _VIEW_FIELDS:
            raise ValueError(f"transition changes unknown field {name}")
        setattr(complaint, name, value)
    complaint.status = transition.to_status.value
    if transition.score is not None:
        complaint.rating = transition.score
        complaint.rating_comment = transition.reason or None
    session.add(AuditEntry(complaint_id=complaint.id, actor=actor_label(actor), action=transition.action,
                           from_status=transition.from_status.value, to_status=transition.to_status.value,
                           reason=transition.reason, at=now))


async def history(session: AsyncSession, complaint: Complaint) -> list[AuditEntry]:
    rows = await session.scalars(select(AuditEntry).where(AuditEntry.complaint_id == complaint.id).order_by(AuditEntry.at, AuditEntry.id))
    return list(rows)
