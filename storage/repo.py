"""Queries and writes the conversations need, inside the caller's transaction (one per update)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.tickets import format_ticket
from storage.db import dialect_insert
from storage.models import (
    Agency,
    Attachment,
    AuditEntry,
    Complaint,
    Conversation,
    GroupNotice,
    PendingInput,
    TicketCounter,
    User,
    utcnow,
)
from storage.roles import ONE_ROW, STAFF

# The draft is read and saved at every answer of a form: plain statements built once, not the
# ORM's identity map and unit of work (a draft is one JSON value under its user's id).
_DRAFTS = cast(Table, Conversation.__table__)
_READ_DRAFT = select(_DRAFTS.c.state, _DRAFTS.c.updated_at, _DRAFTS.c.expires_at).where(_DRAFTS.c.user_id == bindparam("uid"))
_UPDATE_DRAFT = (update(_DRAFTS).where(_DRAFTS.c.user_id == bindparam("uid"))
                 .values(state=bindparam("state"), updated_at=bindparam("now"), expires_at=bindparam("expires")))  # fmt: skip
_INSERT_DRAFT = insert(_DRAFTS).values(user_id=bindparam("uid"), state=bindparam("state"), updated_at=bindparam("now"),
                                       expires_at=bindparam("expires"))  # fmt: skip
_DELETE_DRAFT = delete(_DRAFTS).where(_DRAFTS.c.user_id == bindparam("uid"))
# Asked on every update: the sender's user row (if any), whether they are staff, and their draft
# (if any) — the draft in the same statement, as the form's every answer reads it next.
_SENDER = (select(User, STAFF.label("staff"), _DRAFTS.c.state, _DRAFTS.c.updated_at, _DRAFTS.c.expires_at)
           .select_from(ONE_ROW).outerjoin(User, User.telegram_id == bindparam("user"))
           .outerjoin(_DRAFTS, _DRAFTS.c.user_id == bindparam("user")))  # fmt: skip


@dataclass(frozen=True)
class Draft:
    """The form a user is filling in, as last saved."""

    state: dict[str, Any]
    updated_at: datetime


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Drafts read along with their sender (see `sender`), by user id, until first asked for
        # or written: None when the sender had none.
        self._drafts: dict[int, Any] = {}

    # -- users --------------------------------------------------------------------------------

    async def sender(self, telegram_id: int, env_admin_ids: Iterable[int]) -> tuple[User | None, bool]:
        """The sender's user row (None: they have none) and whether they are an admin or an active
        officer; their draft is read in the same statement, for `conversation` to hand out."""
        row = (await self.session.execute(_SENDER, {"user": telegram_id})).one()
        self._drafts[telegram_id] = row if row.updated_at is not None else None
        return row[0], telegram_id in set(env_admin_ids) or bool(row.staff)

    async def remember_user(self, telegram_id: int, display_name: str, username: str | None, language: str,
                            now: datetime) -> User:
        """The user's row, created if need be (a reporter, an officer, an admin, a chosen language)."""
        user = await self.session.get(User, telegram_id)
        if user is None:
            user = User(telegram_id=telegram_id, display_name=display_name[:200], username=username,
                        language=language, created_at=now, last_seen_at=now)  # fmt: skip
            self.session.add(user)
            await self.session.flush()
        return user

    def seen(self, user: User, display_name: str, username: str | None, now: datetime) -> None:
        user.display_name = display_name[:200]
        user.username = username
        user.last_seen_at = now
        if user.blocked_at is not None:
            user.blocked_at = None  # they wrote to us, so they unblocked the bot

    async def user(self, telegram_id: int) -> User | None:
        return await self.session.get(User, telegram_id)

    async def languages_of(self, ids: Sequence[int]) -> dict[int, str]:
        rows = await self.session.execute(select(User.telegram_id, User.language).where(User.telegram_id.in_(ids)))
        return {row[0]: row[1] for row in rows}

    # -- conversations ------------------------------------------------------------------------

    async def conversation(self, user_id: int, now: datetime) -> Draft | None:
        """The user's draft; an expired one is deleted and is none."""
        if user_id in self._drafts:  # read with the sender, nothing written since
            row = self._drafts.pop(user_id)
        else:
            row = (await self.session.execute(_READ_DRAFT, {"uid": user_id})).first()
        if row is None:
            return None
        if row.expires_at <= now:
            await self.session.execute(_DELETE_DRAFT, {"uid": user_id})
            return None
        return Draft(row.state, row.updated_at)

    def forget_draft(self, user_id: int) -> None:
        """The draft was written or deleted other than through this repository (erasure): the
        one read with the sender is no longer to be handed out."""
        self._drafts.pop(user_id, None)

    async def save_conversation(self, user_id: int, state: dict[str, Any] | None, now: datetime, ttl: timedelta) -> None:
        """Keep `state` as the user's draft (None: delete it). An update, or an insert when there
        was none: the processor's chat lock means no one else writes this user's draft meanwhile."""
        self.forget_draft(user_id)
        if state is None:
            await self.session.execute(_DELETE_DRAFT, {"uid": user_id})
            return
        values = {"uid": user_id, "state": state, "now": now, "expires": now + ttl}
        updated = cast(CursorResult[Any], await self.session.execute(_UPDATE_DRAFT, values))
        if updated.rowcount == 0:
            await self.session.execute(_INSERT_DRAFT, values)

    # -- inputs a case button asked for ------------------------------------------------------

    async def pending_input(self, user_id: int, now: datetime) -> PendingInput | None:
        pending = await self.session.get(PendingInput, user_id)
        if pending is not None and pending.expires_at <= now:
            await self.session.delete(pending)
            await self.session.flush()
            return None
        return pending

    async def start_input(self, user_id: int, action: str, complaint_id: int, argument: str | None,
                          nonce: str, now: datetime, ttl: timedelta, text: str | None = None) -> PendingInput:
        """Replace whatever the user was asked before with this (one question at a time)."""
        await self.clear_input(user_id)
        pending = PendingInput(user_id=user_id, action=action, complaint_id=complaint_id, argument=argument,
                               text=text, files=[], nonce=nonce, created_at=now, expires_at=now + ttl)  # fmt: skip
        self.session.add(pending)
        await self.session.flush()
        return pending

    async def clear_input(self, user_id: int) -> None:
        pending = await self.session.get(PendingInput, user_id)
        if pending is not None:
            await self.session.delete(pending)
            await self.session.flush()

    # -- groups -------------------------------------------------------------------------------

    async def should_notice_group(self, chat_id: int, now: datetime, every: timedelta) -> bool:
        """True at most once per `every` per group, so a busy group is not answered each time."""
        notice = await self.session.get(GroupNotice, chat_id)
        if notice is None:
            self.session.add(GroupNotice(chat_id=chat_id, noticed_at=now))
            return True
        if now - notice.noticed_at >= every:
            notice.noticed_at = now
            return True
        return False

    # -- agencies -----------------------------------------------------------------------------

    async def active_agencies(self) -> list[Agency]:
        rows = await self.session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name))
        return list(rows)

    async def all_agencies(self) -> list[Agency]:
        """Active and inactive: a case keeps the name of an agency deactivated since."""
        return list(await self.session.scalars(select(Agency).order_by(Agency.name)))

    async def agency(self, code: str) -> Agency | None:
        return await self.session.get(Agency, code)

    # -- complaints ---------------------------------------------------------------------------

    async def next_ticket(self, year: int) -> str:
        # UPDATE ... RETURNING locks the counter row until commit, so two processes never share a number.
        count = (update(TicketCounter).where(TicketCounter.year == year)
                 .values(last_number=TicketCounter.last_number + 1).returning(TicketCounter.last_number))
        number = (await self.session.execute(count)).scalar_one_or_none()
        if number is None:
            # The year's first report: its counter is created unless a concurrent transaction just
            # did (then this waits for that one to commit and counts after it), never twice.
            await self.session.execute(dialect_insert(self.session)(TicketCounter).values(year=year, last_number=0)
                                       .on_conflict_do_nothing(index_elements=["year"]))
            number = (await self.session.execute(count)).scalar_one()
        return format_ticket(year, number)

    async def complaint_for_update(self, update_id: int) -> Complaint | None:
        return await self.session.scalar(select(Complaint).where(Complaint.source_update_id == update_id))

    async def add_complaint(self, complaint: Complaint, attachments: Sequence[dict[str, Any]], actor: str) -> Complaint:
        self.session.add(complaint)
        await self.session.flush()
        for position, item in enumerate(attachments):
            self.session.add(Attachment.of(complaint.id, position, item))
        self.session.add(AuditEntry(complaint_id=complaint.id, actor=actor, action="submit",
                                    from_status=None, to_status=complaint.status, at=complaint.created_at))
        await self.session.flush()
        await self.session.refresh(complaint, ["attachments"])
        return complaint

    async def complaint_by_ticket(self, ticket: str) -> Complaint | None:
        return await self.session.scalar(select(Complaint).where(Complaint.ticket == ticket))

    async def complaint_by_id(self, complaint_id: int, *, lock: bool = False) -> Complaint | None:
        """`lock`: hold the row until commit (PostgreSQL), so two people acting on the same case at
        once are serialised and the second sees the first's transition."""
        if not lock:
            return await self.session.get(Complaint, complaint_id)
        return await self.session.scalar(select(Complaint).where(Complaint.id == complaint_id)
                                         .with_for_update().execution_options(populate_existing=True))

    async def complaints_of(self, citizen_id: int, limit: int = 10) -> tuple[list[Complaint], int]:
        total = await self.session.scalar(select(func.count()).select_from(Complaint).where(Complaint.citizen_id == citizen_id))
        rows = await self.session.scalars(
            select(Complaint).where(Complaint.citizen_id == citizen_id).order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(limit)
        )
        return list(rows), int(total or 0)


def new_complaint(**fields: Any) -> Complaint:
    fields.setdefault("created_at", utcnow())
    return Complaint(**fields)

