"""The /lapor conversation: start, answer by answer through the form, resume a saved draft, submit.

The questions themselves are the table in `handlers.citizen.form`; this module keeps the draft
(saved after every answer), files the report and tells the admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cases.model import Status
from handlers.casework.notices import new_report_to_admins
from handlers.citizen.form import COMPLAINT_FORM, TO_ANONYMOUS
from handlers.citizen.menu import main_menu
from handlers.core.actions import (
    Action,
    AnswerCallback,
    Button,
    InlineKeyboard,
    RemoveKeyboard,
    Send,
)
from handlers.core.bursts import answer_once
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.forms import FormResult, Invalid
from handlers.core.i18n import Texts
from handlers.core.questions import UNKNOWN_AGENCY, FormContext, event_date_of, form_context
from handlers.core.text import esc
from storage.repo import new_complaint

RESUME = "r:go"
RESTART = "r:new"
DISCARD = "r:drop"


@dataclass(frozen=True)
class ChoseAnonymous:
    """The reporter chose *Anonymous* at the privacy step. The named draft is gone; the router hands
    `answers` to the whistleblower channel, after `actions` (the button's answer)."""

    answers: dict[str, Any]
    actions: list[Action]


# -- the form -------------------------------------------------------------------------------------


async def start_form(event: Event, ctx: Context, answers: dict[str, Any] | None = None, skip: tuple[str, ...] = ()) -> list[Action]:
    """A new /lapor form; `answers` were given before it (a photo, voice note or location sent first)."""
    t = ctx.texts
    fctx = await form_context(ctx)
    result = COMPLAINT_FORM.start(event.chat_id, fctx, answers, skip)
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


async def continue_form(event: Event, state: dict[str, Any], ctx: Context) -> list[Action] | ChoseAnonymous:
    fctx = await form_context(ctx)
    result = COMPLAINT_FORM.handle(event, state, fctx)
    if result.submitted is not None:
        return await _submit(event, state, result, fctx, ctx)
    if result.state is not None and result.state.get("view", {}).get(TO_ANONYMOUS):
        await _save(event, ctx, None)  # the draft leaves this table (keyed by the user's id)
        return ChoseAnonymous(result.state["answers"], [a for a in result.actions if isinstance(a, AnswerCallback)])
    after, actions = answer_once(event, state, result.state, result.actions, ctx.now)
    await _save(event, ctx, after)
    return actions


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
        description_forwarded=bool(answers.get("description_forwarded")),
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
    actions += await new_report_to_admins(ctx, complaint)
    return actions


def is_stale_draft(updated_at_age: timedelta, ctx: Context) -> bool:
    return updated_at_age >= ctx.config.resume_after
