"""Following an anonymous report with its token: /lacak (each use rotates the token; a used one
locks the thread), the case's buttons for 30 minutes, answers and evidence with a preview, /lupakan."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cases import tokens
from cases.model import Status
from cases.workflow import Actor, CaseError
from handlers.casework import keyboards
from handlers.casework.acting import perform, refusal, stale
from handlers.casework.actors import allowed
from handlers.casework.cards import citizen_card
from handlers.casework.facts import card_facts
from handlers.casework.recipients import admin_ids, in_languages, officer_ids
from handlers.core.actions import Action, Button, Delete, Edit, InlineKeyboard, Send, ack
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.forms import Invalid
from handlers.core.i18n import Texts
from handlers.core.labels import status_label
from handlers.core.text import esc
from handlers.core.validation import clean_text, text_length, validate_file
from handlers.whistleblower import state
from handlers.whistleblower.form import IMAGE_TYPES
from handlers.whistleblower.report import add_files, token_message
from storage import anon, cases
from storage.models import AnonReport, AuditEntry, Complaint
from storage.vault import Vault

WHISTLEBLOWER = Actor("whistleblower")
THROTTLE_WINDOW = timedelta(minutes=15)
SENDER_LIMIT = 5  # wrong tokens per sender per window
LOOKUP_LIMIT = 10  # wrong secrets per lookup id per window
MESSAGE_MAX = 3000


async def track(event: Event, ctx: Context, vault: Vault) -> list[Action]:
    t = ctx.texts
    session = ctx.repo.session
    actions: list[Action] = []
    if event.message_id is not None and event.args:
        actions.append(Delete(event.chat_id, event.message_id))  # it carried a token (or a guess)
    if not event.args.strip():
        return [Send(event.chat_id, t.gettext("Send /lacak followed by your token, for example: /lacak ABCD-EFGH-…"))]
    sender = "s:" + vault.index("sender", event.user_id)
    if await anon.failures(session, sender, ctx.now, THROTTLE_WINDOW) >= SENDER_LIMIT:
        return actions + [Send(event.chat_id, t.gettext("Too many wrong tokens from this account. Please wait 15 minutes."))]
    token = tokens.parse(event.args)
    row = await anon.token(session, token.lookup) if token is not None else None
    per_lookup = f"l:{token.lookup}" if token is not None else None
    if per_lookup is not None and row is not None and await anon.failures(session, per_lookup, ctx.now, THROTTLE_WINDOW) >= LOOKUP_LIMIT:
        return actions + [Send(event.chat_id, t.gettext("Too many wrong tokens for this report. Please wait 15 minutes."))]
    if token is None or row is None or not tokens.matches(token, anon.stored(row)):
        await anon.fail(session, sender, ctx.now, THROTTLE_WINDOW)
        if per_lookup is not None and row is not None:
            await anon.fail(session, per_lookup, ctx.now, THROTTLE_WINDOW)
        return actions + [Send(event.chat_id, t.gettext("This token is not known. Check it and try again (letters and digits; dashes do not matter)."))]
    sealed = await anon.report(session, row.complaint_id)
    complaint = await ctx.repo.complaint_by_id(row.complaint_id)
    assert sealed is not None and complaint is not None
    if row.retired:
        return actions + await _retired_used(event, ctx, sealed, complaint)
    if sealed.locked_at is not None:
        return actions + [Send(event.chat_id, t.gettext("The anonymous thread of this report is locked because an old token was used. Please make a new anonymous report (/anonim) and mention the ticket number {ticket}.").format(ticket=complaint.ticket))]
    row.retired = True
    fresh = tokens.new_token()
    await anon.add_token(session, complaint.id, tokens.store(fresh))
    await state.save(ctx, vault, event.user_id, {"stage": "session", "case": complaint.id}, state.SESSION)
    return actions + await _view(event, ctx, complaint) + [token_message(event.chat_id, fresh, t, first=False)]


async def _retired_used(event: Event, ctx: Context, sealed: AnonReport, complaint: Complaint) -> list[Action]:
    """Someone presented a token that was already used: another person may hold it. Lock, alert."""
    t = ctx.texts
    if sealed.locked_at is None:
        sealed.locked_at = ctx.now
    actions: list[Action] = [Send(event.chat_id, t.gettext("This token was already used once. For the reporter's safety the report's anonymous thread is now locked. If you are the reporter, make a new anonymous report (/anonim) and mention the ticket number {ticket}.").format(ticket=complaint.ticket))]
    for admin_id, at in await in_languages(ctx, await admin_ids(ctx)):
        html = at.gettext("⚠️ An old token of the anonymous report {ticket} was used: someone other than the reporter may hold it. The report's anonymous thread is locked; nothing was shown.").format(ticket=complaint.ticket)
        actions.append(Send(admin_id, html, keyboards.open_button("a", complaint, at)))
    return actions


async def _view(event: Event, ctx: Context, complaint: Complaint) -> list[Action]:
    t = ctx.texts
    facts = await card_facts(ctx, complaint, reporter=False)
    keyboard = keyboards.citizen_keyboard(complaint, allowed(ctx, complaint, WHISTLEBLOWER), t, anonymous=True)
    buttons = list(keyboard.rows) if keyboard is not None else []
    if complaint.status in (Status.SUBMITTED, Status.VERIFIED, Status.INFO_REQUESTED, Status.AGENCY_INFO_REQUESTED):
        buttons.append((Button(t.gettext("📎 Add evidence"), "z:ev"),))
    html = citizen_card(complaint, t, facts) + "\n\n" + t.gettext("You can act on the report for 30 minutes.")
    return [Send(event.chat_id, html, InlineKeyboard(tuple(buttons)) if buttons else None)]


_INPUTS = {"ans": ("answer_info", "answer_info"), "rep": ("reply", "reply"), "reo": ("reopen", "reopen"),
           "ev": ("evidence", None)}  # fmt: skip


async def on_press(event: Event, ctx: Context, vault: Vault, verb: str, argument: str, current: dict[str, Any]) -> list[Action]:
    """The buttons of a followed case: updates in this chat, rate, answer, reply, reopen, add
    evidence, and the preview's Send / Write again."""
    t = ctx.texts
    stage = current.get("stage")
    case_id = current.get("case")
    if case_id is None or stage not in ("submitted", "session", "input"):
        return ack(event, t.gettext("This button is no longer valid. Send /lacak and your token again."), alert=True)
    complaint = await ctx.repo.complaint_by_id(int(case_id), lock=verb == "ok")
    sealed = await anon.report(ctx.repo.session, int(case_id))
    if complaint is None or sealed is None:
        return ack(event, t.gettext("This button is no longer valid."))
    if verb == "push":
        sealed.push = vault.seal_json({"chat_id": event.chat_id, "language": ctx.language}, f"push:{complaint.id}")
        sealed.push_index = vault.index("push", event.chat_id)
        return ack(event) + [Send(event.chat_id, t.gettext("🔔 You will get status updates about {ticket} in this chat. Anyone who sees this phone sees them too. /lupakan removes this chat at once.").format(ticket=complaint.ticket))]
    if sealed.locked_at is not None:
        return ack(event, t.gettext("The anonymous thread of this report is locked."), alert=True)
    if stage == "submitted":
        return ack(event, t.gettext("Send /lacak and your token to act on the report."), alert=True)
    if verb == "rate":
        keyboard = keyboards.stars(lambda n: f"z:st:{n}")
        return ack(event) + [Send(event.chat_id, t.gettext("How satisfied are you with the answer? 1 star: not at all, 5 stars: very."), keyboard)]
    if verb in _INPUTS or verb == "st":
        kind, needs = _INPUTS.get(verb, ("rate", "rate"))
        if verb == "st" and argument not in ("1", "2", "3", "4", "5"):
            return ack(event, t.gettext("This button is no longer valid."))
        if needs is not None and needs not in allowed(ctx, complaint, WHISTLEBLOWER):
            return ack(event, stale(complaint, t, staff=False), alert=True)
        await state.save(ctx, vault, event.user_id, {"stage": "input", "case": complaint.id, "kind": kind, "score": argument or None, "text": None, "files": []}, state.SESSION)
        return ack(event) + [Send(event.chat_id, _prompt(kind, t), InlineKeyboard(((Button(t.gettext("✖️ Cancel"), "z:no"),),)))]
    if stage != "input":
        return ack(event, t.gettext("This button is no longer valid."))
    if verb == "ed":
        current["text"], current["files"] = None, []
        await state.save(ctx, vault, event.user_id, current, state.SESSION)
        return ack(event) + [Send(event.chat_id, _prompt(current["kind"], t))]
    if verb == "ok":
        return await _confirm(event, ctx, vault, current, complaint)
    return ack(event, t.gettext("This button is no longer valid."))


