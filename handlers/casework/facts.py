"""What a card shows besides the complaint row, loaded for one update: the calendar, the agencies'
names, the reporter's row, the conversation, and a whistleblower's report opened from the vault
for display only."""

from __future__ import annotations

from handlers.casework.cards import CardFacts
from handlers.core.context import Context
from storage import anon, cases
from storage.models import AnonFile, Complaint


async def agency_names(ctx: Context) -> dict[str, str]:
    return {a.code: a.name for a in await ctx.repo.all_agencies()}


async def card_facts(ctx: Context, complaint: Complaint, *, reporter: bool) -> CardFacts:
    """Facts for a card; the reporter's user row only for staff cards that show it."""
    user = await ctx.repo.user(complaint.citizen_id) if reporter and complaint.citizen_id is not None else None
    thread = await cases.thread(ctx.repo.session, complaint)
    sealed: dict[str, object] | None = None
    files: tuple[AnonFile, ...] = ()
    if complaint.anonymous:
        report = await anon.report(ctx.repo.session, complaint.id)
        vault = ctx.config.vault
        if report is not None and vault is not None:
            opened = vault.open_json(report.content, f"report:{complaint.id}")
            sealed = opened if isinstance(opened, dict) else None
        files = tuple(await anon.files_of(ctx.repo.session, complaint.id))
    return CardFacts(calendar=ctx.calendar, today=ctx.calendar.local_date(ctx.now), topics=ctx.config.topics,
                     agency_names=await agency_names(ctx), reporter=user, thread=tuple(thread),
                     sealed=sealed, anon_files=files)  # fmt: skip
