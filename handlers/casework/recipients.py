"""Who hears of a case, and in which language: the admins, an agency's officers, the reporter —
for a whistleblower, the chat they opted in from, sealed in the vault."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.core.context import Context
from handlers.core.i18n import Texts
from storage import anon, roles
from storage.models import Complaint


async def admin_ids(ctx: Context) -> list[int]:
    """ADMIN_TELEGRAM_IDS and the admins added with `aduan admin add`."""
    added = {a.telegram_id for a in await roles.db_admins(ctx.repo.session)}
    return sorted(set(ctx.config.admin_ids) | added)


async def officer_ids(ctx: Context, agency_code: str | None) -> list[int]:
    """The active officers (head included) of an agency; none for an unrouted case."""
    if not agency_code:
        return []
    return sorted({o.telegram_id for o in await roles.officers_of(ctx.repo.session, agency_code)})


async def in_languages(ctx: Context, ids: Sequence[int]) -> list[tuple[int, Texts]]:
    """Each recipient with the texts of their language (the default for people without a row)."""
    languages = await ctx.repo.languages_of(ids)
    return [(i, ctx.texts_for(languages.get(i, ctx.config.default_language))) for i in ids]


async def push_target(ctx: Context, complaint: Complaint) -> tuple[int, str] | None:
    """The chat and language a whistleblower asked updates in, if any; marks the update sensitive
    (its outgoing rows are wiped once sent)."""
    vault = ctx.config.vault
    if vault is None:
        return None
    report = await anon.report(ctx.repo.session, complaint.id)
    if report is None or report.push is None or report.locked_at is not None:
        return None
    target = vault.open_json(report.push, f"push:{complaint.id}")
    if not isinstance(target, dict):
        return None
    ctx.sensitive = True
    return int(target["chat_id"]), str(target.get("language") or ctx.config.default_language)
