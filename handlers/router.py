"""The one entry point of the conversation layer: gates first, then the audience's handler.

Gates that apply to everyone live here, before any handler runs: private chats only, the flood
gate, the user's language.
"""

from __future__ import annotations

from cases.tickets import parse_ticket
from cases.workflow import may_view
from handlers import admin, case_buttons, citizen, citizen_cases, inputs, officer, whistleblower
from handlers.actions import Action, AnswerCallback, Send
from handlers.complaint_form import COMPLAINT_FORM
from handlers.context import Context
from handlers.events import Event
from handlers.flood import Verdict
from handlers.i18n import normalize_language
from handlers.staff import as_admin, as_officer
from handlers.text import esc
from storage.cases import case_view

STAFF_COMMANDS = ("antrian", "undang", "tugas", "kasus")


async def handle(event: Event, ctx: Context) -> list[Action]:
    if not event.is_private:
        return await _group(event, ctx)
    # A user row is kept only for people the bot must remember (reporters, staff, a chosen
    # language); writing to the bot alone leaves none, so a whistleblower leaves no trace here.
    user = await ctx.repo.user(event.user_id)
    if user is None and await _is_staff(event, ctx):
        user = await ctx.remember(event)
    chosen = user is not None and user.language_chosen
    ctx.language = user.language if user is not None and chosen else normalize_language(event.language_code, ctx.config.default_language)
    verdict = ctx.flood.check(event.user_id, ctx.now) if ctx.flood is not None else Verdict.PASS
    if verdict is not Verdict.PASS:
        actions: list[Action] = [AnswerCallback(event.chat_id, event.callback_id)] if event.callback_id else []
        if verdict is Verdict.DROP:
            return actions
        return actions + [Send(event.chat_id, ctx.texts.gettext("⏳ You are sending messages very fast. I will ignore messages for a few seconds; then please continue, one answer at a time."))]
    whistle = await whistleblower.route(event, ctx)
    if whistle is not None:
        actions = whistle
    elif event.is_callback:
        actions = await _callback(event, ctx)
    elif event.command is not None:
        actions = await _command(event, ctx)
    else:
        actions = await _message(event, ctx)
    if user is not None and not ctx.sensitive:  # a whistleblower's activity leaves no timestamp
        ctx.repo.seen(user, event.display_name, event.username, ctx.now)
    return actions


async def _is_staff(event: Event, ctx: Context) -> bool:
    return await as_admin(ctx, event.user_id) is not None or await as_officer(ctx, event.user_id) is not None


async def _group(event: Event, ctx: Context) -> list[Action]:
    actions: list[Action] = []
    if event.callback_id:
        actions.append(AnswerCallback(event.chat_id, event.callback_id))
    if event.chat_type == "channel":
        return actions
    if await ctx.repo.should_notice_group(event.chat_id, ctx.now, ctx.config.group_notice_every):
        t = ctx.texts_for(normalize_language(event.language_code, ctx.config.default_language))
        link = f"https://t.me/{esc(ctx.config.bot_username)}"
        actions.append(Send(event.chat_id, t.gettext("Reports are only taken in a private chat, to protect your privacy. Please open {link} and press Start.").format(link=link)))
    return actions


async def _draft(event: Event, ctx: Context) -> tuple[dict | None, bool]:
    """The user's draft, and whether it has waited long enough to be offered for resumption."""
    conversation = await ctx.repo.conversation(event.user_id, ctx.now)
    if conversation is None or not COMPLAINT_FORM.owns(conversation.state):
        return None, False
    return dict(conversation.state), citizen.is_stale_draft(ctx.now - conversation.updated_at, ctx)


