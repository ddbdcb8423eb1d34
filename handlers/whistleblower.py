"""The whistleblower channel: /anonim, the one-time token, /lacak, pushed updates, /lupakan.

What the bot keeps of a whistleblower: a keyed hash of their Telegram id for the draft they are
writing (deleted when sent), the report sealed with the vault key, their identity sealed to the
offline disclosure key, a salted hash of the token's secret, and — only if they ask — their chat
id sealed for pushed updates. Every update handled here sets `ctx.sensitive`: its outgoing messages
are wiped from the outbox once sent and the user's row, if they have one, is not touched.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from cases import tokens
from cases.model import Status
from cases.workflow import Actor, CaseError
from handlers import case_buttons
from handlers.actions import Action, AnswerCallback, Button, Delete, Edit, InlineKeyboard, Send
from handlers.anon_form import ANON_FORM, IMAGE_TYPES
from handlers.cards import citizen_card, status_label
from handlers.casework import perform, refusal, stale
from handlers.citizen import form_context, notify_admins
from handlers.context import Context
from handlers.events import Event
from handlers.forms import Invalid
from handlers.i18n import Texts
from handlers.staff import admin_ids, allowed, card_facts, in_languages, officer_ids
from handlers.text import esc
from handlers.validators import clean_text, text_length, validate_file
from storage import anon, cases
from storage.models import AnonFile, AnonReport, AnonToken, AuditEntry, Complaint
from storage.repo import new_complaint
from storage.vault import Vault

WHISTLEBLOWER = Actor("whistleblower")
SESSION = timedelta(minutes=30)  # how long a /lacak opens the case for answering
THROTTLE_WINDOW = timedelta(minutes=15)
SENDER_LIMIT = 5  # wrong tokens per sender per window
LOOKUP_LIMIT = 10  # wrong secrets per lookup id per window
PSEUDONYM_CHARS = 3
MESSAGE_MAX = 3000
COMMANDS = ("anonim", "lacak", "lupakan")


# -- routing --------------------------------------------------------------------------------------------


async def route(event: Event, ctx: Context) -> list[Action] | None:
    """The actions if this update belongs to the whistleblower channel, else None."""
    data = event.callback_data or ""
    if event.command in COMMANDS or data.startswith("z:"):
        ctx.sensitive = True
        vault = ctx.config.vault
        if vault is None:
            return _ack(event) + [_not_set_up(event, ctx.texts)]
        if event.command == "anonim":
            return await _intro(event, ctx)
        if event.command == "lacak":
            return await _track(event, ctx, vault)
        if event.command == "lupakan":
            return await _forget(event, ctx, vault)
        return await _press(event, ctx, vault, data)
    vault = ctx.config.vault
    if vault is None:
        return None
    state = await _state(ctx, vault, event.user_id)
    if state is None:
        return None
    stage = state.get("stage")
    if event.is_callback:
        if stage == "form" and data.split("|", 1)[0] == state["form"].get("nonce"):
            ctx.sensitive = True
            return await _form(event, ctx, vault, state)
        return None
    if event.command in ("batal", "cancel") and stage in ("intro", "form", "input"):
        ctx.sensitive = True
        await _drop(ctx, vault, event.user_id)
        return [Send(event.chat_id, ctx.texts.gettext("Cancelled; nothing was sent."))]
    if event.command is not None:
        return None
    if stage == "form":
        ctx.sensitive = True
        return await _form(event, ctx, vault, state)
    if stage == "input":
        ctx.sensitive = True
        return await _fill(event, ctx, vault, state)
    return None


def _not_set_up(event: Event, t: Texts) -> Send:
    return Send(event.chat_id, t.gettext("The anonymous channel is not set up on this server yet. Please contact Diskominfo."))


def _ack(event: Event, text: str | None = None, alert: bool = False) -> list[Action]:
    return [AnswerCallback(event.chat_id, event.callback_id, text, alert)] if event.callback_id else []


# -- the sealed per-user state ----------------------------------------------------------------------------


def _key(vault: Vault, user_id: int) -> str:
    return vault.index("user", user_id)


async def _state(ctx: Context, vault: Vault, user_id: int) -> dict[str, Any] | None:
    key = _key(vault, user_id)
    row = await anon.draft(ctx.repo.session, key, ctx.now)
    if row is None:
        return None
    value = vault.open_json(row.state, f"draft:{key}")
    return value if isinstance(value, dict) else None


async def _save(ctx: Context, vault: Vault, user_id: int, state: dict[str, Any], ttl: timedelta) -> None:
    key = _key(vault, user_id)
    await anon.save_draft(ctx.repo.session, key, vault.seal_json(state, f"draft:{key}"), ctx.now, ttl)


async def _drop(ctx: Context, vault: Vault, user_id: int) -> None:
    await anon.drop_draft(ctx.repo.session, _key(vault, user_id))


def _day(ctx: Context) -> datetime:
    """Today's start (WITA): what is recorded of a whistleblower's moments (no time of day)."""
    return datetime.combine(ctx.calendar.local_date(ctx.now), time(0), ctx.calendar.tz)


# -- making a report --------------------------------------------------------------------------------------


async def _intro(event: Event, ctx: Context) -> list[Action]:
    vault = ctx.config.vault
    assert vault is not None
    await _save(ctx, vault, event.user_id, {"stage": "intro"}, ctx.config.draft_ttl)
    t = ctx.texts
    message = _intro_message(event, ctx)
    keyboard = InlineKeyboard(((Button(t.gettext("▶️ Continue"), "z:go"), Button(t.gettext("✖️ Cancel"), "z:no")),))
    return [Send(message.chat_id, message.html, keyboard)]


def _intro_message(event: Event, ctx: Context) -> Send:
    """What is protected and what is not, said before anything is asked."""
    t = ctx.texts
    html = t.gettext(
        "🕵️ <b>Anonymous report (whistleblowing)</b>\n\n"
        "For wrongdoing — pungli, abuse of authority, conflict of interest — reported without anyone at Diskominfo or the agency learning who you are.\n\n"
        "<b>What is protected:</b> officers and admins see only a pseudonym, what you write, and your photos with their hidden data removed. Who you are is sealed in a vault that no officer or admin can open; only a lawful disclosure with keys kept off this server can.\n\n"
        "<b>What is not:</b> Telegram itself sees that your account talks to this bot. What you write and what your photos show can point to you: do not write your name, and think about who else knows these details.\n\n"
        "<b>Following up:</b> instead of your account, you get a token. Anyone holding it can follow the report, so keep it safe. Use /lacak with the token from any Telegram account."
    )
    return Send(event.chat_id, html)


async def from_lapor(event: Event, ctx: Context, answers: dict[str, Any]) -> list[Action]:
    """“Anonymous” chosen in /lapor: the answers move to this channel's form — all but the exact
    location, the address, the phone number and files that cannot be cleaned — after the intro."""
    ctx.sensitive = True
    vault = ctx.config.vault
    t = ctx.texts
    if vault is None:
        return [_not_set_up(event, t)]
    form = ANON_FORM.new_state()
    kecamatan = (answers.get("location") or {}).get("kecamatan")
    files = [f for f in answers.get("attachments") or [] if f["kind"] == "photo" or f.get("mime_type") in IMAGE_TYPES]
    carried = {"agency": answers.get("agency"), "description": answers.get("description"), "event_date": answers.get("event_date"),
               "place": {"kecamatan": kecamatan} if kecamatan else None, "attachments": files}  # fmt: skip
    form["answers"] = {k: v for k, v in carried.items() if v is not None}
    form["step"] = next((step.field for step in ANON_FORM.steps if step.field not in form["answers"]), "summary")
    await _save(ctx, vault, event.user_id, {"stage": "form", "form": form}, ctx.config.draft_ttl)
    intro = _intro_message(event, ctx)
    note = t.gettext("Your answers so far were moved here; your exact location, address and phone number were dropped. Check them before sending.")
    return [intro] + ANON_FORM.reprompt(event.chat_id, form, await form_context(ctx), note)


async def _form(event: Event, ctx: Context, vault: Vault, state: dict[str, Any]) -> list[Action]:
    fctx = await form_context(ctx)
    result = ANON_FORM.handle(event, state["form"], fctx)
    if result.cancelled or result.state is None and result.submitted is None:
        await _drop(ctx, vault, event.user_id)
        return result.actions
    if result.submitted is not None:
        named = _own_names_in(str(result.submitted.get("description") or ""), event)
        if named:  # before anything is stored: the report must not name its own author
            await _save(ctx, vault, event.user_id, {"stage": "namecheck", "form": state["form"], "answers": result.submitted}, ctx.config.draft_ttl)
            return _ack(event) + [_name_warning(event, ctx.texts, named)]
        return result.actions + await _submit(event, ctx, vault, result.submitted)
    await _save(ctx, vault, event.user_id, {"stage": "form", "form": result.state}, ctx.config.draft_ttl)
    return result.actions


def _own_names_in(text: str, event: Event) -> list[str]:
    """Parts of the sender's Telegram name or username that the text contains, as whole words."""
    parts = [p for p in (event.display_name or "").split() if len(p) >= 3]
    if event.username and len(event.username) >= 3:
        parts.append(event.username)
    return [p for p in dict.fromkeys(parts) if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text, re.IGNORECASE)]


