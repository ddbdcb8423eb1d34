"""Who someone is for a case (admin, officer of an agency, the reporter) and what they may do now.

Roles come from the database on every update, never from button data: a revoked officer or a
removed admin loses access at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from cases import workflow
from cases.workflow import Actor
from handlers.cards import CardFacts
from handlers.context import Context
from handlers.i18n import Texts
from storage import anon, cases, roles
from storage.models import AnonFile, Complaint


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


async def as_admin(ctx: Context, user_id: int) -> Actor | None:
    if await roles.is_admin(ctx.repo.session, user_id, ctx.config.admin_ids):
        return Actor("admin", user_id)
    return None


async def as_officer(ctx: Context, user_id: int) -> Actor | None:
    officer = await roles.officer_of(ctx.repo.session, user_id)
    if officer is None:
        return None
    return Actor("officer", user_id, officer.agency_code)


def as_citizen(user_id: int) -> Actor:
    return Actor("citizen", user_id)


def allowed(ctx: Context, complaint: Complaint, actor: Actor) -> set[str]:
    """The actions `actor` may take on the case now (the keys the keyboards use)."""
    view = cases.case_view(complaint)
    names = workflow.allowed_actions(view, actor, ctx.now, ctx.policy)
    if actor.kind == "admin":
        try:
            workflow.classify(view, actor, ctx.now, ctx.policy, category="probe")
            names.add("classify")
        except workflow.CaseError:
            pass
    return names


async def agency_names(ctx: Context) -> dict[str, str]:
    return {a.code: a.name for a in await ctx.repo.all_agencies()}


async def card_facts(ctx: Context, complaint: Complaint, *, reporter: bool) -> CardFacts:
    """Facts for a card; the reporter's user row only for staff cards that show it. A whistleblower's
    report is opened from the vault here, for display only."""
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
