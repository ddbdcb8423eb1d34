"""Where a whistleblower's pushed updates go: the chat they opted in from, sealed in the vault."""

from __future__ import annotations

from handlers.context import Context
from storage import anon
from storage.models import Complaint


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