async def back_to_session(ctx: Context, vault: Vault, event: Event, current: dict[str, Any]) -> None:
    await state.save(ctx, vault, event.user_id, {"stage": "session", "case": current.get("case")}, state.SESSION)


def _prompt(kind: str, t: Texts) -> str:
    if kind == "rate":
        return t.gettext("Add a comment if you like, then press Send (or Send without a comment).")
    if kind == "evidence":
        return t.gettext("Send the photos (their hidden data is removed), with a few words of explanation.")
    return t.gettext("Write it as one message (you may add photos). Do not write your name or your token.")


async def fill(event: Event, ctx: Context, vault: Vault, current: dict[str, Any]) -> list[Action]:
    t = ctx.texts
    note = None
    text = event.caption if event.files else event.text
    if event.files:
        try:
            item = validate_file(event.files[0], len(current["files"]), t, ctx.config.limits)
            if item["kind"] == "document" and str(item.get("mime_type")) not in IMAGE_TYPES:
                raise Invalid(t.gettext("Only pictures can be cleaned of hidden data; please send a photo or a screenshot."))
            current["files"] = [*current["files"], item]
        except Invalid as invalid:
            note = "⚠️ " + invalid.message
    if text is not None:
        value = clean_text(text)
        if await _carries_token(ctx, int(current["case"]), value):
            note = "⚠️ " + t.gettext("That message contains your token. Never send the token with a report or answer: write it again without it.")
        elif text_length(value) > MESSAGE_MAX:
            note = "⚠️ " + t.gettext("That is too long ({n} characters); at most {max}. Please shorten it.").format(n=text_length(value), max=MESSAGE_MAX)
        elif value:
            current["text"] = value
    await state.save(ctx, vault, event.user_id, current, state.SESSION)
    ready = bool(current["text"]) or (current["kind"] == "rate") or (current["kind"] == "evidence" and current["files"])
    lines = [f"👀 <b>{esc(t.gettext('Check before sending'))}</b>"]
    if note:
        lines.append(note)
    if current["kind"] == "rate":
        lines.append("⭐" * int(current["score"] or 0))
    lines.append(esc(current["text"] or ""))
    if current["files"]:
        lines.append(t.ngettext("📎 {n} file", "📎 {n} files", len(current["files"])).format(n=len(current["files"])))
    buttons: list[tuple[Button, ...]] = [(Button(t.gettext("✅ Send"), "z:ok"),)] if ready else []
    buttons.append((Button(t.gettext("✏️ Write again"), "z:ed"), Button(t.gettext("✖️ Cancel"), "z:no")))
    return [Send(event.chat_id, "\n\n".join(line for line in lines if line), InlineKeyboard(tuple(buttons)))]


