"""The citizen's side of the bot: welcome, the /lapor form, status, history, language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cases.model import Status
from cases.tickets import parse_ticket
from handlers import admin, citizen_cases
from handlers.actions import (
    Action,
    AnswerCallback,
    Button,
    Edit,
    InlineKeyboard,
    RemoveKeyboard,
    Send,
)
from handlers.cards import status_label
from handlers.complaint_form import (
    COMPLAINT_FORM,
    TO_ANONYMOUS,
    UNKNOWN_AGENCY,
    AgencyChoice,
    FormContext,
    event_date_of,
)
from handlers.context import Context
from handlers.events import Event
from handlers.forms import FormResult, Invalid
from handlers.i18n import Texts
from handlers.staff import admin_ids, in_languages
from handlers.text import esc
from storage.models import Complaint
from storage.repo import new_complaint

MENU_LAPOR = "m:lapor"
MENU_HISTORY = "m:riwayat"
MENU_HELP = "m:help"
MENU_LANGUAGE = "m:lang"
RESUME = "r:go"
RESTART = "r:new"
DISCARD = "r:drop"


def main_menu(t: Texts) -> InlineKeyboard:
    return InlineKeyboard((
        (Button(t.gettext("📝 Make a report"), MENU_LAPOR),),
        (Button(t.gettext("📋 My reports"), MENU_HISTORY), Button(t.gettext("❓ Help"), MENU_HELP)),
        (Button(t.gettext("🌐 Language"), MENU_LANGUAGE),),
    ))  # fmt: skip


# -- texts ----------------------------------------------------------------------------------------


def welcome(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    html = t.gettext(
        "👋 <b>Welcome to Kanal Aduan</b>, the public-service complaint channel of the Kutai Kartanegara regency government.\n\n"
        "<b>What happens to your report:</b> Diskominfo checks it within {days} working days and passes it to the agency (OPD) responsible, which must answer within 5 working days. You get every update here, and can reply, rate the answer, or reopen it.\n\n"
        "<b>Privacy:</b> officers handling your report see your name and what you write; nothing is published. For anonymous whistleblowing use /anonim. Not for emergencies (call 112), crimes (police) or court cases."
    ).format(days=ctx.config.verification_working_days)
    return [Send(event.chat_id, html, main_menu(t))]


def help_text(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    html = t.gettext(
        "<b>Commands</b>\n"
        "/lapor — make a report (step by step)\n"
        "/status <i>ticket number</i> — the status of your report\n"
        "/riwayat — your reports\n"
        "/batal — cancel the report you are writing\n"
        "/bahasa — Bahasa Indonesia / English\n"
        "/bantuan — this help\n\n"
        "<b>Anonymous (whistleblowing)</b>\n"
        "/anonim — report wrongdoing without giving your identity\n"
        "/lacak <i>token</i> — follow an anonymous report\n"
        "/lupakan — stop updates about anonymous reports in this chat\n\n"
        "In the form you can always press <b>Back</b> or <b>Cancel</b>. Your draft is saved after every answer, so you can continue later."
    )
    return [Send(event.chat_id, html, main_menu(t))]


def _form_context(ctx: Context, agencies: list[AgencyChoice]) -> FormContext:
    return FormContext(
        texts=ctx.texts,
        today=ctx.calendar.local_date(ctx.now),
        limits=ctx.config.limits,
        topics=ctx.config.topics,
        agencies=agencies,
    )


async def form_context(ctx: Context) -> FormContext:
    agencies = [AgencyChoice(a.code, a.name) for a in await ctx.repo.active_agencies()]
    return _form_context(ctx, agencies)


# -- the form -------------------------------------------------------------------------------------


async def start_form(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    fctx = await form_context(ctx)
    result = COMPLAINT_FORM.start(event.chat_id, fctx)
    await _save(event, ctx, result.state)
    intro = Send(event.chat_id, t.gettext("📝 <b>New report.</b> I will ask {n} short questions; you can go back or cancel at any time.").format(n=len(COMPLAINT_FORM.steps)), RemoveKeyboard())
    return [intro, *result.actions]


async def _save(event: Event, ctx: Context, state: dict[str, Any] | None) -> None:
    await ctx.repo.save_conversation(event.user_id, state, ctx.now, ctx.config.draft_ttl)


def draft_summary_line(state: dict[str, Any], t: Texts) -> str:
    return esc(COMPLAINT_FORM.progress(state, t))


def offer_resume(event: Event, state: dict[str, Any], ctx: Context, reason: str) -> list[Action]:
    t = ctx.texts
    html = "\n".join([reason, t.gettext("You have an unfinished report ({where}).").format(where=draft_summary_line(state, t))])
    keyboard = InlineKeyboard((
        (Button(t.gettext("▶️ Continue"), RESUME),),
        (Button(t.gettext("🆕 Start again"), RESTART), Button(t.gettext("🗑 Delete draft"), DISCARD)),
    ))  # fmt: skip
    return [Send(event.chat_id, html, keyboard)]


async def continue_form(event: Event, state: dict[str, Any], ctx: Context) -> list[Action]:
    fctx = await form_context(ctx)
    result = COMPLAINT_FORM.handle(event, state, fctx)
    if result.submitted is not None:
        return await _submit(event, state, result, fctx, ctx)
    if result.state is not None and result.state.get("view", {}).get(TO_ANONYMOUS):
        from handlers import whistleblower  # it builds on this module's form context

        await _save(event, ctx, None)  # the draft leaves this table (keyed by the user's id)
        return [a for a in result.actions if isinstance(a, AnswerCallback)] + await whistleblower.from_lapor(event, ctx, result.state["answers"])
    await _save(event, ctx, result.state)
    return result.actions


async def resume(event: Event, state: dict[str, Any], ctx: Context, note: str | None = None) -> list[Action]:
    fctx = await form_context(ctx)
    await _save(event, ctx, state)  # refresh the draft's expiry
    return COMPLAINT_FORM.reprompt(event.chat_id, state, fctx, note)


async def _submit(event: Event, state: dict[str, Any], result: FormResult, fctx: FormContext, ctx: Context) -> list[Action]:
    t = ctx.texts
    answers = result.submitted or {}
    try:
        event_date = event_date_of(answers, fctx)
    except Invalid as invalid:
        # The draft waited long enough for its date to fall out of range: ask again.
        back = {**state, "step": "event_date", "view": {}, "editing": True}
        await _save(event, ctx, back)
        return [a for a in result.actions if isinstance(a, AnswerCallback)] + COMPLAINT_FORM.reprompt(event.chat_id, back, fctx, "⚠️ " + invalid.message)
    filed_on = ctx.calendar.local_date(ctx.now)
    location = answers.get("location") or {}
    agency = answers.get("agency")
    await ctx.remember(event)  # a reporter: their name goes with the report to the officers
    complaint = new_complaint(
        ticket=await ctx.repo.next_ticket(filed_on.year),
        citizen_id=event.user_id,
        source_update_id=event.update_id,
        report_class=answers["report_class"],
        topic=answers["topic"],
        agency_code=None if agency in (None, UNKNOWN_AGENCY) else agency,
        title=answers["title"],
        description=answers["description"],
        event_date=event_date,
        latitude=location.get("lat"),
        longitude=location.get("lon"),
        kecamatan=location.get("kecamatan"),
        address=answers.get("address"),
        privacy=answers["privacy"],
        phone=answers.get("phone"),
        language=ctx.language,
        status=Status.SUBMITTED.value,
        created_at=ctx.now,
        verification_due=ctx.calendar.add_working_days(filed_on, ctx.config.verification_working_days),
    )
    complaint = await ctx.repo.add_complaint(complaint, answers.get("attachments") or [], actor=f"citizen:{event.user_id}")
    await _save(event, ctx, None)
    due = t.date(complaint.verification_due)
    html = t.gettext(
        "✅ <b>Your report has been received.</b>\n\n"
        "Ticket number: <code>{ticket}</code>\n\n"
        "<b>What happens next:</b> Diskominfo verifies your report by <b>{due}</b> ({days} working days) and passes it to the agency responsible. You will get every update in this chat.\n\n"
        "Check it any time with /status {ticket}."
    ).format(ticket=complaint.ticket, due=esc(due), days=ctx.config.verification_working_days)
    actions: list[Action] = list(result.actions)
    actions.append(Send(event.chat_id, html, main_menu(t)))
    actions += await notify_admins(complaint, ctx)
    return actions


async def notify_admins(complaint: Complaint, ctx: Context) -> list[Action]:
    """Each admin gets the card with the verification buttons, then the files (re-sent, never forwarded)."""
    actions: list[Action] = []
    for admin_id, t in await in_languages(ctx, await admin_ids(ctx)):
        actions += await admin.new_report(ctx, complaint, admin_id, t)
    return actions


# -- status and history ---------------------------------------------------------------------------


async def status(event: Event, ctx: Context, argument: str) -> list[Action]:
    t = ctx.texts
    if not argument.strip():
        return [Send(event.chat_id, t.gettext("Please add the ticket number, for example: /status KKR-2026-000123. Your reports are listed with /riwayat."))]
    ticket = parse_ticket(argument)
    complaint = await ctx.repo.complaint_by_ticket(ticket) if ticket else None
    # The same answer for "no such ticket" and "not yours": ticket numbers are guessable.
    if complaint is None or complaint.citizen_id != event.user_id:
        return [Send(event.chat_id, t.gettext("No report of yours has the ticket number {ticket}. Check the number, or see /riwayat.").format(ticket=esc(argument.strip()[:40])))]
    return await citizen_cases.card(event, ctx, complaint)


async def history(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    complaints, total = await ctx.repo.complaints_of(event.user_id)
    if not complaints:
        return [Send(event.chat_id, t.gettext("You have not made any report yet."), InlineKeyboard(((Button(t.gettext("📝 Make a report"), MENU_LAPOR),),)))]
    lines = [t.gettext("<b>Your reports</b> ({shown} of {total}, newest first):").format(shown=len(complaints), total=total)]
    buttons = []
    for c in complaints:
        lines.append(f"• <code>{c.ticket}</code> — {esc(c.title[:60])}\n  <i>{esc(status_label(c.status, t))}</i>")
        buttons.append((Button(c.ticket, f"c:{c.id}"),))
    return [Send(event.chat_id, "\n".join(lines), InlineKeyboard(tuple(buttons)))]


async def show_complaint(event: Event, ctx: Context, complaint_id: str) -> list[Action]:
    t = ctx.texts
    complaint = await ctx.repo.complaint_by_id(int(complaint_id)) if complaint_id.isascii() and complaint_id.isdigit() and len(complaint_id) <= 18 else None
    answer = AnswerCallback(event.chat_id, event.callback_id or "")
    if complaint is None or complaint.citizen_id != event.user_id:
        return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This report is not available."), alert=True)]
    return [answer, *await citizen_cases.card(event, ctx, complaint)]


def language_menu(event: Event, ctx: Context) -> list[Action]:
    keyboard = InlineKeyboard(((Button("🇮🇩 Bahasa Indonesia", "lang:id"), Button("🇬🇧 English", "lang:en")),))
    return [Send(event.chat_id, ctx.texts.gettext("Choose your language:"), keyboard)]


async def set_language(event: Event, ctx: Context, language: str) -> list[Action]:
    if language not in ("id", "en"):
        return [AnswerCallback(event.chat_id, event.callback_id or "")]
    user = await ctx.remember(event)
    user.language = language
    user.language_chosen = True
    ctx.language = language
    t = ctx.texts
    actions: list[Action] = [AnswerCallback(event.chat_id, event.callback_id or "")]
    if event.message_id is not None:
        actions.append(Edit(event.chat_id, event.message_id, t.gettext("Language: English")))
    actions.append(Send(event.chat_id, t.gettext("From now on I will speak English."), main_menu(t)))
    return actions


def is_stale_draft(updated_at_age: timedelta, ctx: Context) -> bool:
    return updated_at_age >= ctx.config.resume_after


__all__ = [
    "DISCARD", "MENU_HELP", "MENU_HISTORY", "MENU_LANGUAGE", "MENU_LAPOR", "RESTART", "RESUME",
    "continue_form", "help_text", "history", "is_stale_draft", "language_menu",
    "offer_resume", "resume", "set_language", "show_complaint", "start_form", "status", "welcome",
]  # fmt: skip