def _name_warning(event: Event, t: Texts, named: list[str]) -> Send:
    words = ", ".join(f"“{esc(n)}”" for n in named)
    html = t.gettext("⚠️ Your report mentions {words} — that is in your Telegram name. Officers would read it. Do you want to change what you wrote?").format(words=words)
    keyboard = InlineKeyboard(((Button(t.gettext("✏️ Change what happened"), "z:fixname"),),
                               (Button(t.gettext("Send it as it is"), "z:asis"),)))  # fmt: skip
    return Send(event.chat_id, html, keyboard)


async def _submit(event: Event, ctx: Context, vault: Vault, answers: dict[str, Any]) -> list[Action]:
    t = ctx.texts
    day = _day(ctx)
    today = day.date()
    pseudonym = "#" + "".join(secrets.choice(tokens.ALPHABET) for _ in range(PSEUDONYM_CHARS))
    agency = answers.get("agency")
    complaint = new_complaint(
        ticket=await ctx.repo.next_ticket(today.year), citizen_id=None, source_update_id=event.update_id,
        report_class="pengaduan", topic="anonim", agency_code=agency if agency and agency != "-" else None,
        title=f"Laporan anonim {pseudonym}", description="", event_date=today, privacy="anonim",
        language=ctx.config.default_language, status=Status.SUBMITTED.value, created_at=day,
        verification_due=ctx.calendar.add_working_days(today, ctx.config.verification_working_days),
        anonymous=True, pseudonym=pseudonym,
    )  # fmt: skip
    complaint = await ctx.repo.add_complaint(complaint, [], actor="whistleblower")
    place = (answers.get("place") or {}).get("kecamatan")
    content = {"what": answers.get("description", ""), "when": answers.get("event_date"), "place": place}
    identity = {"telegram_user_id": event.user_id, "username": event.username, "name": event.display_name,
                "language_code": event.language_code}  # fmt: skip
    ctx.repo.session.add(AnonReport(complaint_id=complaint.id, content=vault.seal_json(content, f"report:{complaint.id}"),
                                    identity=vault.seal_identity(identity)))  # fmt: skip
    await _add_files(ctx, vault, complaint, answers.get("attachments") or [], None)
    token = tokens.new_token()
    await anon.add_token(ctx.repo.session, complaint.id, tokens.store(token))
    await _save(ctx, vault, event.user_id, {"stage": "submitted", "case": complaint.id}, SESSION)
    received = t.gettext("✅ <b>Your anonymous report {ticket} has been received.</b> Diskominfo verifies it by {due}. You appear to officers only as “{pseudonym}”.").format(
        ticket=complaint.ticket, due=esc(t.date(complaint.verification_due)), pseudonym=pseudonym)
    actions: list[Action] = [Send(event.chat_id, received), _token_message(event.chat_id, token, t, first=True)]
    return actions + await notify_admins(complaint, ctx)


