"""The Diskominfo admin's screens: the queue (/antrian), the case card and its actions.

Every handler here first checks that the user is an admin *now*; anyone else gets the same answer
as for a button that does not exist.
"""

from __future__ import annotations

from cases.model import Maladministration
from cases.workflow import Actor, CaseError
from handlers.casework import inputs, keyboards, lapor
from handlers.casework.acting import (
    alert,
    invalid_button,
    load_case,
    perform,
    refusal,
    stale,
    unavailable,
)
from handlers.casework.actors import allowed, as_admin
from handlers.casework.cards import due_text, evidence_of, file_count, staff_card
from handlers.casework.facts import card_facts
from handlers.casework.keyboards import PAGE_SIZE, Press, data, page_of, pager, rows
from handlers.core.actions import Action, AnswerCallback, Button, Edit, InlineKeyboard, Send
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.labels import maladministration_label, staff_status_label
from handlers.core.text import esc, shorten
from handlers.staff import invites, statistics
from storage import cases
from storage.models import Complaint

# -- the queue --------------------------------------------------------------------------------------


async def queue(event: Event, ctx: Context, page: int = 0) -> list[Action]:
    """/antrian: new and returned cases, the oldest verification deadline first."""
    t = ctx.texts
    complaints, total = await cases.admin_queue(ctx.repo.session, PAGE_SIZE, page * PAGE_SIZE)
    if total == 0:
        html = t.gettext("✅ The queue is empty: no report waits for verification or re-routing.")
        return [Send(event.chat_id, html)]
    today = ctx.calendar.local_date(ctx.now)
    lines = [t.gettext("<b>Verification queue</b>: {total} case(s), oldest deadline first.").format(total=total)]
    verify_by = esc(t.gettext("Verify by"))
    for n, c in enumerate(complaints, start=page * PAGE_SIZE + 1):
        lines.append(f"{n}. <code>{c.ticket}</code> — {esc(c.title[:60])}\n   <i>{esc(staff_status_label(c.status, t))}</i> · {verify_by} {due_text(c.verification_due, today, t)}")
    buttons = keyboards.case_list("a", complaints)
    nav = pager("a", "q", page, total, t)
    keyboard = InlineKeyboard(tuple(buttons) + ((nav,) if nav else ()))
    if event.callback_id and event.message_id is not None:
        return [AnswerCallback(event.chat_id, event.callback_id), Edit(event.chat_id, event.message_id, "\n".join(lines), keyboard)]
    return [Send(event.chat_id, "\n".join(lines), keyboard)]


# -- the card -----------------------------------------------------------------------------------------


async def card(event: Event, ctx: Context, complaint: Complaint, heading: str | None = None) -> list[Action]:
    t = ctx.texts
    actor = await as_admin(ctx, event.user_id)
    assert actor is not None
    facts = await card_facts(ctx, complaint, reporter=True)
    suggested = facts.agency_names.get(complaint.agency_code or "")
    agency = await ctx.repo.agency(complaint.agency_code or "")
    if agency is None or not agency.active:
        suggested = None
    keyboard = keyboards.admin_keyboard(complaint, allowed(ctx, complaint, actor), t, suggested, file_count(complaint, facts))
    return [Send(event.chat_id, staff_card(complaint, t, facts, heading=heading), keyboard)]


# -- buttons --------------------------------------------------------------------------------------------