async def _carries_token(ctx: Context, case_id: int, text: str) -> bool:
    """Whether `text` holds a token of this case (any, used or not): checked against the stored hashes."""
    raw = tokens.normalize(text)
    for row in await anon.tokens_of(ctx.repo.session, case_id):
        start = raw.find(row.lookup)
        while start != -1:
            secret = raw[start + tokens.LOOKUP_CHARS:start + tokens.LOOKUP_CHARS + tokens.SECRET_CHARS]
            if len(secret) == tokens.SECRET_CHARS and tokens.matches(tokens.Token(row.lookup, secret), anon.stored(row)):
                return True
            start = raw.find(row.lookup, start + 1)
    return False


async def _confirm(event: Event, ctx: Context, vault: Vault, current: dict[str, Any], complaint: Complaint) -> list[Action]:
    t = ctx.texts
    kind, text, files = current["kind"], current.get("text") or "", list(current.get("files") or [])
    await back_to_session(ctx, vault, event, current)
    notices: list[Action] = []
    if kind == "evidence":
        entry = AuditEntry(complaint_id=complaint.id, actor="whistleblower", action="add_evidence",
                           from_status=complaint.status, to_status=complaint.status, reason=text or None, at=ctx.now)  # fmt: skip
        ctx.repo.session.add(entry)
        await ctx.repo.session.flush()
        await add_files(ctx, vault, complaint, files, entry.id)
        notices = await _evidence_notice(ctx, complaint, len(files))
    else:
        arguments: dict[str, Any] = {"answer_info": {"text": text}, "reply": {"text": text}, "reopen": {"reason": text},
                                     "rate": {"score": int(current.get("score") or 0), "comment": text}}[kind]  # fmt: skip
        try:
            _, notices = await perform(ctx, complaint, WHISTLEBLOWER, kind, arguments)
        except CaseError as error:
            return ack(event, refusal(error, complaint, t, staff=False), alert=True)
        if files:
            last = (await cases.history(ctx.repo.session, complaint))[-1]
            await add_files(ctx, vault, complaint, files, last.id)
    actions: list[Action] = ack(event)
    done = t.gettext("✅ Sent. {ticket} is now: “{status}”.").format(ticket=complaint.ticket, status=esc(status_label(complaint.status, t)))
    actions.append(Edit(event.chat_id, event.message_id, done) if event.message_id is not None else Send(event.chat_id, done))
    return actions + notices


async def _evidence_notice(ctx: Context, complaint: Complaint, count: int) -> list[Action]:
    """Whoever holds the case hears that new evidence came (cleaned copies on the card's button)."""
    routed = complaint.agency_code is not None and complaint.status not in (Status.SUBMITTED, Status.RETURNED, Status.INFO_REQUESTED)
    ids = await officer_ids(ctx, complaint.agency_code) if routed else await admin_ids(ctx)
    actions: list[Action] = []
    for chat, t in await in_languages(ctx, ids):
        html = t.ngettext("📎 The reporter added {n} evidence file to {ticket}.", "📎 The reporter added {n} evidence files to {ticket}.", count).format(n=count, ticket=complaint.ticket)
        actions.append(Send(chat, html, keyboards.open_button("o" if routed else "a", complaint, t)))
    return actions


async def forget(event: Event, ctx: Context, vault: Vault) -> list[Action]:
    reports = await anon.pushed_to(ctx.repo.session, vault.index("push", event.chat_id))
    for sealed in reports:
        sealed.push, sealed.push_index = None, None
    t = ctx.texts
    return [Send(event.chat_id, t.gettext("Done: this chat gets no more updates about anonymous reports ({n}). Follow them with /lacak and your token.").format(n=len(reports)))]
