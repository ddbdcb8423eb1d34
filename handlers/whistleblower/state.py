"""A whistleblower's place in the channel, sealed: one row keyed by a keyed hash of their Telegram id,
its content encrypted with the vault key. Its stages: `intro` → `form` (→ `namecheck`) →
`submitted`; after /lacak, `session` and, while writing an answer, `input`."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from handlers.core.context import Context
from storage import anon
from storage.vault import Vault

SESSION = timedelta(minutes=30)  # how long a /lacak opens the case for answering


def _key(vault: Vault, user_id: int) -> str:
    return vault.index("user", user_id)


async def load(ctx: Context, vault: Vault, user_id: int) -> dict[str, Any] | None:
    key = _key(vault, user_id)
    row = await anon.draft(ctx.repo.session, key, ctx.now)
    if row is None:
        return None
    value = vault.open_json(row.state, f"draft:{key}")
    return value if isinstance(value, dict) else None


async def save(ctx: Context, vault: Vault, user_id: int, state: dict[str, Any], ttl: timedelta) -> None:
    key = _key(vault, user_id)
    await anon.save_draft(ctx.repo.session, key, vault.seal_json(state, f"draft:{key}"), ctx.now, ttl)


async def drop(ctx: Context, vault: Vault, user_id: int) -> None:
    await anon.drop_draft(ctx.repo.session, _key(vault, user_id))


def day(ctx: Context) -> datetime:
    """Today's start (WITA): what is recorded of a whistleblower's moments (no time of day)."""
    return datetime.combine(ctx.calendar.local_date(ctx.now), time(0), ctx.calendar.tz)
