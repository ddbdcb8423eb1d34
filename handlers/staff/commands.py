"""The staff's commands — /antrian, /undang (admins), /tugas (officers), /kasus (both) — and their
part of /bantuan. To anyone else these commands do not exist."""

from __future__ import annotations

from cases.tickets import parse_ticket
from cases.workflow import may_view
from handlers.casework.actors import as_admin, as_officer
from handlers.core.actions import Action, Send
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.text import esc
from handlers.staff import admin, invites, officer, statistics
from storage.cases import case_view

COMMANDS = ("antrian", "undang", "tugas", "kasus", "statistik")


async def command(event: Event, ctx: Context) -> list[Action] | None:
    """The answer to a staff command from staff; None for anyone else (the command is unknown to them)."""
    name = event.command
    if name == "statistik":
        return await statistics.command(event, ctx)
    if name in ("antrian", "undang") and await as_admin(ctx, event.user_id):
        return await admin.queue(event, ctx) if name == "antrian" else await invites.menu(event, ctx)
    officer_actor = await as_officer(ctx, event.user_id)
    if name == "tugas" and officer_actor:
        return await officer.queue(event, ctx)
    if name == "kasus":
        admin_actor = await as_admin(ctx, event.user_id)
        if admin_actor is None and officer_actor is None:
            return None
        t = ctx.texts
        ticket = parse_ticket(event.args)
        complaint = await ctx.repo.complaint_by_ticket(ticket) if ticket else None
        if complaint is not None and admin_actor is not None:
            return await admin.card(event, ctx, complaint)
        if complaint is not None and officer_actor is not None and may_view(case_view(complaint), officer_actor):
            return await officer.card(event, ctx, complaint, officer_actor)
        # Missing and not-yours read the same: ticket numbers are easy to guess.
        return [Send(event.chat_id, t.gettext("No case available to you has the ticket number {ticket}. Usage: /kasus KKR-2026-000123").format(ticket=esc(event.args.strip()[:40])))]
    return None


async def help_text(event: Event, ctx: Context) -> list[Action]:
    """The staff's part of /bantuan, for those who have a role."""
    t = ctx.texts
    lines = []
    if await as_admin(ctx, event.user_id):
        lines.append(t.gettext("<b>Diskominfo admin</b>\n/antrian — reports to verify or re-route, oldest deadline first\n/kasus <i>ticket</i> — open a case\n/undang — invite an agency officer\n/statistik — figures of a period: speed, agencies, topics, satisfaction"))
    if await as_officer(ctx, event.user_id):
        lines.append(t.gettext("<b>Agency officer</b>\n/tugas — your agency's open cases, nearest deadline first\n/kasus <i>ticket</i> — open a case\n/statistik — your agency's figures beside the regency's"))
    return [Send(event.chat_id, "\n\n".join(lines))] if lines else []
