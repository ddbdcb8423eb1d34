"""Rows of the whistleblower channel: sealed reports, tokens, throttling, drafts, the vault audit.

Nothing here holds a Telegram identifier in the clear: drafts and throttling are keyed by keyed
hashes (storage.vault.Vault.index), the push chat id is sealed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.tokens import StoredToken
from storage.models import AnonAttempt, AnonDraft, AnonFile, AnonReport, AnonToken, VaultAudit

GENESIS = "0" * 64


# -- tokens ---------------------------------------------------------------------------------------------


async def add_token(session: AsyncSession, complaint_id: int, stored: StoredToken) -> AnonToken:
    row = AnonToken(complaint_id=complaint_id, lookup=stored.lookup, salt=stored.salt, digest=stored.digest, retired=False)
    session.add(row)
    await session.flush()
    return row


async def token(session: AsyncSession, lookup: str) -> AnonToken | None:
    return await session.scalar(select(AnonToken).where(AnonToken.lookup == lookup))


async def tokens_of(session: AsyncSession, complaint_id: int) -> list[AnonToken]:
    """Every token a case ever had, used or not."""
    return list(await session.scalars(select(AnonToken).where(AnonToken.complaint_id == complaint_id)))


def stored(row: AnonToken) -> StoredToken:
    return StoredToken(row.lookup, row.salt, row.digest)


# -- throttling -----------------------------------------------------------------------------------------


async def failures(session: AsyncSession, key: str, now: datetime, window: timedelta) -> int:
    row = await session.get(AnonAttempt, key)
    if row is None or now - row.window_start >= window:
        return 0
    return row.failures


async def fail(session: AsyncSession, key: str, now: datetime, window: timedelta) -> None:
    row = await session.get(AnonAttempt, key)
    if row is None:
        session.add(AnonAttempt(key=key, window_start=now, failures=1))
    elif now - row.window_start >= window:
        row.window_start, row.failures = now, 1
    else:
        row.failures += 1


# -- drafts and sessions (sealed, keyed by a keyed hash of the user) ---------------------------------------


async def draft(session: AsyncSession, key: str, now: datetime) -> AnonDraft | None:
    row = await session.get(AnonDraft, key)
    if row is not None and row.expires_at <= now:
        await session.delete(row)
        await session.flush()
        return None
    return row


async def save_draft(session: AsyncSession, key: str, state: bytes, now: datetime, ttl: timedelta) -> None:
    row = await session.get(AnonDraft, key)
    if row is None:
        session.add(AnonDraft(key=key, state=state, updated_at=now, expires_at=now + ttl))
    else:
        row.state, row.updated_at, row.expires_at = state, now, now + ttl


async def drop_draft(session: AsyncSession, key: str) -> None:
    row = await session.get(AnonDraft, key)
    if row is not None:
        await session.delete(row)
        await session.flush()


# -- reports ---------------------------------------------------------------------------------------------


async def report(session: AsyncSession, complaint_id: int) -> AnonReport | None:
    return await session.get(AnonReport, complaint_id)


async def pushed_to(session: AsyncSession, push_index: str) -> list[AnonReport]:
    return list(await session.scalars(select(AnonReport).where(AnonReport.push_index == push_index)))


async def files_of(session: AsyncSession, complaint_id: int) -> list[AnonFile]:
    return list(await session.scalars(select(AnonFile).where(AnonFile.complaint_id == complaint_id).order_by(AnonFile.id)))


async def pending_files(session: AsyncSession, limit: int = 20) -> list[int]:
    return list(await session.scalars(select(AnonFile.id).where(AnonFile.status == "pending").order_by(AnonFile.id).limit(limit)))


async def all_reports(session: AsyncSession) -> list[AnonReport]:
    return list(await session.scalars(select(AnonReport).order_by(AnonReport.complaint_id)))


# -- the vault's audit log (hash-chained) ------------------------------------------------------------------


def _hash(previous: str, at: datetime, action: str, ticket: str | None, operator: str, detail: str) -> str:
    body = json.dumps([previous, at.astimezone(timezone.utc).isoformat(), action, ticket, operator, detail], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


async def audit(session: AsyncSession, action: str, ticket: str | None, operator: str, detail: str, now: datetime) -> VaultAudit:
    last = await session.scalar(select(VaultAudit).order_by(VaultAudit.id.desc()).limit(1))
    previous = last.hash if last is not None else GENESIS
    row = VaultAudit(at=now, action=action, ticket=ticket, operator=operator, detail=detail, prev_hash=previous,
                     hash=_hash(previous, now, action, ticket, operator, detail))  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def verify_audit(session: AsyncSession) -> tuple[int, int | None]:
    """(rows checked, id of the first row that breaks the chain or None)."""
    previous = GENESIS
    rows = list(await session.scalars(select(VaultAudit).order_by(VaultAudit.id)))
    for row in rows:
        if row.prev_hash != previous or row.hash != _hash(previous, row.at, row.action, row.ticket, row.operator, row.detail):
            return len(rows), row.id
        previous = row.hash
    return len(rows), None
