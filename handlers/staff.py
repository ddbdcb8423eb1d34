"""Who someone is for a case (admin, officer of an agency, the reporter) and what they may do now.

Roles come from the database on every update, never from button data: a revoked officer or a
removed admin loses access at once.
"""

from __future__ import annotations

from cases import workflow
from cases.workflow import Actor
from handlers.cards import CardFacts
from handlers.context import Context
from storage import cases, roles
from storage.models import Complaint


async def admin_ids(ctx: Context) -> list[int]:
    """ADMIN_TELEGRAM_IDS and the admins added with `aduan admin add`."""
    added = {a.telegram_id for a in await roles.db_admins(ctx.repo.session)}
    return sorted(set(ctx.config.admin_ids) | added)


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
    """Facts for a card; the reporter's user row only for staff cards that show it."""
    user = await ctx.repo.user(complaint.citizen_id) if reporter else None
    thread = await cases.thread(ctx.repo.session, complaint)
    return CardFacts(calendar=ctx.calendar, today=ctx.calendar.local_date(ctx.now), topics=ctx.config.topics,
                     agency_names=await agency_names(ctx), reporter=user, thread=tuple(thread))  # fmt: skip
