"""The Diskominfo admin's screens: the queue (/antrian), the case card and its actions, invitations.

Every handler here first checks that the user is an admin *now*; anyone else gets the same answer
as for a button that does not exist.
"""

from __future__ import annotations

from datetime import timedelta

from cases.model import Maladministration
from cases.workflow import Actor, CaseError
from handlers import case_buttons, inputs
from handlers.actions import Action, AnswerCallback, Button, Edit, InlineKeyboard, Send
from handlers.cards import (
    CardFacts,
    due_text,
    evidence_of,
    files_of,
    maladministration_label,
    staff_card,
    staff_status_label,
)
from handlers.case_buttons import PAGE_SIZE, Press, data, page_of, pager, rows, without_files
from handlers.casework import alert, invalid_button, load_case, perform, refusal, stale, unavailable
from handlers.context import Context
from handlers.events import Event
from handlers.i18n import Texts
from handlers.staff import allowed, as_admin, card_facts
from handlers.text import esc
from storage import cases, roles
from storage.models import Complaint

INVITE_TTL = timedelta(hours=72)


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
    buttons = case_buttons.case_list("a", complaints)
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
    keyboard = case_buttons.admin_keyboard(complaint, allowed(ctx, complaint, actor), t, suggested, _file_count(complaint, facts))
    return [Send(event.chat_id, staff_card(complaint, t, facts, heading=heading), keyboard)]


def _file_count(complaint: Complaint, facts: CardFacts) -> int:
    return len(facts.anon_files) if complaint.anonymous else len(complaint.report_files)


async def new_report(ctx: Context, complaint: Complaint, admin_id: int, t: Texts) -> list[Action]:
    """The card every admin gets for a new report, with its files and the verification buttons."""
    facts = await card_facts(ctx, complaint, reporter=True)
    agency = await ctx.repo.agency(complaint.agency_code or "")
    suggested = agency.name if agency is not None and agency.active else None
    keyboard = case_buttons.admin_keyboard(complaint, allowed(ctx, complaint, Actor("admin", admin_id)), t, suggested, _file_count(complaint, facts))
    heading = t.gettext("🆕 <b>New report {ticket}</b>").format(ticket=complaint.ticket)
    if complaint.anonymous:  # its files are cleaned first; the button fetches them then
        return [Send(admin_id, staff_card(complaint, t, facts, heading=heading), keyboard)]
    actions: list[Action] = [Send(admin_id, staff_card(complaint, t, facts, heading=heading), without_files(keyboard))]
    return actions + files_of(admin_id, complaint, complaint.report_files, t)


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
    if verb in ("inv", "invp", "ia", "ik"):
        return await _invite(event, ctx, verb, arg)
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
             "mal": "classify", "ms": "classify"}.get(verb)  # fmt: skip
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
        buttons = [Button(_short(inputs.reject_reason(code, t)), data("a", "rr", complaint.id, code)) for code in inputs.REJECT_REASONS]
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


def _short(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


async def _agency_picker(event: Event, ctx: Context, complaint: Complaint, page: int, *, edit: bool) -> list[Action]:
    t = ctx.texts
    agencies = await ctx.repo.active_agencies()
    shown = agencies[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    buttons = [(Button(f"{a.code} · {_short(a.name, 40)}", data("a", "rt", complaint.id, a.code)),) for a in shown]
    nav = pager("a", "agp", page, len(agencies), t, complaint.id)
    keyboard = InlineKeyboard(tuple(buttons) + ((nav,) if nav else ()))
    html = t.gettext("Route {ticket} to which agency? ({n} active agencies)").format(ticket=complaint.ticket, n=len(agencies))
    if edit and event.message_id is not None:
        return [Edit(event.chat_id, event.message_id, html, keyboard)]
    return [Send(event.chat_id, html, keyboard)]


# -- invitations ----------------------------------------------------------------------------------------


async def invite_menu(event: Event, ctx: Context) -> list[Action]:
    """/undang: pick the agency, then officer or head; the bot prints the one-time link."""
    return await _invite(event, ctx, "inv", "0")


async def _invite(event: Event, ctx: Context, verb: str, arg: str) -> list[Action]:
    t = ctx.texts
    ack = [AnswerCallback(event.chat_id, event.callback_id)] if event.callback_id else []
    if verb in ("inv", "invp"):
        page = page_of(arg)
        agencies = await ctx.repo.active_agencies()
        shown = agencies[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        buttons = [(Button(f"{a.code} · {_short(a.name, 40)}", data("a", "ia", None, a.code)),) for a in shown]
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
