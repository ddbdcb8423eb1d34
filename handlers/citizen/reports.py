"""The reporter's reports after filing: /status, /riwayat, the case card, answering questions,
replying to the agency, rating and reopening."""

from __future__ import annotations

from cases.tickets import parse_ticket
from handlers.casework import inputs, keyboards
from handlers.casework.acting import alert, invalid_button, load_case, stale
from handlers.casework.actors import allowed, as_citizen
from handlers.casework.cards import citizen_card
from handlers.casework.facts import card_facts
from handlers.casework.keyboards import Press, data
from handlers.citizen.menu import MENU_LAPOR
from handlers.core.actions import Action, AnswerCallback, Button, InlineKeyboard, Send
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.labels import status_label
from handlers.core.text import esc
from storage import cases
from storage.models import Complaint

SHOW = "c"  # callback data `c:<id>`: a report from /riwayat


async def status(event: Event, ctx: Context, argument: str) -> list[Action]:
    t = ctx.texts
    if not argument.strip():
        return [Send(event.chat_id, t.gettext("Please add the ticket number, for example: /status KKR-2026-000123. Your reports are listed with /riwayat."))]
    ticket = parse_ticket(argument)
    complaint = await ctx.repo.complaint_by_ticket(ticket) if ticket else None
    # The same answer for "no such ticket" and "not yours": ticket numbers are guessable.
    if complaint is None or complaint.citizen_id != event.user_id:
        return [Send(event.chat_id, t.gettext("No report of yours has the ticket number {ticket}. Check the number, or see /riwayat.").format(ticket=esc(argument.strip()[:40])))]
    return await card(event, ctx, complaint)


async def history(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    complaints, total = await ctx.repo.complaints_of(event.user_id)
    if not complaints:
        return [Send(event.chat_id, t.gettext("You have not made any report yet."), InlineKeyboard(((Button(t.gettext("📝 Make a report"), MENU_LAPOR),),)))]
    lines = [t.gettext("<b>Your reports</b> ({shown} of {total}, newest first):").format(shown=len(complaints), total=total)]
    buttons = []
    for c in complaints:
        lines.append(f"• <code>{c.ticket}</code> — {esc(c.title[:60])}\n  <i>{esc(status_label(c.status, t))}</i>")
        buttons.append((Button(c.ticket, f"{SHOW}:{c.id}"),))
    return [Send(event.chat_id, "\n".join(lines), InlineKeyboard(tuple(buttons)))]


async def show_complaint(event: Event, ctx: Context, complaint_id: str) -> list[Action]:
    t = ctx.texts
    complaint = await ctx.repo.complaint_by_id(int(complaint_id)) if complaint_id.isascii() and complaint_id.isdigit() and len(complaint_id) <= 18 else None
    answer = AnswerCallback(event.chat_id, event.callback_id or "")
    if complaint is None or complaint.citizen_id != event.user_id:
        return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This report is not available."), alert=True)]
    return [answer, *await card(event, ctx, complaint)]


async def card(event: Event, ctx: Context, complaint: Complaint) -> list[Action]:
    t = ctx.texts
    facts = await card_facts(ctx, complaint, reporter=False)
    keyboard = keyboards.citizen_keyboard(complaint, allowed(ctx, complaint, as_citizen(event.user_id)), t)
    return [Send(event.chat_id, citizen_card(complaint, t, facts), keyboard)]


async def on_press(event: Event, ctx: Context, press: Press) -> list[Action]:
    t = ctx.texts
    complaint = await load_case(ctx, press.case_id)
    # Ticket ids are guessable: someone else's case looks exactly like a missing one.
    if complaint is None or complaint.citizen_id != event.user_id:
        return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This report is not available."), alert=True)]
    ack = AnswerCallback(event.chat_id, event.callback_id or "")
    if press.verb == "open":
        return [ack, *await card(event, ctx, complaint)]
    kind, needs = {"ans": ("answer", "answer_info"), "rep": ("c_reply", "reply"), "rate": (None, "rate"),
                   "st": ("rate", "rate"), "reo": ("reopen", "reopen")}.get(press.verb, (None, None))  # fmt: skip
    if needs is None:
        return invalid_button(event, t)
    if needs not in allowed(ctx, complaint, as_citizen(event.user_id)):
        return alert(event, stale(complaint, t, staff=False))
    if press.verb == "rate":
        html = t.gettext("How satisfied are you with the answer to {ticket}? 1 star: not at all, 5 stars: very.").format(ticket=complaint.ticket)
        return [ack, Send(event.chat_id, html, keyboards.stars(lambda n: data("w", "st", complaint.id, n)))]
    if press.verb == "st":
        if press.argument not in ("1", "2", "3", "4", "5"):
            return invalid_button(event, t)
        return await inputs.start(event, ctx, "rate", complaint, press.argument)
    assert kind is not None
    return await inputs.start(event, ctx, kind, complaint)


async def waiting_hint(event: Event, ctx: Context) -> list[Action]:
    """A message out of context while someone waits for this citizen's information: offer to answer."""
    t = ctx.texts
    waiting = await cases.awaiting_citizen(ctx.repo.session, event.user_id)
    if not waiting:
        return []
    buttons = tuple((Button(t.gettext("✍️ Answer about {ticket}").format(ticket=c.ticket), data("w", "ans", c.id)),) for c in waiting[:5])
    html = t.gettext("Someone is waiting for your information about a report. To answer, press the button below and then write your answer.")
    return [Send(event.chat_id, html, InlineKeyboard(buttons))]
