"""Who hears of a transition, and what they read: each recipient in their own language.

The messages are outbox rows written in the transition's transaction, so each is sent exactly once
(or the transition did not happen). User text is escaped here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cases.figures import LOW_RATING
from cases.model import Status
from cases.tickets import parse_ticket
from cases.workflow import CITIZEN, Actor, Transition
from handlers.casework import keyboards
from handlers.casework.actors import allowed, as_citizen
from handlers.casework.cards import file_count, files_of, staff_card
from handlers.casework.facts import card_facts
from handlers.casework.recipients import admin_ids, in_languages, officer_ids, push_target
from handlers.casework.similar import similar_html, similar_rows, similar_to
from handlers.core.actions import Action, InlineKeyboard, Send
from handlers.core.context import Context
from handlers.core.i18n import Texts
from handlers.core.text import esc
from storage import roles
from storage.models import Attachment, Complaint


async def announce(ctx: Context, complaint: Complaint, transition: Transition, files: Sequence[Attachment] = ()) -> list[Action]:
    """The messages to everyone but the actor that `transition` concerns."""
    action = transition.action
    text = esc(transition.reason or "")
    agency = await _agency_name(ctx, complaint)
    out: list[Action] = []

    reporter = await _citizen(ctx, complaint) if CITIZEN in transition.notify else None

    def tell(html: str, keyboard: InlineKeyboard | None = None) -> None:
        if reporter is not None:
            t, chat = reporter
            out.append(replace(_for_reporter(complaint, html, keyboard, t), chat_id=chat))

    if action == "verify_and_route":
        if reporter is not None:
            t = reporter[0]
            due = esc(t.date(complaint.response_due)) if complaint.response_due else "—"
            tell(t.gettext("✅ Your report {ticket} has been verified and passed to <b>{agency}</b>, which must follow it up by <b>{due}</b>. You will hear from them here.").format(ticket=complaint.ticket, agency=esc(agency), due=due))
        out += await _new_case_for_agency(ctx, complaint, agency)
    elif action == "reject":
        if reporter is not None:
            tell(reporter[0].gettext("❌ Your report {ticket} cannot be followed up.\n<b>Reason:</b> {reason}\n\nYou can make a new report with /lapor.").format(ticket=complaint.ticket, reason=text))
    elif action == "mark_duplicate":
        if reporter is not None:
            other = parse_ticket((transition.reason or "").split()[-1]) or "—"
            tell(reporter[0].gettext("ℹ️ Your report {ticket} is about the same matter as report {other}, which is already being handled, so the two were merged. Thank you for reporting.").format(ticket=complaint.ticket, other=other))
    elif action in ("request_info", "agency_request_info"):
        if reporter is not None:
            t = reporter[0]
            who = "Diskominfo" if action == "request_info" else agency
            html = t.gettext("❓ <b>{who}</b> needs more information about your report {ticket}:\n\n<i>{question}</i>\n\nPress <b>Answer</b> and write it (you may add photos). The deadline waits for your answer.").format(who=esc(who), ticket=complaint.ticket, question=text)
            tell(html, keyboards.citizen_keyboard(complaint, {"answer_info"}, t))
    elif action == "answer_info":
        html = "📩 " + "{head}\n\n{text}"
        staff_ids = await admin_ids(ctx) if transition.to_status == Status.SUBMITTED else await officer_ids(ctx, complaint.agency_code)
        audience = "a" if transition.to_status == Status.SUBMITTED else "o"
        for chat, t in await in_languages(ctx, staff_ids):
            head = t.gettext("<b>The reporter answered your question about {ticket}:</b>").format(ticket=complaint.ticket)
            out.append(Send(chat, html.format(head=head, text=text), keyboards.open_button(audience, complaint, t)))
            out += files_of(chat, complaint, files, t)
    elif action in ("respond", "agency_reply") and reporter is not None:
        t, chat = reporter
        if action == "respond":
            head = t.gettext("📬 <b>{agency} answered your report {ticket}:</b>")
            tail = t.gettext("If you are satisfied, please rate the answer. If not, reply or reopen the report within {days} working days.").format(days=ctx.config.reopen_window_working_days)
        else:
            head = t.gettext("💬 <b>{agency} replied about your report {ticket}:</b>")
            tail = ""
        html = head.format(agency=esc(agency), ticket=complaint.ticket) + "\n\n" + text + (f"\n\n{esc(tail)}" if tail else "")
        keyboard = None if complaint.citizen_id is None else keyboards.citizen_keyboard(complaint, allowed(ctx, complaint, as_citizen(complaint.citizen_id)), t)
        out += files_of(chat, complaint, files, t)
        tell(html, keyboard)  # the buttons last, below the files
    elif action == "citizen_reply":
        for chat, t in await in_languages(ctx, await officer_ids(ctx, complaint.agency_code)):
            html = t.gettext("💬 <b>The reporter replied about {ticket}:</b>").format(ticket=complaint.ticket) + "\n\n" + text
            out += files_of(chat, complaint, files, t)
            out.append(Send(chat, html, keyboards.open_button("o", complaint, t)))
    elif action == "not_ours":
        for chat, t in await in_languages(ctx, await admin_ids(ctx)):
            html = t.gettext("↩️ <b>{agency} returned {ticket}</b> as not its authority:\n\n{reason}\n\nPlease route it again.").format(agency=esc(agency), ticket=complaint.ticket, reason=text)
            out.append(Send(chat, html, keyboards.open_button("a", complaint, t)))
    elif action == "reopen":
        for chat, t in await in_languages(ctx, await officer_ids(ctx, complaint.agency_code)):
            due = esc(t.date(complaint.response_due)) if complaint.response_due else "—"
            html = t.gettext("🔄 <b>The reporter reopened {ticket}</b>, not satisfied with the answer:\n\n{reason}\n\nNew deadline: <b>{due}</b>.").format(ticket=complaint.ticket, reason=text, due=due)
            out.append(Send(chat, html, keyboards.open_button("o", complaint, t)))
        for chat, t in await in_languages(ctx, await admin_ids(ctx)):
            html = t.gettext("🔄 The reporter reopened {ticket} ({agency}):\n\n{reason}").format(ticket=complaint.ticket, agency=esc(agency), reason=text)
            out.append(Send(chat, html, keyboards.open_button("a", complaint, t)))
    elif action == "rate":
        score = transition.score or 0
        low = score <= LOW_RATING
        agency_head = await roles.head_of(ctx.repo.session, complaint.agency_code) if low and complaint.agency_code else None
        for chat, t in await in_languages(ctx, await officer_ids(ctx, complaint.agency_code)):
            if agency_head is not None and chat == agency_head.telegram_id:
                continue  # the head gets the alert below instead
            html = t.gettext("⭐ The reporter rated the answer to {ticket}: {stars} ({score}/5). The case is closed.").format(ticket=complaint.ticket, stars="⭐" * score, score=score)
            if text:
                html += "\n\n" + t.gettext("Comment:") + " " + text
            out.append(Send(chat, html))
        if low:
            out += await _low_rating_alert(ctx, complaint, agency, score, text, agency_head.telegram_id if agency_head else None)
    elif action == "auto_close":
        if reporter is not None:
            tell(reporter[0].gettext("🔒 Your report {ticket} is closed: the answer got no reply for {days} working days. Thank you for reporting.").format(ticket=complaint.ticket, days=ctx.config.auto_close_working_days))
        for chat, t in await in_languages(ctx, await officer_ids(ctx, complaint.agency_code)):
            out.append(Send(chat, t.gettext("🔒 {ticket} was closed: the reporter did not reply to the answer.").format(ticket=complaint.ticket)))
    return out


async def _low_rating_alert(ctx: Context, complaint: Complaint, agency: str, score: int, comment: str,
                            head: int | None) -> list[Action]:
    """A rating of 1 or 2 is news at once: the admins and the agency's head, with the case to open."""
    out: list[Action] = []
    audiences = [(chat, "a") for chat in await admin_ids(ctx)] + ([(head, "o")] if head is not None else [])
    for (chat, audience), (_, t) in zip(audiences, await in_languages(ctx, [chat for chat, _ in audiences])):
        html = t.gettext("⚠️ <b>Low rating</b> for {agency}'s answer to {ticket}: {stars} ({score}/5).").format(
            agency=esc(agency), ticket=complaint.ticket, stars="⭐" * score, score=score)
        if comment:
            html += "\n\n" + t.gettext("Comment:") + " " + comment
        out.append(Send(chat, html, keyboards.open_button(audience, complaint, t)))
    return out