async def _add_files(ctx: Context, vault: Vault, complaint: Complaint, files: list[dict[str, Any]], audit_id: int | None) -> None:
    for item in files:
        name = secrets.token_hex(12)
        ref = {"kind": item["kind"], "file_id": item["file_id"], "mime_type": item.get("mime_type")}
        ctx.repo.session.add(AnonFile(complaint_id=complaint.id, name=name, ref=vault.seal_json(ref, f"ref:{name}"),
                                      status="pending", audit_id=audit_id))  # fmt: skip
    if files:
        await ctx.repo.session.flush()


def _token_message(chat_id: int, token: tokens.Token, t: Texts, *, first: bool) -> Send:
    head = t.gettext("🔑 <b>Your token</b> (shown only once):") if first else t.gettext("🔑 <b>Your new token</b> — the one you used no longer works:")
    html = head + f"\n\n<code>{token}</code>\n\n" + t.gettext(
        "Write it down or keep it where only you can reach it — not in this chat: I will delete this message. "
        "To follow the report, from any Telegram account, send /lacak and the token. "
        "Each use gives you a new token. If anyone uses an old one, the report's anonymous thread is locked for your safety.")
    keyboard = InlineKeyboard((
        (Button(t.gettext("✅ I saved it — delete this message"), "z:saved"),),
        (Button(t.gettext("🔔 Send me updates in this chat"), "z:push"),),
    ))  # fmt: skip
    return Send(chat_id, html, keyboard)


