"""Complaints as the case rules see them, and transitions written back with their audit row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases import workflow
from cases.model import OPEN_STATUSES, Status
from cases.workflow import Actor, CaseView, Transition
from storage.models import Attachment, AuditEntry, Complaint

ADMIN_QUEUE = (Status.SUBMITTED, Status.RETURNED)
"""Cases waiting for an admin: new ones to verify, returned ones to re-route."""
AGENCY_QUEUE = (Status.VERIFIED, Status.AGENCY_INFO_REQUESTED, Status.RESPONDED)
"""An agency's open cases: to answer, waiting for the citizen's information, answered."""
THREAD_ACTIONS = ("request_info", "agency_request_info", "answer_info", "respond", "agency_reply",
                  "citizen_reply", "not_ours", "reopen", "rate", "reject", "mark_duplicate", "add_evidence")  # fmt: skip
"""Audit actions that carry a message someone wrote: the case's conversation."""

_VIEW_FIELDS = tuple(f.name for f in fields(CaseView) if f.name != "status")


def case_view(complaint: Complaint) -> CaseView:
    values = {name: getattr(complaint, name) for name in _VIEW_FIELDS}
    return CaseView(status=Status(complaint.status), **values)


def actor_label(actor: Actor) -> str:
    """How the audit log names an actor: role, then id (and agency for officers)."""
    if actor.kind in ("system", "whistleblower"):
        return actor.kind
    if actor.kind == "officer":
        return f"officer:{actor.agency_code}:{actor.telegram_id}"
    return f"{actor.kind}:{actor.telegram_id}"


async def record(
    session: AsyncSession, complaint: Complaint, transition: Transition, actor: Actor, now: datetime,
    files: Sequence[dict[str, Any]] = (),
) -> AuditEntry:
    """Apply `transition` to the row and append the audit entry (with the message's `files`), in
    the caller's transaction. The entry keeps the facts the figures need: the agency after the
    action and the deadline it was measured against (`workflow.MEASURED_AGAINST`)."""
    measured = workflow.MEASURED_AGAINST.get(transition.action)
    due = getattr(complaint, measured) if measured else None
    for name, value in transition.changes.items():
        if name not in _VIEW_FIELDS:
            raise ValueError(f"transition changes unknown field {name}")
        setattr(complaint, name, value)
    complaint.status = transition.to_status.value
    _milestones(complaint, transition.action, now, due)
    if transition.score is not None:
        complaint.rating = transition.score
        complaint.rating_comment = transition.reason or None
    entry = AuditEntry(complaint_id=complaint.id, actor=actor_label(actor), action=transition.action,
                       from_status=transition.from_status.value, to_status=transition.to_status.value,
                       reason=transition.reason, at=now, agency_code=complaint.agency_code, due=due,
                       code=transition.code)  # fmt: skip
    session.add(entry)
    await session.flush()
    if files:
        position = max((a.position for a in complaint.attachments), default=-1) + 1
        for offset, item in enumerate(files):
            session.add(Attachment.of(complaint.id, position + offset, item, entry.id))
        await session.flush()
        await session.refresh(complaint, ["attachments"])
    return entry


def _milestones(complaint: Complaint, action: str, now: datetime, due: object) -> None:
    """The case's milestones (see `Complaint`), set as they happen; the first of each stays."""
    if action in ("verify_and_route", "reject", "mark_duplicate") and complaint.verified_at is None:
        complaint.verified_at = now
    if action == "verify_and_route":
        complaint.first_routed_at = complaint.first_routed_at or now
        complaint.routed_at = now
    elif action == "respond" and complaint.first_response_at is None:
        complaint.first_response_at = now
        complaint.first_response_routed_at = complaint.routed_at
        complaint.first_response_due = due  # type: ignore[assignment]
    elif action == "rate":
        complaint.rated_at = now


async def history(session: AsyncSession, complaint: Complaint) -> list[AuditEntry]:
    rows = await session.scalars(select(AuditEntry).where(AuditEntry.complaint_id == complaint.id).order_by(AuditEntry.at, AuditEntry.id))
    return list(rows)


async def thread(session: AsyncSession, complaint: Complaint, limit: int = 8) -> list[AuditEntry]:
    """The latest messages of the case (oldest first), as `THREAD_ACTIONS` defines them."""
    rows = await session.scalars(
        select(AuditEntry).where(AuditEntry.complaint_id == complaint.id, AuditEntry.action.in_(THREAD_ACTIONS))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    )
    return list(reversed(list(rows)))


async def admin_queue(session: AsyncSession, limit: int, offset: int = 0) -> tuple[list[Complaint], int]:
    """Cases waiting for an admin, oldest verification deadline first."""
    where = Complaint.status.in_([s.value for s in ADMIN_QUEUE])
    total = await session.scalar(select(func.count()).select_from(Complaint).where(where))
    rows = await session.scalars(select(Complaint).where(where)
                                 .order_by(Complaint.verification_due, Complaint.created_at, Complaint.id)
                                 .limit(limit).offset(offset))  # fmt: skip
    return list(rows), int(total or 0)


async def agency_queue(session: AsyncSession, agency_code: str, limit: int, offset: int = 0) -> tuple[list[Complaint], int]:
    """An agency's open cases: those it must answer first, nearest deadline first."""
    where = (Complaint.agency_code == agency_code) & Complaint.status.in_([s.value for s in AGENCY_QUEUE])
    total = await session.scalar(select(func.count()).select_from(Complaint).where(where))
    its_turn = case((Complaint.status == Status.VERIFIED.value, 0), else_=1)
    rows = await session.scalars(select(Complaint).where(where)
                                 .order_by(its_turn, Complaint.response_due, Complaint.created_at, Complaint.id)
                                 .limit(limit).offset(offset))  # fmt: skip
    return list(rows), int(total or 0)


SIMILAR_WINDOW = 500  # the most recent open cases compared with a new one
_NEARBY_DEGREES = 0.01  # ~1.1 km: a box around a location, narrowed to 500 m by the caller


async def similar_candidates(session: AsyncSession, exclude: int, kecamatan: str | None, latitude: float | None,
                             longitude: float | None) -> list[Complaint]:
    """Open cases that may be about the same place as a new report: the same kecamatan, a location
    nearby, or a whistleblower's (their place is sealed: the caller opens it)."""
    near: list[ColumnElement[bool]] = [Complaint.anonymous.is_(True)]
    if kecamatan:
        near.append(Complaint.kecamatan == kecamatan)
    if latitude is not None and longitude is not None:
        near.append(Complaint.latitude.between(latitude - _NEARBY_DEGREES, latitude + _NEARBY_DEGREES)
                    & Complaint.longitude.between(longitude - _NEARBY_DEGREES, longitude + _NEARBY_DEGREES))  # fmt: skip
    rows = await session.scalars(
        select(Complaint).where(Complaint.id != exclude, Complaint.status.in_([s.value for s in OPEN_STATUSES]), or_(*near))
        .order_by(Complaint.created_at.desc()).limit(SIMILAR_WINDOW)
    )
    return list(rows)


async def awaiting_citizen(session: AsyncSession, citizen_id: int) -> list[Complaint]:
    """The citizen's cases where someone waits for their information."""
    rows = await session.scalars(select(Complaint).where(
        Complaint.citizen_id == citizen_id,
        Complaint.status.in_([Status.INFO_REQUESTED.value, Status.AGENCY_INFO_REQUESTED.value]),
    ).order_by(Complaint.created_at))  # fmt: skip
    return list(rows)
