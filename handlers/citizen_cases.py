"""The reporter's side of a case after filing: the case card, answering questions, replying to the
agency, rating and reopening."""

from __future__ import annotations

from handlers import case_buttons, inputs
from handlers.actions import Action, AnswerCallback, Button, InlineKeyboard, Send
from handlers.cards import citizen_card
from handlers.case_buttons import Press, data
from handlers.casework import alert, invalid_button, load_case, stale
from handlers.context import Context
from handlers.events import Event
from handlers.staff import allowed, as_citizen, card_facts
from storage import cases
from storage.models import Complaint


async def card(event: Event, ctx: Context, complaint: Complaint) -> list[Action]:
    t = ctx.texts
    facts = await card_facts(ctx, complaint, reporter=False)
    keyboard = case_buttons.citizen_keyboard(complaint, allowed(ctx, complaint, as_citizen(event.user_id)), t)
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
        return [ack, Send(event.chat_id, html, case_buttons.stars(lambda n: data("w", "st", complaint.id, n)))]
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