async def new_report_to_admins(ctx: Context, complaint: Complaint) -> list[Action]:
    """Each admin gets the new report's card with the verification buttons, then its files (re-sent,
    never forwarded; a whistleblower's are cleaned first and fetched with the card's button)."""
    actions: list[Action] = []
    facts = await card_facts(ctx, complaint, reporter=True)
    agency = await ctx.repo.agency(complaint.agency_code or "")
    suggested = agency.name if agency is not None and agency.active else None
    alike = await similar_to(ctx, complaint, facts)
    for admin_id, t in await in_languages(ctx, await admin_ids(ctx)):
        may = allowed(ctx, complaint, Actor("admin", admin_id))
        keyboard = keyboards.admin_keyboard(complaint, may, t, suggested, file_count(complaint, facts))
        heading = t.gettext("🆕 <b>New report {ticket}</b>").format(ticket=complaint.ticket)
        card = staff_card(complaint, t, facts, heading=heading)
        if alike:
            card += "\n\n" + similar_html(alike, t)
            keyboard = InlineKeyboard(keyboard.rows + similar_rows(complaint, alike, t))
        if complaint.anonymous:
            actions.append(Send(admin_id, card, keyboard))
            continue
        actions.append(Send(admin_id, card, keyboards.without_files(keyboard)))
        actions += files_of(admin_id, complaint, complaint.report_files, t)
    return actions