# -- following a report with the token ---------------------------------------------------------------------


async def _track(event: Event, ctx: Context, vault: Vault) -> list[Action]:
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
    report = await anon.report(session, row.complaint_id)
    complaint = await ctx.repo.complaint_by_id(row.complaint_id)
    assert report is not None and complaint is not None
    if row.retired:
        return actions + await _retired_used(event, ctx, report, complaint)
    if report.locked_at is not None:
        return actions + [Send(event.chat_id, t.gettext("The anonymous thread of this report is locked because an old token was used. Please make a new anonymous report (/anonim) and mention the ticket number {ticket}.").format(ticket=complaint.ticket))]
    row.retired = True
    fresh = tokens.new_token()
    await anon.add_token(session, complaint.id, tokens.store(fresh))
    await _save(ctx, vault, event.user_id, {"stage": "session", "case": complaint.id}, SESSION)
    return actions + await _view(event, ctx, complaint) + [_token_message(event.chat_id, fresh, t, first=False)]


async def _retired_used(event: Event, ctx: Context, report: AnonReport, complaint: Complaint) -> list[Action]:
    """Someone presented a token that was already used: another person may hold it. Lock, alert."""
    t = ctx.texts
    if report.locked_at is None:
        report.locked_at = ctx.now
    actions: list[Action] = [Send(event.chat_id, t.gettext("This token was already used once. For the reporter's safety the report's anonymous thread is now locked. If you are the reporter, make a new anonymous report (/anonim) and mention the ticket number {ticket}.").format(ticket=complaint.ticket))]
    for admin_id, at in await in_languages(ctx, await admin_ids(ctx)):
        html = at.gettext("⚠️ An old token of the anonymous report {ticket} was used: someone other than the reporter may hold it. The report's anonymous thread is locked; nothing was shown.").format(ticket=complaint.ticket)
        actions.append(Send(admin_id, html, case_buttons.open_button("a", complaint, at)))
    return actions


async def _view(event: Event, ctx: Context, complaint: Complaint) -> list[Action]:
    t = ctx.texts
    facts = await card_facts(ctx, complaint, reporter=False)
    keyboard = case_buttons.citizen_keyboard(complaint, allowed(ctx, complaint, WHISTLEBLOWER), t, anonymous=True)
    buttons = list(keyboard.rows) if keyboard is not None else []
    if complaint.status in (Status.SUBMITTED, Status.VERIFIED, Status.INFO_REQUESTED, Status.AGENCY_INFO_REQUESTED):
        buttons.append((Button(t.gettext("📎 Add evidence"), "z:ev"),))
    html = citizen_card(complaint, t, facts) + "\n\n" + t.gettext("You can act on the report for 30 minutes.")
    return [Send(event.chat_id, html, InlineKeyboard(tuple(buttons)) if buttons else None)]


# -- buttons ------------------------------------------------------------------------------------------------

_INPUTS = {"ans": ("answer_info", "answer_info"), "rep": ("reply", "reply"), "reo": ("reopen", "reopen"),
           "ev": ("evidence", None)}  # fmt: skip


