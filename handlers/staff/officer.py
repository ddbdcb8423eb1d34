"""The OPD officer's side (admin penghubung): joining by invitation, /tugas, the case card.

An officer sees and acts on their own agency's cases only, and only while the case is with the
agency (`cases.workflow.may_view`); the role is read from the database on every update.
"""

from __future__ import annotations

from cases.model import Status
from cases.workflow import Actor, may_view
from handlers.casework import inputs, keyboards
from handlers.casework.acting import alert, invalid_button, load_case, stale, unavailable
from handlers.casework.actors import allowed, as_officer
from handlers.casework.cards import due_text, evidence_of, staff_card
from handlers.casework.facts import card_facts
from handlers.casework.keyboards import PAGE_SIZE, Press, page_of, pager
from handlers.core.actions import Action, AnswerCallback, Edit, InlineKeyboard, Send
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.labels import staff_status_label
from handlers.core.text import esc
from handlers.staff import statistics
from storage import cases
from storage.cases import case_view
from storage.models import Complaint
from storage.roles import AgencyInactive, InviteExpired, InviteUnknown, InviteUsed, redeem_invite


async def join(event: Event, ctx: Context, payload: str) -> list[Action]:
    """`/start inv_…` from a one-time invitation link made with `aduan opd invite`."""
    t = ctx.texts
    try:
        officer = await redeem_invite(ctx.repo.session, payload, event.user_id, ctx.now)
        await ctx.remember(event)
    except InviteUsed:
        return [Send(event.chat_id, t.gettext("This invitation link has already been used. Please ask a Diskominfo admin for a new one."))]
    except InviteExpired:
        return [Send(event.chat_id, t.gettext("This invitation link has expired. Please ask a Diskominfo admin for a new one."))]
    except AgencyInactive:
        return [Send(event.chat_id, t.gettext("The agency of this invitation is no longer active. Please contact Diskominfo."))]
    except InviteUnknown:
        return [Send(event.chat_id, t.gettext("This invitation link is not valid. Please check that you opened the whole link."))]
    agency = await ctx.repo.agency(officer.agency_code)
    name = esc(agency.name if agency is not None else officer.agency_code)
    if officer.is_head:
        html = t.gettext("✅ You are now registered as the <b>head</b> of {agency}: you receive the agency's cases and the escalations of late answers.").format(agency=name)
    else:
        html = t.gettext("✅ You are now registered as an officer (admin penghubung) of {agency}. The cases routed to your agency will come to you here.").format(agency=name)
    return [Send(event.chat_id, html)]


# -- the agency's cases ----------------------------------------------------------------------------


async def queue(event: Event, ctx: Context, page: int = 0) -> list[Action]:
    """/tugas: the agency's open cases, those it must answer first, nearest deadline first."""
    t = ctx.texts
    actor = await as_officer(ctx, event.user_id)
    if actor is None or actor.agency_code is None:
        return [Send(event.chat_id, t.gettext("This command is for registered agency officers."))]
    complaints, total = await cases.agency_queue(ctx.repo.session, actor.agency_code, PAGE_SIZE, page * PAGE_SIZE)
    agency = await ctx.repo.agency(actor.agency_code)
    name = esc(agency.name if agency else actor.agency_code)
    if total == 0:
        return [Send(event.chat_id, t.gettext("✅ {agency} has no open cases.").format(agency=name))]
    today = ctx.calendar.local_date(ctx.now)
    lines = [t.gettext("<b>Cases of {agency}</b>: {total} open, nearest deadline first.").format(agency=name, total=total)]
    answer_by = esc(t.gettext("Answer by"))
    for n, c in enumerate(complaints, start=page * PAGE_SIZE + 1):
        due = due_text(c.response_due, today, t) if c.response_due and c.status == Status.VERIFIED else ""
        lines.append(f"{n}. <code>{c.ticket}</code> — {esc(c.title[:60])}\n   <i>{esc(staff_status_label(c.status, t))}</i>" + (f" · {answer_by} {due}" if due else ""))
    nav = pager("o", "q", page, total, t)
    keyboard = InlineKeyboard(tuple(keyboards.case_list("o", complaints)) + ((nav,) if nav else ()))
    if event.callback_id and event.message_id is not None:
        return [AnswerCallback(event.chat_id, event.callback_id), Edit(event.chat_id, event.message_id, "\n".join(lines), keyboard)]
    return [Send(event.chat_id, "\n".join(lines), keyboard)]


async def card(event: Event, ctx: Context, complaint: Complaint, actor: Actor) -> list[Action]:
    t = ctx.texts
    facts = await card_facts(ctx, complaint, reporter=True)
    files = len(facts.anon_files) if complaint.anonymous else None
    keyboard = keyboards.officer_keyboard(complaint, allowed(ctx, complaint, actor), t, files)
    return [Send(event.chat_id, staff_card(complaint, t, facts), keyboard)]


async def on_press(event: Event, ctx: Context, press: Press) -> list[Action]:
    t = ctx.texts
    actor = await as_officer(ctx, event.user_id)
    if actor is None:
        return invalid_button(event, t)
    if press.verb == "q":
        return await queue(event, ctx, page_of(press.argument))
    if press.verb in statistics.VERBS:
        return await statistics.on_press(event, ctx, press)
    complaint = await load_case(ctx, press.case_id)
    # A guessed id, another agency's case, or one that went back to Diskominfo: all look alike.
    if complaint is None or not may_view(case_view(complaint), actor):
        return unavailable(event, t)
    ack = AnswerCallback(event.chat_id, event.callback_id or "")
    if press.verb == "open":
        return [ack, *await card(event, ctx, complaint, actor)]
    if press.verb == "files":
        return [ack, *evidence_of(event.chat_id, complaint, await card_facts(ctx, complaint, reporter=False), t)]
    kind, needs = {"re": ("respond", "respond"), "rp": ("o_reply", "reply"), "ask": ("o_ask", "request_info"),
                   "no": ("not_ours", "not_ours")}.get(press.verb, (None, None))  # fmt: skip
    if kind is None or needs is None:
        return invalid_button(event, t)
    if needs not in allowed(ctx, complaint, actor):
        return alert(event, stale(complaint, t, staff=True))
    return await inputs.start(event, ctx, kind, complaint)