async def _new_case_for_agency(ctx: Context, complaint: Complaint, agency: str) -> list[Action]:
    """The agency's officers get the whole card, its files and the buttons to act."""
    out: list[Action] = []
    officers = await officer_ids(ctx, complaint.agency_code)
    if not officers:
        return out
    facts = await card_facts(ctx, complaint, reporter=True)
    for chat, t in await in_languages(ctx, officers):
        heading = t.gettext("📥 <b>New case for {agency}: {ticket}</b>").format(agency=esc(agency), ticket=complaint.ticket)
        may = allowed(ctx, complaint, Actor("officer", chat, complaint.agency_code))
        if complaint.anonymous:  # cleaned copies are uploaded on request, with the button
            keyboard = keyboards.officer_keyboard(complaint, may, t, len(facts.anon_files))
            out.append(Send(chat, staff_card(complaint, t, facts, heading=heading), keyboard))
            continue
        keyboard = keyboards.officer_keyboard(complaint, may, t)
        out.append(Send(chat, staff_card(complaint, t, facts, heading=heading), keyboards.without_files(keyboard)))
        out += files_of(chat, complaint, complaint.report_files, t)
    return out


async def _agency_name(ctx: Context, complaint: Complaint) -> str:
    if not complaint.agency_code:
        return "—"
    agency = await ctx.repo.agency(complaint.agency_code)
    return agency.name if agency is not None else complaint.agency_code


async def _citizen(ctx: Context, complaint: Complaint) -> tuple[Texts, int] | None:
    """The reporter's chat and language; for a whistleblower, the chat they opted in from, if any;
    nobody for a reporter whose data was erased (they were told they would hear no more)."""
    if complaint.reporter_erased_at is not None:
        return None
    if complaint.citizen_id is None:
        target = await push_target(ctx, complaint)
        return (ctx.texts_for(target[1]), target[0]) if target is not None else None
    languages = await ctx.repo.languages_of([complaint.citizen_id])
    return ctx.texts_for(languages.get(complaint.citizen_id, complaint.language)), complaint.citizen_id


def _for_reporter(complaint: Complaint, html: str, keyboard: InlineKeyboard | None, t: Texts) -> Send:
    """A whistleblower acts with their token, not with buttons in this chat."""
    if complaint.anonymous:
        return Send(0, html + "\n\n" + esc(t.gettext("To answer or see more, send /lacak and your token.")))
    return Send(0, html, keyboard)