async def _press(event: Event, ctx: Context, vault: Vault, data: str) -> list[Action]:
    t = ctx.texts
    verb, _, argument = data[2:].partition(":")
    state = await _state(ctx, vault, event.user_id) or {}
    stage = state.get("stage")
    if verb == "no" and stage in ("intro", "input", None):
        if stage == "input":
            await _back_to_session(ctx, vault, event, state)
        else:
            await _drop(ctx, vault, event.user_id)
        return _ack(event) + [Send(event.chat_id, t.gettext("Cancelled; nothing was sent."))]
    if verb == "go" and stage == "intro":
        fctx = await form_context(ctx)
        result = ANON_FORM.start(event.chat_id, fctx)
        await _save(ctx, vault, event.user_id, {"stage": "form", "form": result.state}, ctx.config.draft_ttl)
        return _ack(event) + result.actions
    if verb in ("fixname", "asis") and stage == "namecheck":
        if verb == "asis":
            return _ack(event) + await _submit(event, ctx, vault, dict(state["answers"]))
        form = {**state["form"], "step": "description", "view": {}, "editing": True}
        await _save(ctx, vault, event.user_id, {"stage": "form", "form": form}, ctx.config.draft_ttl)
        return _ack(event) + ANON_FORM.reprompt(event.chat_id, form, await form_context(ctx))
    if verb == "saved":
        actions = _ack(event)
        if event.message_id is not None:
            actions.append(Delete(event.chat_id, event.message_id))
        if stage == "submitted":
            await _drop(ctx, vault, event.user_id)
        return actions + [Send(event.chat_id, t.gettext("🗑 Deleted. To follow the report: /lacak and your token."))]
    case_id = state.get("case")
    if case_id is None or stage not in ("submitted", "session", "input"):
        return _ack(event, t.gettext("This button is no longer valid. Send /lacak and your token again."), alert=True)
    complaint = await ctx.repo.complaint_by_id(int(case_id), lock=verb == "ok")
    report = await anon.report(ctx.repo.session, int(case_id))
    if complaint is None or report is None:
        return _ack(event, t.gettext("This button is no longer valid."))
    if verb == "push":
        report.push = vault.seal_json({"chat_id": event.chat_id, "language": ctx.language}, f"push:{complaint.id}")
        report.push_index = vault.index("push", event.chat_id)
        return _ack(event) + [Send(event.chat_id, t.gettext("🔔 You will get status updates about {ticket} in this chat. Anyone who sees this phone sees them too. /lupakan removes this chat at once.").format(ticket=complaint.ticket))]
    if report.locked_at is not None:
        return _ack(event, t.gettext("The anonymous thread of this report is locked."), alert=True)
    if stage == "submitted":
        return _ack(event, t.gettext("Send /lacak and your token to act on the report."), alert=True)
    if verb == "rate":
        keyboard = case_buttons.stars(lambda n: f"z:st:{n}")
        return _ack(event) + [Send(event.chat_id, t.gettext("How satisfied are you with the answer? 1 star: not at all, 5 stars: very."), keyboard)]
    if verb in _INPUTS or verb == "st":
        kind, needs = _INPUTS.get(verb, ("rate", "rate"))
        if verb == "st" and argument not in ("1", "2", "3", "4", "5"):
            return _ack(event, t.gettext("This button is no longer valid."))
        if needs is not None and needs not in allowed(ctx, complaint, WHISTLEBLOWER):
            return _ack(event, stale(complaint, t, staff=False), alert=True)
        await _save(ctx, vault, event.user_id, {"stage": "input", "case": complaint.id, "kind": kind, "score": argument or None, "text": None, "files": []}, SESSION)
        return _ack(event) + [Send(event.chat_id, _prompt(kind, t), InlineKeyboard(((Button(t.gettext("✖️ Cancel"), "z:no"),),)))]
    if stage != "input":
        return _ack(event, t.gettext("This button is no longer valid."))
    if verb == "ed":
        state["text"], state["files"] = None, []
        await _save(ctx, vault, event.user_id, state, SESSION)
        return _ack(event) + [Send(event.chat_id, _prompt(state["kind"], t))]
    if verb == "ok":
        return await _confirm(event, ctx, vault, state, complaint)
    return _ack(event, t.gettext("This button is no longer valid."))


async def _back_to_session(ctx: Context, vault: Vault, event: Event, state: dict[str, Any]) -> None:
    await _save(ctx, vault, event.user_id, {"stage": "session", "case": state.get("case")}, SESSION)


def _prompt(kind: str, t: Texts) -> str:
    if kind == "rate":
        return t.gettext("Add a comment if you like, then press Send (or Send without a comment).")
    if kind == "evidence":
        return t.gettext("Send the photos (their hidden data is removed), with a few words of explanation.")
    return t.gettext("Write it as one message (you may add photos). Do not write your name or your token.")