async def on_press(event: Event, ctx: Context, press: Press) -> list[Action]:
    t = ctx.texts
    actor = await as_admin(ctx, event.user_id)
    if actor is None:
        return invalid_button(event, t)
    ack = AnswerCallback(event.chat_id, event.callback_id or "")
    verb, arg = press.verb, press.argument
    if verb == "q":
        return await queue(event, ctx, page_of(arg))
    if verb in invites.VERBS:
        return await invites.on_press(event, ctx, verb, arg)
    if verb in statistics.VERBS:
        return await statistics.on_press(event, ctx, press)
    complaint = await load_case(ctx, press.case_id, lock=verb in ("cs", "ms"))
    if complaint is None:
        return unavailable(event, t)
    if verb == "open":
        return [ack, *await card(event, ctx, complaint)]
    if verb == "files":
        return [ack, *evidence_of(event.chat_id, complaint, await card_facts(ctx, complaint, reporter=False), t)]
    may = allowed(ctx, complaint, actor)
    needs = {"rt": "verify_and_route", "ag": "verify_and_route", "agp": "verify_and_route", "rj": "reject",
             "rr": "reject", "ask": "request_info", "dup": "mark_duplicate", "cat": "classify", "cs": "classify",
             "mal": "classify", "ms": "classify", "dq": "mark_duplicate", "lp": "link_lapor",
             "lc": "link_lapor"}.get(verb)  # fmt: skip
    if needs is None:
        return invalid_button(event, t)
    if needs not in may:
        return alert(event, stale(complaint, t, staff=True))
    if verb == "rt":
        agency = await ctx.repo.agency(arg)
        if agency is None or not agency.active:
            return invalid_button(event, t)
        return await inputs.start(event, ctx, "route", complaint, agency.code)
    if verb in ("ag", "agp"):
        return [ack, *await _agency_picker(event, ctx, complaint, page_of(arg), edit=verb == "agp")]
    if verb == "rj":
        buttons = [Button(shorten(inputs.reject_reason(code, t)), data("a", "rr", complaint.id, code)) for code in inputs.REJECT_REASONS]
        buttons.append(Button(t.gettext("✍️ Another reason (write it)"), data("a", "rr", complaint.id, "other")))
        html = t.gettext("Why is {ticket} rejected? The reporter reads the reason.").format(ticket=complaint.ticket)
        return [ack, Send(event.chat_id, html, InlineKeyboard(rows(buttons, 1)))]
    if verb == "rr":
        if arg == "other":
            return await inputs.start(event, ctx, "reject_other", complaint)
        if arg not in inputs.REJECT_REASONS:
            return invalid_button(event, t)
        return await inputs.start(event, ctx, "reject", complaint, arg)
    if verb == "ask":
        return await inputs.start(event, ctx, "a_ask", complaint)
    if verb == "dup":
        return await inputs.start(event, ctx, "dup", complaint)
    if verb == "dq":  # "duplicate of" a similar report named on the card: straight to the preview
        other = await load_case(ctx, int(arg)) if arg.isascii() and arg.isdigit() and len(arg) <= 18 else None
        if other is None or other.id == complaint.id:
            return invalid_button(event, t)
        return await inputs.start(event, ctx, "dup", complaint, text=other.ticket)
    if verb == "lp":
        return await inputs.start(event, ctx, "lapor", complaint)
    if verb == "lc":
        facts = await card_facts(ctx, complaint, reporter=False)
        return [ack, *lapor.FORWARDER.forward(complaint, lapor.form_of(complaint, facts, t.language), event.chat_id, t)]
    if verb == "cat":
        buttons = [Button(topic.label(t.language), data("a", "cs", complaint.id, topic.code)) for topic in ctx.config.topics.roots]
        html = t.gettext("Category of {ticket}:").format(ticket=complaint.ticket)
        return [ack, Send(event.chat_id, html, InlineKeyboard(rows(buttons)))]
    if verb == "mal":
        buttons = [Button(maladministration_label(m.value, t), data("a", "ms", complaint.id, m.value)) for m in Maladministration]
        html = t.gettext("Form of maladministration in {ticket} (the Ombudsman's ten):").format(ticket=complaint.ticket)
        return [ack, Send(event.chat_id, html, InlineKeyboard(rows(buttons, 1)))]
    if verb == "cs":
        if ctx.config.topics.get(arg) is None or "." in arg:
            return invalid_button(event, t)
        return await _classify(event, ctx, complaint, actor, category=arg)
    if verb == "ms":
        return await _classify(event, ctx, complaint, actor, maladministration=arg)
    return invalid_button(event, t)


async def _classify(event: Event, ctx: Context, complaint: Complaint, actor: Actor, **change: str) -> list[Action]:
    t = ctx.texts
    try:
        await perform(ctx, complaint, actor, "classify", change)
    except CaseError as error:
        return alert(event, refusal(error, complaint, t, staff=True))
    if "category" in change:
        what = ctx.config.topics.path_label(change["category"], t.language)
    else:
        what = maladministration_label(change["maladministration"], t)
    html = t.gettext("🏷 {ticket}: {what}").format(ticket=complaint.ticket, what=esc(what))
    actions: list[Action] = [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("Saved."))]
    if event.message_id is not None:
        actions.append(Edit(event.chat_id, event.message_id, html))
    return actions


async def _agency_picker(event: Event, ctx: Context, complaint: Complaint, page: int, *, edit: bool) -> list[Action]:
    t = ctx.texts
    agencies = await ctx.repo.active_agencies()
    shown = agencies[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    buttons = [(Button(f"{a.code} · {shorten(a.name, 40)}", data("a", "rt", complaint.id, a.code)),) for a in shown]
    nav = pager("a", "agp", page, len(agencies), t, complaint.id)
    keyboard = InlineKeyboard(tuple(buttons) + ((nav,) if nav else ()))
    html = t.gettext("Route {ticket} to which agency? ({n} active agencies)").format(ticket=complaint.ticket, n=len(agencies))
    if edit and event.message_id is not None:
        return [Edit(event.chat_id, event.message_id, html, keyboard)]
    return [Send(event.chat_id, html, keyboard)]
