"""Who may do what: admins, OPD officers and their one-time invitations.

Functions here work inside the caller's session and transaction (they flush, never commit), so a
caller can combine them with other changes and commit once.

Invitations are Telegram deep links `https://t.me/<bot>?start=<payload>`; the payload is
`inv_` + a 256-bit `secrets.token_urlsafe` secret (47 characters, all in Telegram's allowed
`A-Za-z0-9_-`, under its 64-character limit). Only `sha256(secret)` is stored, so a copy of the
database cannot be turned into working invitations.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import BindParameter, CursorResult, Select, bindparam, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Admin, Agency, Invite, Officer

INVITE_PREFIX = "inv_"
SECRET_BYTES = 32  # 256 bits -> 43 URL-safe characters
_PAYLOAD = re.compile(r"^inv_([A-Za-z0-9_-]{22,60})$")


class RoleError(Exception):
    """An operator or officer action that cannot be done; the message says why."""


class AgencyUnknown(RoleError):
    pass


class NotAnOfficer(RoleError):
    pass


class InviteError(RoleError):
    """An invitation could not be redeemed (or created)."""


class InviteUnknown(InviteError):
    """Not an invitation payload, or no invitation with this secret (forged, mistyped)."""


class InviteExpired(InviteError):
    pass


class InviteUsed(InviteError):
    pass


class AgencyInactive(InviteError):
    pass


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC time")
    return moment


def _valid_telegram_id(telegram_id: int) -> int:
    if isinstance(telegram_id, bool) or not isinstance(telegram_id, int) or telegram_id <= 0:
        raise ValueError(f"not a Telegram user id: {telegram_id!r}")
    return telegram_id


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def is_invite_payload(payload: str) -> bool:
    """Whether a /start payload looks like an invitation (for the bot's /start routing)."""
    return bool(_PAYLOAD.match(payload or ""))


# --- admins -----------------------------------------------------------------------------------


async def is_admin(session: AsyncSession, telegram_id: int, env_admin_ids: Iterable[int]) -> bool:
    if telegram_id in set(env_admin_ids):
        return True
    return await session.get(Admin, telegram_id) is not None


async def add_admin(session: AsyncSession, telegram_id: int, added_by: str, now: datetime) -> bool:
    """Add a database admin; False if already one."""
    _valid_telegram_id(telegram_id)
    if await session.get(Admin, telegram_id) is not None:
        return False
    session.add(Admin(telegram_id=telegram_id, added_at=_aware(now), added_by=added_by))
    await session.flush()
    return True


async def remove_admin(session: AsyncSession, telegram_id: int) -> bool:
    """Remove a database admin; False if not one (ADMIN_TELEGRAM_IDS is not the database's)."""
    admin = await session.get(Admin, telegram_id)
    if admin is None:
        return False
    await session.delete(admin)
    await session.flush()
    return True


async def db_admins(session: AsyncSession) -> list[Admin]:
    return list((await session.scalars(select(Admin).order_by(Admin.telegram_id))).all())


# --- officers ---------------------------------------------------------------------------------


def _active_officer(telegram_id: int | BindParameter[int]) -> Select[tuple[Officer]]:
    return (select(Officer).join(Agency, Agency.code == Officer.agency_code)
            .where(Officer.telegram_id == telegram_id, Officer.revoked_at.is_(None), Agency.active.is_(True)))


async def officer_of(session: AsyncSession, telegram_id: int) -> Officer | None:
    """The active (not revoked) officer row of this user in an *active* agency, if any."""
    return await session.scalar(_active_officer(telegram_id).order_by(Officer.joined_at.desc(), Officer.id.desc()).limit(1))


# Whether :user is an admin (in the table) or an active officer: asked of everyone on every
# update, in the statement that reads the sender's row (storage.repo.Repository.sender).
STAFF = or_(select(Admin.telegram_id).where(Admin.telegram_id == bindparam("user")).exists(),
            _active_officer(bindparam("user")).exists())
ONE_ROW = select(literal(1).label("one")).subquery()  # a one-row select: a stranger's outer joins still give a row


async def officers_of(session: AsyncSession, agency_code: str) -> list[Officer]:
    """Active officers of an agency, the head first, then by joining time."""
    rows = await session.scalars(
        select(Officer)
        .where(Officer.agency_code == agency_code, Officer.revoked_at.is_(None))
        .order_by(Officer.is_head.desc(), Officer.joined_at, Officer.id)
    )
    return list(rows.all())


async def head_of(session: AsyncSession, agency_code: str) -> Officer | None:
    return await session.scalar(
        select(Officer)
        .where(Officer.agency_code == agency_code, Officer.revoked_at.is_(None), Officer.is_head.is_(True))
        .order_by(Officer.joined_at.desc(), Officer.id.desc())
        .limit(1)
    )


async def revoke_officer(session: AsyncSession, agency_code: str, telegram_id: int, now: datetime) -> Officer:
    """Revoke an active officer of an agency (the row stays, with revoked_at)."""
    if await session.get(Agency, agency_code) is None:
        raise AgencyUnknown(f"no agency with code {agency_code}")
    officer = await session.scalar(
        select(Officer).where(
            Officer.agency_code == agency_code, Officer.telegram_id == telegram_id, Officer.revoked_at.is_(None)
        )
    )
    if officer is None:
        raise NotAnOfficer(f"{telegram_id} is not an active officer of {agency_code}")
    officer.revoked_at = _aware(now)
    await session.flush()
    return officer


# --- invitations ------------------------------------------------------------------------------


async def create_invite(
    session: AsyncSession, agency_code: str, as_head: bool, created_by: str, now: datetime, ttl: timedelta
) -> tuple[Invite, str]:
    """A new single-use invitation; returns the row and the /start payload (shown once, never
    stored). Raises AgencyUnknown or AgencyInactive."""
    _aware(now)
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    agency = await session.get(Agency, agency_code)
    if agency is None:
        raise AgencyUnknown(f"no agency with code {agency_code}")
    if not agency.active:
        raise AgencyInactive(f"agency {agency_code} is inactive")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    invite = Invite(
        agency_code=agency_code,
        as_head=as_head,
        secret_hash=hash_secret(secret),
        created_at=now,
        created_by=created_by,
        expires_at=now + ttl,
    )
    session.add(invite)
    await session.flush()
    return invite, INVITE_PREFIX + secret


async def redeem_invite(session: AsyncSession, payload: str, telegram_id: int, now: datetime) -> Officer:
    """Make `telegram_id` an officer of the invitation's agency and use the invitation up, in the
    caller's transaction (commit it for the change to count).

    - an officer active in another agency is moved (the old row gets revoked_at=now);
    - already an officer of this agency: the row is kept (a head invitation makes it the head);
    - a head invitation makes the previous head an ordinary officer (one head per agency).

    Raises InviteUnknown, InviteUsed, InviteExpired or AgencyInactive; nothing is changed then.
    """
    _aware(now)
    _valid_telegram_id(telegram_id)
    match = _PAYLOAD.match(payload or "")
    if match is None:
        raise InviteUnknown("not an invitation link")
    digest = hash_secret(match.group(1))
    invite = await session.scalar(select(Invite).where(Invite.secret_hash == digest))
    if invite is None or not hmac.compare_digest(invite.secret_hash, digest):
        raise InviteUnknown("unknown invitation")
    if invite.used_at is not None:
        raise InviteUsed("invitation already used")
    if invite.expires_at <= now:
        raise InviteExpired("invitation expired")
    agency = await session.get(Agency, invite.agency_code)
    if agency is None or not agency.active:
        raise AgencyInactive(f"agency {invite.agency_code} is inactive")

    # Claim it with a conditional UPDATE: of two concurrent redemptions only one matches.
    claimed = cast(
        "CursorResult[Any]",
        await session.execute(
            update(Invite)
            .where(Invite.id == invite.id, Invite.used_at.is_(None))
            .values(used_at=now, used_by=telegram_id)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        raise InviteUsed("invitation already used")
    invite.used_at, invite.used_by = now, telegram_id

    current = (
        await session.scalars(select(Officer).where(Officer.telegram_id == telegram_id, Officer.revoked_at.is_(None)))
    ).all()
    officer: Officer | None = None
    for row in current:
        if row.agency_code == invite.agency_code and officer is None:
            officer = row
        else:
            row.revoked_at = now
    if invite.as_head:
        previous = (
            await session.scalars(
                select(Officer).where(
                    Officer.agency_code == invite.agency_code,
                    Officer.revoked_at.is_(None),
                    Officer.is_head.is_(True),
                    Officer.telegram_id != telegram_id,
                )
            )
        ).all()
        for row in previous:
            row.is_head = False
    if officer is None:
        officer = Officer(
            telegram_id=telegram_id,
            agency_code=invite.agency_code,
            is_head=invite.as_head,
            joined_at=now,
            invite_id=invite.id,
        )
        session.add(officer)
    elif invite.as_head:
        officer.is_head = True
    await session.flush()
    return officer