async def _fill(event: Event, ctx: Context, vault: Vault, state: dict[str, Any]) -> list[Action]:
    t = ctx.texts
    note = None
    text = event.caption if event.files else event.text
    if event.files:
        try:
            item = validate_file(event.files[0], len(state["files"]), t, ctx.config.limits)
            if item["kind"] == "document" and str(item.get("mime_type")) not in IMAGE_TYPES:
                raise Invalid(t.gettext("Only pictures can be cleaned of hidden data; please send a photo or a screenshot."))
            state["files"] = [*state["files"], item]
        except Invalid as invalid:
            note = "⚠️ " + invalid.message
    if text is not None:
        value = clean_text(text)
        if await _carries_token(ctx, int(state["case"]), value):
            note = "⚠️ " + t.gettext("That message contains your token. Never send the token with a report or answer: write it again without it.")
        elif text_length(value) > MESSAGE_MAX:
            note = "⚠️ " + t.gettext("That is too long ({n} characters); at most {max}. Please shorten it.").format(n=text_length(value), max=MESSAGE_MAX)
        elif value:
            state["text"] = value
    await _save(ctx, vault, event.user_id, state, SESSION)
    ready = bool(state["text"]) or (state["kind"] == "rate") or (state["kind"] == "evidence" and state["files"])
    lines = [f"👀 <b>{esc(t.gettext('Check before sending'))}</b>"]
    if note:
        lines.append(note)
    if state["kind"] == "rate":
        lines.append("⭐" * int(state["score"] or 0))
    lines.append(esc(state["text"] or ""))
    if state["files"]:
        lines.append(t.ngettext("📎 {n} file", "📎 {n} files", len(state["files"])).format(n=len(state["files"])))
    buttons: list[tuple[Button, ...]] = [(Button(t.gettext("✅ Send"), "z:ok"),)] if ready else []
    buttons.append((Button(t.gettext("✏️ Write again"), "z:ed"), Button(t.gettext("✖️ Cancel"), "z:no")))
    return [Send(event.chat_id, "\n\n".join(line for line in lines if line), InlineKeyboard(tuple(buttons)))]


async def _carries_token(ctx: Context, case_id: int, text: str) -> bool:
    """Whether `text` holds a token of this case (any, used or not): checked against the stored hashes."""
    raw = tokens.normalize(text)
    for row in (await ctx.repo.session.scalars(select(AnonToken).where(AnonToken.complaint_id == case_id))).all():
        start = raw.find(row.lookup)
        while start != -1:
            secret = raw[start + tokens.LOOKUP_CHARS:start + tokens.LOOKUP_CHARS + tokens.SECRET_CHARS]
            if len(secret) == tokens.SECRET_CHARS and tokens.matches(tokens.Token(row.lookup, secret), anon.stored(row)):
                return True
            start = raw.find(row.lookup, start + 1)
    return False


async def _confirm(event: Event, ctx: Context, vault: Vault, state: dict[str, Any], complaint: Complaint) -> list[Action]:
    t = ctx.texts
    kind, text, files = state["kind"], state.get("text") or "", list(state.get("files") or [])
    await _back_to_session(ctx, vault, event, state)
    notices: list[Action] = []
    if kind == "evidence":
        entry = AuditEntry(complaint_id=complaint.id, actor="whistleblower", action="add_evidence",
                           from_status=complaint.status, to_status=complaint.status, reason=text or None, at=ctx.now)  # fmt: skip
        ctx.repo.session.add(entry)
        await ctx.repo.session.flush()
        await _add_files(ctx, vault, complaint, files, entry.id)
        notices = await _evidence_notice(ctx, complaint, len(files))
    else:
        arguments: dict[str, Any] = {"answer_info": {"text": text}, "reply": {"text": text}, "reopen": {"reason": text},
                                     "rate": {"score": int(state.get("score") or 0), "comment": text}}[kind]  # fmt: skip
        try:
            _, notices = await perform(ctx, complaint, WHISTLEBLOWER, kind, arguments)
        except CaseError as error:
            return _ack(event, refusal(error, complaint, t, staff=False), alert=True)
        if files:
            last = (await cases.history(ctx.repo.session, complaint))[-1]
            await _add_files(ctx, vault, complaint, files, last.id)
    actions: list[Action] = _ack(event)
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
        actions.append(Send(chat, html, case_buttons.open_button("o" if routed else "a", complaint, t)))
    return actions


async def _forget(event: Event, ctx: Context, vault: Vault) -> list[Action]:
    reports = await anon.pushed_to(ctx.repo.session, vault.index("push", event.chat_id))
    for report in reports:
        report.push, report.push_index = None, None
    t = ctx.texts
    return [Send(event.chat_id, t.gettext("Done: this chat gets no more updates about anonymous reports ({n}). Follow them with /lacak and your token.").format(n=len(reports)))]
