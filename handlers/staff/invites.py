"""Invitations from the bot (/undang): an admin picks the agency and the role (officer or head) and
gets a one-time link to send privately. The same links as `aduan opd invite`."""

from __future__ import annotations

from datetime import timedelta

from handlers.casework.acting import invalid_button
from handlers.casework.keyboards import PAGE_SIZE, data, page_of, pager
from handlers.core.actions import Action, AnswerCallback, Button, Edit, InlineKeyboard, Send
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.text import esc, shorten
from storage import roles

INVITE_TTL = timedelta(hours=72)
VERBS = ("inv", "invp", "ia", "ik")  # agency list, its pages, the role, the link


async def menu(event: Event, ctx: Context) -> list[Action]:
    """/undang: pick the agency, then officer or head; the bot prints the one-time link."""
    return await on_press(event, ctx, "inv", "0")


async def on_press(event: Event, ctx: Context, verb: str, arg: str) -> list[Action]:
    """The invitation's buttons (the admin was checked by the caller)."""
    t = ctx.texts
    ack = [AnswerCallback(event.chat_id, event.callback_id)] if event.callback_id else []
    if verb in ("inv", "invp"):
        page = page_of(arg)
        agencies = await ctx.repo.active_agencies()
        shown = agencies[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        buttons = [(Button(f"{a.code} · {shorten(a.name, 40)}", data("a", "ia", None, a.code)),) for a in shown]
        nav = pager("a", "invp", page, len(agencies), t)
        keyboard = InlineKeyboard(tuple(buttons) + ((nav,) if nav else ()))
        html = t.gettext("Invite an officer: which agency?")
        if verb == "invp" and event.message_id is not None:
            return [*ack, Edit(event.chat_id, event.message_id, html, keyboard)]
        return [*ack, Send(event.chat_id, html, keyboard)]
    agency_code, _, head = arg.partition(":")
    agency = await ctx.repo.agency(agency_code)
    if agency is None or not agency.active:
        return invalid_button(event, t)
    if verb == "ia":
        keyboard = InlineKeyboard(((
            Button(t.gettext("👤 Officer"), data("a", "ik", None, f"{agency.code}:0")),
            Button(t.gettext("⭐ Head of the agency"), data("a", "ik", None, f"{agency.code}:1")),
        ),))  # fmt: skip
        html = t.gettext("Invite to {agency} as:").format(agency=esc(agency.name))
        return [*ack, Send(event.chat_id, html, keyboard)]
    if head not in ("0", "1"):
        return invalid_button(event, t)
    _, payload = await roles.create_invite(ctx.repo.session, agency.code, head == "1", f"admin:{event.user_id}", ctx.now, INVITE_TTL)
    link = f"https://t.me/{ctx.config.bot_username}?start={payload}"
    expires = ctx.calendar.local_date(ctx.now + INVITE_TTL)
    role = t.gettext("head") if head == "1" else t.gettext("officer")
    html = t.gettext("🔗 One-time invitation for a new {role} of {agency}:\n\n{link}\n\nSend it only to that person. It works once and expires on {date}.").format(
        role=esc(role), agency=esc(agency.name), link=esc(link), date=esc(t.date(expires)))
    return [*ack, Send(event.chat_id, html)]
