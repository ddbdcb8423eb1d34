"""Text a case button asks for — a reason, a question, an answer, a reply — with preview and confirm.

One pending input per user (a `PendingInput` row): the button starts it, the next messages fill it
(text, and files where the action takes them), a preview shows exactly what will be sent, and only
its ✅ button acts. The role and the case are checked again at that moment, not trusted from the
moment the button was pressed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal

from cases.tickets import parse_ticket
from cases.workflow import Actor, CaseError, lapor_number
from handlers.casework import keyboards
from handlers.casework.acting import alert, invalid_button, load_case, perform, refusal
from handlers.casework.actors import as_admin, as_citizen, as_officer
from handlers.core.actions import Action, AnswerCallback, Button, Edit, InlineKeyboard, Send
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.forms import Invalid
from handlers.core.i18n import N_, Texts
from handlers.core.labels import staff_status_label, status_label
from handlers.core.text import esc
from handlers.core.validation import clean_text, text_length, validate_file
from storage import roles
from storage.models import Complaint, PendingInput

Role = Literal["admin", "officer", "citizen"]
MESSAGE_MAX = 3000


@dataclass(frozen=True)
class InputSpec:
    role: Role
    rule: str
    what: str  # msgid: what is being written, for the prompt and the preview
    confirm: str  # msgid of the ✅ button
    files: bool = False
    text: Literal["required", "optional", "none"] = "required"


SPECS: dict[str, InputSpec] = {
    "route": InputSpec("admin", "verify_and_route", N_("Routing"), N_("✅ Route"), text="none"),
    "reject": InputSpec("admin", "reject", N_("Rejection"), N_("❌ Reject the report"), text="optional"),
    "reject_other": InputSpec("admin", "reject", N_("Reason for the rejection"), N_("❌ Reject the report")),
    "a_ask": InputSpec("admin", "request_info", N_("Question to the reporter"), N_("✅ Send the question")),
    "dup": InputSpec("admin", "mark_duplicate", N_("Ticket number of the report it repeats"), N_("🔁 Mark as duplicate")),
    "lapor": InputSpec("admin", "link_lapor", N_("SP4N-LAPOR! tracking number"), N_("✅ Save the number")),
    "respond": InputSpec("officer", "respond", N_("Answer to the reporter"), N_("✅ Send the answer"), files=True),
    "o_ask": InputSpec("officer", "request_info", N_("Question to the reporter"), N_("✅ Send the question")),
    "not_ours": InputSpec("officer", "not_ours", N_("Why this is not your agency's authority"), N_("↩️ Return to Diskominfo")),
    "o_reply": InputSpec("officer", "reply", N_("Reply to the reporter"), N_("✅ Send the reply"), files=True),
    "answer": InputSpec("citizen", "answer_info", N_("Your answer"), N_("✅ Send my answer"), files=True),
    "c_reply": InputSpec("citizen", "reply", N_("Your reply"), N_("✅ Send my reply"), files=True),
    "rate": InputSpec("citizen", "rate", N_("Rating"), N_("✅ Send my rating"), text="optional"),
    "reopen": InputSpec("citizen", "reopen", N_("Why you are not satisfied"), N_("🔄 Reopen the report")),
}

REJECT_REASONS = ("vague", "notgov", "abusive", "legal", "empty")


def reject_reason(code: str, t: Texts) -> str:
    """The listed rejection reasons, as the reporter reads them."""
    return {
        "vague": t.gettext("The report is too general or unclear. Please describe what happened, where and when."),
        "notgov": t.gettext("The report is not about a public service of the Kutai Kartanegara government."),
        "abusive": t.gettext("The report contains insults, hate speech or SARA content."),
        "legal": t.gettext("The matter is a crime or a court case; please report it to the police or the court."),
        "empty": t.gettext("The report contains no complaint, aspiration or question."),
    }.get(code, code)


# -- starting ---------------------------------------------------------------------------------------


async def start(event: Event, ctx: Context, kind: str, complaint: Complaint, argument: str | None = None,
                text: str | None = None) -> list[Action]:
    """Open an input for `kind` on `complaint` (replacing any other) and ask for it."""
    nonce = secrets.token_hex(4)
    pending = await ctx.repo.start_input(event.user_id, kind, complaint.id, argument, nonce, ctx.now,
                                         ctx.config.draft_ttl, text)  # fmt: skip
    ack = AnswerCallback(event.chat_id, event.callback_id) if event.callback_id else None
    actions = [ack] if ack else []
    return actions + await _next(event, ctx, pending, complaint)


async def _next(event: Event, ctx: Context, pending: PendingInput, complaint: Complaint, note: str | None = None) -> list[Action]:
    """The prompt when text is still missing, else the preview."""
    spec = SPECS[pending.action]
    t = ctx.texts
    if spec.text == "required" and not pending.text:
        lines = [f"✍️ <b>{esc(t.gettext(spec.what))}</b> — {complaint.ticket}"]
        if note:
            lines.append(note)
        lines.append(_prompt(spec, t))
        keyboard = InlineKeyboard(((Button(t.gettext("✖️ Cancel"), keyboards.data("p", "no", None, pending.nonce)),),))
        return [Send(event.chat_id, "\n\n".join(lines), keyboard)]
    return [Send(event.chat_id, await _preview(ctx, pending, complaint, note), _preview_keyboard(spec, pending, t))]


def _prompt(spec: InputSpec, t: Texts) -> str:
    if spec.files:
        return t.gettext("Write it as one message. You may also send photos or PDF files. Or press Cancel.")
    return t.gettext("Write it as one message, or press Cancel.")


def _preview_keyboard(spec: InputSpec, pending: PendingInput, t: Texts) -> InlineKeyboard:
    nonce = pending.nonce
    edit = t.gettext("✏️ Add a note") if spec.text == "optional" and not pending.text else t.gettext("✏️ Write again")
    first = (Button(t.gettext(spec.confirm), keyboards.data("p", "ok", None, nonce)),)
    second = [Button(t.gettext("✖️ Cancel"), keyboards.data("p", "no", None, nonce))]
    if spec.text != "none":
        second.insert(0, Button(edit, keyboards.data("p", "ed", None, nonce)))
    return InlineKeyboard((first, tuple(second)))


async def _preview(ctx: Context, pending: PendingInput, complaint: Complaint, note: str | None) -> str:
    spec = SPECS[pending.action]
    t = ctx.texts
    lines = [t.gettext("👀 <b>Check before sending</b> — {what}, {ticket}").format(what=esc(t.gettext(spec.what)), ticket=complaint.ticket)]
    if note:
        lines.append(note)
    if pending.action == "route":
        agency = await ctx.repo.agency(pending.argument or "")
        due = ctx.policy.calendar.add_working_days(ctx.calendar.local_date(ctx.now), ctx.policy.response_days)
        lines.append(t.gettext("Route to <b>{agency}</b>. The agency must answer by <b>{due}</b>.").format(
            agency=esc(agency.name if agency else pending.argument), due=esc(t.date(due))))
        if not await roles.officers_of(ctx.repo.session, pending.argument or ""):
            lines.append(t.gettext("⚠️ This agency has no officer in the bot yet: nobody there will see the case until one joins. Invite one with /undang."))
    elif pending.action == "rate":
        lines.append("⭐" * int(pending.argument or 0) + f" ({esc(pending.argument)}/5)")
        if pending.text:
            lines.append(esc(pending.text))
        else:
            lines.append(t.gettext("You may add a comment with “Add a note”."))
    elif pending.action == "reject":
        reader = await _reporter_texts(ctx, complaint)
        lines.append(t.gettext("The reporter will read:"))
        lines.append("<i>" + esc(_rejection_text(pending, reader)) + "</i>")
    else:
        lines.append(esc(pending.text or ""))
    if pending.files:
        lines.append(t.ngettext("📎 {n} file", "📎 {n} files", len(pending.files)).format(n=len(pending.files)))
    return "\n\n".join(lines)


def _rejection_text(pending: PendingInput, reader: Texts) -> str:
    listed = reject_reason(pending.argument or "", reader) if pending.action == "reject" else ""
    return "\n".join(part for part in (listed, pending.text or "") if part)


async def _reporter_texts(ctx: Context, complaint: Complaint) -> Texts:
    if complaint.citizen_id is None:  # a whistleblower: their language is sealed with their identity
        return ctx.texts_for(ctx.config.default_language)
    languages = await ctx.repo.languages_of([complaint.citizen_id])
    return ctx.texts_for(languages.get(complaint.citizen_id, complaint.language))


# -- filling ------------------------------------------------------------------------------------------


async def on_message(event: Event, ctx: Context, pending: PendingInput) -> list[Action]:
    """A message while an input is open fills it: text, files, or a clear word on what fits."""
    t = ctx.texts
    spec = SPECS[pending.action]
    complaint = await load_case(ctx, pending.complaint_id)
    if complaint is None:
        await ctx.repo.clear_input(event.user_id)
        return [Send(event.chat_id, t.gettext("This case is not available to you."))]
    note = None
    if event.files:
        if not spec.files:
            note = "⚠️ " + t.gettext("Files cannot be added here; please write text.")
        else:
            try:
                item = validate_file(event.files[0], len(pending.files), t, ctx.config.limits)
            except Invalid as invalid:
                note = "⚠️ " + invalid.message
            else:
                pending.files = [*pending.files, item]
    text = event.caption if event.files else event.text
    if text is not None and spec.text != "none":
        try:
            pending.text = _clean(text, pending.action, complaint, t)
        except Invalid as invalid:
            note = "⚠️ " + invalid.message
        else:
            if pending.action == "dup":
                note = await _check_duplicate(ctx, pending, complaint, t)
    elif event.unsupported or event.location or event.contact or (text is not None and spec.text == "none"):
        note = "⚠️ " + (t.gettext("Please use the buttons below.") if spec.text == "none" else t.gettext("Please write text (or press Cancel)."))
    return await _next(event, ctx, pending, complaint, note)


def _clean(raw: str, action: str, complaint: Complaint, t: Texts) -> str:
    value = clean_text(raw)
    if not value:
        raise Invalid(t.gettext("The answer is empty. Please write something."))
    if text_length(value) > MESSAGE_MAX:
        raise Invalid(t.gettext("That is too long ({n} characters); at most {max}. Please shorten it.").format(n=text_length(value), max=MESSAGE_MAX))
    if action == "dup":
        ticket = parse_ticket(value)
        if ticket is None:
            raise Invalid(t.gettext("That is not a ticket number (for example KKR-2026-000123)."))
        return ticket
    if action == "lapor":
        number = lapor_number(value)
        if number is None:
            raise Invalid(t.gettext("That is not a LAPOR! tracking number: 4 to 32 letters, digits or dashes, with at least one digit (for example 1234567)."))
        return number
    return value


async def _check_duplicate(ctx: Context, pending: PendingInput, complaint: Complaint, t: Texts) -> str | None:
    other = await ctx.repo.complaint_by_ticket(pending.text or "")
    if other is None or other.id == complaint.id:
        pending.text = None
        return "⚠️ " + t.gettext("There is no other report with that ticket number.")
    return None


# -- the preview's buttons ------------------------------------------------------------------------------


async def on_press(event: Event, ctx: Context, verb: str, nonce: str) -> list[Action]:
    t = ctx.texts
    pending = await ctx.repo.pending_input(event.user_id, ctx.now)
    if pending is None or pending.nonce != nonce:
        return invalid_button(event, t)
    ack = AnswerCallback(event.chat_id, event.callback_id or "")
    complaint = await load_case(ctx, pending.complaint_id, lock=verb == "ok")
    if verb == "no" or complaint is None:
        return [ack, *await cancel(event, ctx)]
    if verb == "ed":
        pending.text = None
        pending.nonce = secrets.token_hex(4)  # the old preview's buttons are stale now
        keyboard = InlineKeyboard(((Button(t.gettext("✖️ Cancel"), keyboards.data("p", "no", None, pending.nonce)),),))
        prompt = t.gettext("Write the note as one message, or press Cancel.") if SPECS[pending.action].text == "optional" else _prompt(SPECS[pending.action], t)
        if event.message_id is None:
            return [ack, Send(event.chat_id, prompt, keyboard)]
        return [ack, Edit(event.chat_id, event.message_id, prompt, keyboard)]  # the preview becomes the prompt
    if verb == "ok":
        return await _confirm(event, ctx, pending, complaint)
    return invalid_button(event, t)


async def cancel(event: Event, ctx: Context) -> list[Action]:
    await ctx.repo.clear_input(event.user_id)
    return [Send(event.chat_id, ctx.texts.gettext("Cancelled; nothing was sent."))]


async def _actor(ctx: Context, role: Role, user_id: int) -> Actor | None:
    if role == "admin":
        return await as_admin(ctx, user_id)
    if role == "officer":
        return await as_officer(ctx, user_id)
    return as_citizen(user_id)


async def _confirm(event: Event, ctx: Context, pending: PendingInput, complaint: Complaint) -> list[Action]:
    t = ctx.texts
    spec = SPECS[pending.action]
    if spec.text == "required" and not pending.text:
        return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("Please write a text."))]
    actor = await _actor(ctx, spec.role, event.user_id)
    files = list(pending.files or [])
    await ctx.repo.clear_input(event.user_id)
    try:
        if actor is None:
            raise CaseError("no longer in this role")
        arguments = await _arguments(ctx, pending, complaint)
        _, notices = await perform(ctx, complaint, actor, spec.rule, arguments, files)
    except CaseError as error:
        message = refusal(error, complaint if actor is not None else None, t, staff=spec.role != "citizen")
        return alert(event, message)
    done = _done_text(spec, complaint, t)
    actions: list[Action] = [AnswerCallback(event.chat_id, event.callback_id or "")]
    if event.message_id is not None:
        actions.append(Edit(event.chat_id, event.message_id, done))
    else:
        actions.append(Send(event.chat_id, done))
    return actions + notices


async def _arguments(ctx: Context, pending: PendingInput, complaint: Complaint) -> dict[str, Any]:
    text = pending.text or ""
    action = pending.action
    if action == "route":
        agency = await ctx.repo.agency(pending.argument or "")
        if agency is None or not agency.active:
            raise CaseError("agency unknown or inactive")
        return {"agency_code": agency.code}
    if action in ("reject", "reject_other"):
        code = pending.argument if action == "reject" and pending.argument in REJECT_REASONS else "other"
        return {"reason": _rejection_text(pending, await _reporter_texts(ctx, complaint)), "code": code}
    if action in ("a_ask", "o_ask"):
        return {"question": text}
    if action == "dup":
        return {"of_ticket": text}
    if action == "lapor":
        return {"number": text}
    if action in ("not_ours", "reopen"):
        return {"reason": text}
    if action == "rate":
        return {"score": int(pending.argument or 0), "comment": text}
    return {"text": text}  # respond, o_reply, answer, c_reply


def _done_text(spec: InputSpec, complaint: Complaint, t: Texts) -> str:
    label = status_label(complaint.status, t) if spec.role == "citizen" else staff_status_label(complaint.status, t)
    if spec.rule == "rate":
        return t.gettext("🙏 Thank you for your rating. Report {ticket} is closed.").format(ticket=complaint.ticket)
    return t.gettext("✅ Sent. {ticket} is now: “{status}”.").format(ticket=complaint.ticket, status=esc(label))
