"""Making an anonymous report: the honest intro, the short form (or the answers carried over from
/lapor), the check that the report does not name its author, the sealed report and the token."""

from __future__ import annotations

import re
import secrets
from typing import Any

from cases import tokens
from cases.model import Status
from handlers.casework.notices import new_report_to_admins
from handlers.core.actions import Action, Button, Delete, InlineKeyboard, Later, Send, ack
from handlers.core.bursts import answer_once
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.forms import Invalid, Stay
from handlers.core.i18n import Texts
from handlers.core.questions import form_context
from handlers.core.text import esc
from handlers.whistleblower import state
from handlers.whistleblower.form import ANON_FORM, IMAGE_TYPES, evidence_files
from storage import anon
from storage.models import AnonFile, AnonReport, Complaint
from storage.repo import new_complaint
from storage.vault import Vault

PSEUDONYM_CHARS = 3


async def intro(event: Event, ctx: Context) -> list[Action]:
    vault = ctx.config.vault
    assert vault is not None
    await state.save(ctx, vault, event.user_id, {"stage": "intro"}, ctx.config.draft_ttl)
    t = ctx.texts
    message = intro_message(event, ctx)
    return [Send(message.chat_id, message.html, _intro_keyboard(t))]


def _intro_keyboard(t: Texts) -> InlineKeyboard:
    return InlineKeyboard(((Button(t.gettext("▶️ Continue"), "z:go"), Button(t.gettext("✖️ Cancel"), "z:no")),))


async def hold_in_intro(event: Event, ctx: Context, vault: Vault, current: dict[str, Any]) -> list[Action]:
    """A photo sent while the intro is open: kept for the form's evidence (cleaned like any other)."""
    t = ctx.texts
    try:
        if event.location is not None:
            raise Invalid(t.gettext("A precise location is never kept in an anonymous report; the form asks only for the kecamatan."))
        outcome = evidence_files(event.files, await form_context(ctx), {"attachments": current.get("files") or []}, {})
    except Invalid as invalid:
        return [Send(event.chat_id, "⚠️ " + invalid.message, _intro_keyboard(t))]
    assert isinstance(outcome, Stay)
    files = outcome.view["files"]
    await state.save(ctx, vault, event.user_id, {"stage": "intro", "files": files}, ctx.config.draft_ttl)
    html = "\n".join(filter(None, [outcome.note, t.ngettext(
        "📎 {n} photo kept for your anonymous report; its hidden data will be removed before anyone sees it. Press ▶️ Continue to start the form.",
        "📎 {n} photos kept for your anonymous report; their hidden data will be removed before anyone sees them. Press ▶️ Continue to start the form.",
        len(files)).format(n=len(files))]))  # fmt: skip
    reply = Send(event.chat_id, html, _intro_keyboard(t))
    return [Later(f"anon-intro:{event.album}", 1.5, (reply,))] if event.album else [reply]


def intro_message(event: Event, ctx: Context) -> Send:
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
        return [not_set_up(event, t)]
    draft = ANON_FORM.new_state()
    kecamatan = (answers.get("location") or {}).get("kecamatan")
    files = [f for f in answers.get("attachments") or [] if f["kind"] == "photo" or f.get("mime_type") in IMAGE_TYPES]
    carried = {"agency": answers.get("agency"), "description": answers.get("description"), "event_date": answers.get("event_date"),
               "place": {"kecamatan": kecamatan} if kecamatan else None, "attachments": files}  # fmt: skip
    draft["answers"] = {k: v for k, v in carried.items() if v is not None}
    draft["step"] = next((step.field for step in ANON_FORM.steps if step.field not in draft["answers"]), "summary")
    await state.save(ctx, vault, event.user_id, {"stage": "form", "form": draft}, ctx.config.draft_ttl)
    opening = intro_message(event, ctx)
    note = t.gettext("Your answers so far were moved here; your exact location, address and phone number were dropped. Check them before sending.")
    return [opening] + ANON_FORM.reprompt(event.chat_id, draft, await form_context(ctx), note)


