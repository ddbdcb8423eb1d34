"""Who someone is for a case (admin, officer of an agency, the reporter) and what they may do now.

Roles come from the database on every update, never from button data: a revoked officer or a
removed admin loses access at once.
"""

from __future__ import annotations

from cases import workflow
from cases.workflow import Actor
from handlers.core.context import Context
from storage import cases, roles
from storage.models import Complaint, User


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


async def user_and_staff(ctx: Context, user_id: int) -> tuple[User | None, bool]:
    """The sender's user row, if they have one, and whether they are staff: asked of everyone."""
    return await ctx.repo.sender(user_id, ctx.config.admin_ids)


def allowed(ctx: Context, complaint: Complaint, actor: Actor) -> set[str]:
    """The actions `actor` may take on the case now (the keys the keyboards use)."""
    view = cases.case_view(complaint)
    names = workflow.allowed_actions(view, actor, ctx.now, ctx.policy)
    if actor.kind == "admin":  # the admin's bookkeeping verbs, which are no step of the case
        for name, probe in (("classify", lambda: workflow.classify(view, actor, ctx.now, ctx.policy, category="probe")),
                            ("link_lapor", lambda: workflow.link_lapor(view, actor, ctx.now, ctx.policy, number="1234567"))):
            try:
                probe()
                names.add(name)
            except workflow.CaseError:
                pass
    return names
