"""The one entry point of the conversation layer: gates first, then the audience's handler.

Gates that apply to everyone live here, before any handler runs: private chats only, the flood
gate, the user's language.
"""

from __future__ import annotations

from handlers import citizen, officer
from handlers.actions import Action, AnswerCallback, Send
from handlers.complaint_form import COMPLAINT_FORM
from handlers.context import Context
from handlers.events import Event
from handlers.i18n import normalize_language
from handlers.text import esc
from storage.models import User


async def handle(event: Event, ctx: Context) -> list[Action]:
    if not event.is_private:
        return await _group(event, ctx)
    user = await ctx.repo.touch_user(
        event.user_id,
        event.display_name,
        event.username,
        normalize_language(event.language_code, ctx.config.default_language),
        ctx.now,
    )
    if not user.language_chosen:
        user.language = normalize_language(event.language_code, ctx.config.default_language)
    ctx.language = user.language
    if _flooding(user, ctx):
        if user.flood_warned:
            return [AnswerCallback(event.chat_id, event.callback_id)] if event.callback_id else []
        user.flood_warned = True
        actions: list[Action] = [AnswerCallback(event.chat_id, event.callback_id)] if event.callback_id else []
        return actions + [Send(event.chat_id, ctx.texts.gettext("⏳ You are sending messages very fast. I will ignore messages for a few seconds; then please continue, one answer at a time."))]
    if event.is_callback:
        return await _callback(event, ctx)
    if event.command is not None:
        return await _command(event, ctx)
    return await _message(event, ctx)


def _flooding(user: User, ctx: Context) -> bool:
    """Count messages in a fixed window; beyond the limit they get no answer until it passes."""
    window = ctx.config.flood_window
    if user.flood_window_start is None or ctx.now - user.flood_window_start >= window:
        user.flood_window_start = ctx.now
        user.flood_count = 0
        user.flood_warned = False
    user.flood_count += 1
    return user.flood_count > ctx.config.flood_max_messages


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
    if command in ("batal", "cancel"):
        if draft is None:
            return [Send(event.chat_id, t.gettext("There is nothing to cancel."), citizen.main_menu(t))]
        return await citizen.continue_form(event, draft, ctx)  # the form treats "batal" as Cancel
    if command in ("bantuan", "help"):
        actions = citizen.help_text(event, ctx)
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


async def _message(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    draft, paused = await _draft(event, ctx)
    if draft is None:
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