async def _command(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    command = event.command
    draft, paused = await _draft(event, ctx)
    if command == "start":
        if event.args.startswith("inv_"):  # an invitation link, perhaps damaged
            return await officer.join(event, ctx, event.args)
        if draft is not None:
            return citizen.welcome(event, ctx) + citizen.offer_resume(event, draft, ctx, "")
        return citizen.welcome(event, ctx)
    if command in ("lapor", "report"):
        if draft is not None:
            return citizen.offer_resume(event, draft, ctx, t.gettext("You are already writing a report."))
        return await citizen.start_form(event, ctx)
    if command in ("batal", "cancel") and await ctx.repo.pending_input(event.user_id, ctx.now) is not None:
        actions = await inputs.cancel(event, ctx)
        if draft is not None:
            actions += await citizen.resume(event, draft, ctx, t.gettext("Your draft report is still open:"))
        return actions
    if command in ("batal", "cancel"):
        if draft is None:
            return [Send(event.chat_id, t.gettext("There is nothing to cancel."), citizen.main_menu(t))]
        return await citizen.continue_form(event, draft, ctx)  # the form treats "batal" as Cancel
    staff = await _staff_command(event, ctx) if command in STAFF_COMMANDS else None
    if staff is not None:
        actions = staff
    elif command in ("bantuan", "help"):
        actions = citizen.help_text(event, ctx) + await _staff_help(event, ctx)
    elif command in ("status",):
        actions = await citizen.status(event, ctx, event.args)
    elif command in ("riwayat", "history"):
        actions = await citizen.history(event, ctx)
    elif command in ("bahasa", "language"):
        actions = citizen.language_menu(event, ctx)
    else:
        actions = [Send(event.chat_id, t.gettext("I do not know the command /{command}.").format(command=esc(command or "")[:40]))]
        actions += citizen.help_text(event, ctx)
    if draft is not None and command not in ("bahasa", "language"):
        # Answer the command, then bring the user back to where they were in the form.
        # (/bahasa brings it back once the language is chosen, in that language.)
        actions += await citizen.resume(event, draft, ctx, t.gettext("Your draft report is still open:"))
    return actions


async def _staff_command(event: Event, ctx: Context) -> list[Action] | None:
    """The staff commands, for the staff only: to anyone else they do not exist (None)."""
    command = event.command
    if command in ("antrian", "undang") and await as_admin(ctx, event.user_id):
        return await admin.queue(event, ctx) if command == "antrian" else await admin.invite_menu(event, ctx)
    officer_actor = await as_officer(ctx, event.user_id)
    if command == "tugas" and officer_actor:
        return await officer.queue(event, ctx)
    if command == "kasus":
        admin_actor = await as_admin(ctx, event.user_id)
        if admin_actor is None and officer_actor is None:
            return None
        t = ctx.texts
        ticket = parse_ticket(event.args)
        complaint = await ctx.repo.complaint_by_ticket(ticket) if ticket else None
        if complaint is not None and admin_actor is not None:
            return await admin.card(event, ctx, complaint)
        if complaint is not None and officer_actor is not None and may_view(case_view(complaint), officer_actor):
            return await officer.card(event, ctx, complaint, officer_actor)
        # Missing and not-yours read the same: ticket numbers are easy to guess.
        return [Send(event.chat_id, t.gettext("No case available to you has the ticket number {ticket}. Usage: /kasus KKR-2026-000123").format(ticket=esc(event.args.strip()[:40])))]
    return None


async def _staff_help(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    lines = []
    if await as_admin(ctx, event.user_id):
        lines.append(t.gettext("<b>Diskominfo admin</b>\n/antrian — reports to verify or re-route, oldest deadline first\n/kasus <i>ticket</i> — open a case\n/undang — invite an agency officer"))
    if await as_officer(ctx, event.user_id):
        lines.append(t.gettext("<b>Agency officer</b>\n/tugas — your agency's open cases, nearest deadline first\n/kasus <i>ticket</i> — open a case"))
    return [Send(event.chat_id, "\n\n".join(lines))] if lines else []


async def _message(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    pending = await ctx.repo.pending_input(event.user_id, ctx.now)
    if pending is not None:
        return await inputs.on_message(event, ctx, pending)
    draft, paused = await _draft(event, ctx)
    if draft is None:
        waiting = await citizen_cases.waiting_hint(event, ctx)
        if waiting:
            return waiting
        hint = t.gettext("To make a report, press the button below or send /lapor.")
        return [Send(event.chat_id, hint, citizen.main_menu(t))]
    if paused:
        # Touch the draft: the next message after this offer is an answer again.
        await ctx.repo.save_conversation(event.user_id, draft, ctx.now, ctx.config.draft_ttl)
        return citizen.offer_resume(event, draft, ctx, t.gettext("Welcome back!"))
    return await citizen.continue_form(event, draft, ctx)


async def _callback(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    data = event.callback_data or ""
    ack = AnswerCallback(event.chat_id, event.callback_id or "")
    if "|" in data:
        draft, _ = await _draft(event, ctx)
        if draft is None:
            return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This button is no longer valid."))]
        return await citizen.continue_form(event, draft, ctx)
    press = case_buttons.parse(data)
    if press is not None:
        if press.audience == "a":
            return await admin.on_press(event, ctx, press)
        if press.audience == "o":
            return await officer.on_press(event, ctx, press)
        if press.audience == "w":
            return await citizen_cases.on_press(event, ctx, press)
        return await inputs.on_press(event, ctx, press.verb, press.argument)
    prefix, _, argument = data.partition(":")
    if data == citizen.MENU_LAPOR:
        draft, _ = await _draft(event, ctx)
        if draft is not None:
            return [ack, *citizen.offer_resume(event, draft, ctx, t.gettext("You are already writing a report."))]
        return [ack, *await citizen.start_form(event, ctx)]
    if data == citizen.MENU_HISTORY:
        return [ack, *await citizen.history(event, ctx)]
    if data == citizen.MENU_HELP:
        return [ack, *citizen.help_text(event, ctx)]
    if data == citizen.MENU_LANGUAGE:
        return [ack, *citizen.language_menu(event, ctx)]
    if prefix == "lang":
        actions = await citizen.set_language(event, ctx, argument)
        draft, _ = await _draft(event, ctx)
        if draft is not None:
            actions += await citizen.resume(event, draft, ctx, ctx.texts.gettext("Your draft report is still open:"))
        return actions
    if prefix == "c":
        return await citizen.show_complaint(event, ctx, argument)
    if data in (citizen.RESUME, citizen.RESTART, citizen.DISCARD):
        draft, _ = await _draft(event, ctx)
        if draft is None:
            return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("There is no draft any more."))]
        if data == citizen.RESUME:
            return [ack, *await citizen.resume(event, draft, ctx)]
        if data == citizen.RESTART:
            return [ack, *await citizen.start_form(event, ctx)]
        await ctx.repo.save_conversation(event.user_id, None, ctx.now, ctx.config.draft_ttl)
        return [ack, Send(event.chat_id, t.gettext("Your draft was deleted."), citizen.main_menu(t))]
    return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This button is no longer valid."))]