async def continue_form(event: Event, ctx: Context, vault: Vault, current: dict[str, Any]) -> list[Action]:
    fctx = await form_context(ctx)
    result = ANON_FORM.handle(event, current["form"], fctx)
    if result.cancelled or result.state is None and result.submitted is None:
        await state.drop(ctx, vault, event.user_id)
        return result.actions
    if result.submitted is not None:
        named = _own_names_in(str(result.submitted.get("description") or ""), event)
        if named:  # before anything is stored: the report must not name its own author
            await state.save(ctx, vault, event.user_id, {"stage": "namecheck", "form": current["form"], "answers": result.submitted}, ctx.config.draft_ttl)
            return ack(event) + [_name_warning(event, ctx.texts, named)]
        return result.actions + await submit(event, ctx, vault, result.submitted)
    after, actions = answer_once(event, current["form"], result.state, result.actions, None)  # no times kept
    await state.save(ctx, vault, event.user_id, {"stage": "form", "form": after}, ctx.config.draft_ttl)
    return actions


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


async def submit(event: Event, ctx: Context, vault: Vault, answers: dict[str, Any]) -> list[Action]:
    t = ctx.texts
    day = state.day(ctx)
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
    await add_files(ctx, vault, complaint, answers.get("attachments") or [], None)
    token = tokens.new_token()
    await anon.add_token(ctx.repo.session, complaint.id, tokens.store(token))
    await state.save(ctx, vault, event.user_id, {"stage": "submitted", "case": complaint.id}, state.SESSION)
    received = t.gettext("✅ <b>Your anonymous report {ticket} has been received.</b> Diskominfo verifies it by {due}. You appear to officers only as “{pseudonym}”.").format(
        ticket=complaint.ticket, due=esc(t.date(complaint.verification_due)), pseudonym=pseudonym)
    actions: list[Action] = [Send(event.chat_id, received), token_message(event.chat_id, token, t, first=True)]
    return actions + await new_report_to_admins(ctx, complaint)


async def add_files(ctx: Context, vault: Vault, complaint: Complaint, files: list[dict[str, Any]], audit_id: int | None) -> None:
    for item in files:
        name = secrets.token_hex(12)
        ref = {"kind": item["kind"], "file_id": item["file_id"], "mime_type": item.get("mime_type")}
        ctx.repo.session.add(AnonFile(complaint_id=complaint.id, name=name, ref=vault.seal_json(ref, f"ref:{name}"),
                                      status="pending", audit_id=audit_id))  # fmt: skip
    if files:
        await ctx.repo.session.flush()


def token_message(chat_id: int, token: tokens.Token, t: Texts, *, first: bool) -> Send:
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


async def on_press(event: Event, ctx: Context, vault: Vault, verb: str, current: dict[str, Any]) -> list[Action] | None:
    """The buttons of a report being made (continue after the intro, the name check, "I saved the
    token"); None when the button is none of these or no longer applies."""
    t = ctx.texts
    stage = current.get("stage")
    if verb == "go" and stage == "intro":
        fctx = await form_context(ctx)
        held = current.get("files")
        result = ANON_FORM.start(event.chat_id, fctx, {"attachments": held} if held else None)
        await state.save(ctx, vault, event.user_id, {"stage": "form", "form": result.state}, ctx.config.draft_ttl)
        return ack(event) + result.actions
    if verb in ("fixname", "asis") and stage == "namecheck":
        if verb == "asis":
            return ack(event) + await submit(event, ctx, vault, dict(current["answers"]))
        draft = {**current["form"], "step": "description", "view": {}, "editing": True}
        await state.save(ctx, vault, event.user_id, {"stage": "form", "form": draft}, ctx.config.draft_ttl)
        return ack(event) + ANON_FORM.reprompt(event.chat_id, draft, await form_context(ctx))
    if verb == "saved":
        actions = ack(event)
        if event.message_id is not None:
            actions.append(Delete(event.chat_id, event.message_id))
        if stage == "submitted":
            await state.drop(ctx, vault, event.user_id)
        return actions + [Send(event.chat_id, t.gettext("🗑 Deleted. To follow the report: /lacak and your token."))]
    return None


def not_set_up(event: Event, t: Texts) -> Send:
    return Send(event.chat_id, t.gettext("The anonymous channel is not set up on this server yet. Please contact Diskominfo."))
