"""The one entry point of the conversation layer: gates first, then the audience's handler.

Gates that apply to everyone live here, before any handler runs: private chats only, the flood
gate, the user's language. Then the whistleblower channel takes what is its own, and commands,
buttons and messages go to the citizen's or the staff's handlers. This is the only module that
knows every audience: a hand-over between them (Anonymous chosen in /lapor) happens here.
"""

from __future__ import annotations

from dataclasses import replace

from handlers.casework import inputs, keyboards
from handlers.casework.actors import user_and_staff
from handlers.citizen import first, lapor, menu, privacy, reports
from handlers.citizen.form import COMPLAINT_FORM
from handlers.core.actions import Action, AnswerCallback, Send, ack
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.flood import Verdict
from handlers.core.i18n import normalize_language
from handlers.core.text import esc
from handlers.core.triage_notice import outside_form as triage_notice
from handlers.staff import admin, officer, statistics
from handlers.staff import commands as staff_commands
from handlers.whistleblower import channel
from storage.models import PendingInput


async def handle(event: Event, ctx: Context) -> list[Action]:
    if not event.is_private:
        return await _group(event, ctx)
    if event.edited:  # an edited message never runs a command: it was answered already
        event = replace(event, command=None, args="")
    # A user row is kept only for people the bot must remember (reporters, staff, a chosen
    # language); writing to the bot alone leaves none, so a whistleblower leaves no trace here.
    user, staff = await user_and_staff(ctx, event.user_id)
    if user is None:
        if staff:
            user = await ctx.remember(event)
        else:
            ctx.strangers.add(event.user_id)
    chosen = user is not None and user.language_chosen
    ctx.language = user.language if user is not None and chosen else normalize_language(event.language_code, ctx.config.default_language)
    verdict = ctx.flood.check(event.user_id, ctx.now, event.album) if ctx.flood is not None else Verdict.PASS
    if verdict is not Verdict.PASS:
        actions = ack(event)
        if verdict is Verdict.DROP:
            return actions
        return actions + [Send(event.chat_id, ctx.texts.gettext("⏳ You are sending messages very fast. I will ignore messages for a few seconds; then please continue, one answer at a time."))]
    whistle = await channel.route(event, ctx)
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


async def _group(event: Event, ctx: Context) -> list[Action]:
    actions = ack(event)
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
    return dict(conversation.state), lapor.is_stale_draft(ctx.now - conversation.updated_at, ctx)


async def _pending(event: Event, ctx: Context) -> PendingInput | None:
    """The input a case button asked the sender for. Only people with a user row open one (a
    reporter on their own case, staff; erasure deletes it with the row), so a stranger — every
    first-time reporter until their report is sent — is not asked about."""
    if event.user_id in ctx.strangers:
        return None
    return await ctx.repo.pending_input(event.user_id, ctx.now)


async def _command(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    command = event.command
    draft, paused = await _draft(event, ctx)
    if command == "start":
        if event.args.startswith("inv_"):  # an invitation link, perhaps damaged
            return await officer.join(event, ctx, event.args)
        if draft is not None:
            return menu.welcome(event, ctx) + lapor.offer_resume(event, draft, ctx, "")
        return menu.welcome(event, ctx)
    if command in ("lapor", "report"):
        if draft is not None:
            return lapor.offer_resume(event, draft, ctx, t.gettext("You are already writing a report."))
        return await lapor.start_form(event, ctx)
    if command in ("batal", "cancel") and await _pending(event, ctx) is not None:
        actions = await inputs.cancel(event, ctx)
        if draft is not None:
            actions += await lapor.resume(event, draft, ctx, t.gettext("Your draft report is still open:"))
        return actions
    if command in ("batal", "cancel"):
        if draft is None:
            return [Send(event.chat_id, t.gettext("There is nothing to cancel."), menu.main_menu(t))]
        return await _continue_lapor(event, draft, ctx)  # the form treats "batal" as Cancel
    staff = await staff_commands.command(event, ctx) if command in staff_commands.COMMANDS else None
    if staff is not None:
        actions = staff
    elif command in ("bantuan", "help"):
        actions = menu.help_text(event, ctx) + await staff_commands.help_text(event, ctx)
    elif command in ("status",):
        actions = await reports.status(event, ctx, event.args)
    elif command in ("riwayat", "history"):
        actions = await reports.history(event, ctx)
    elif command in ("bahasa", "language"):
        actions = menu.language_menu(event, ctx)
    elif command in ("privasi", "privacy"):
        actions = privacy.notice(event, ctx)
    elif command in ("dataku", "mydata"):
        actions = await privacy.my_data(event, ctx)
    elif command in ("hapusdata", "deletemydata"):
        return await privacy.erase_prompt(event, ctx)  # not followed by the draft it would delete
    else:
        actions = [Send(event.chat_id, t.gettext("I do not know the command /{command}.").format(command=esc(command or "")[:40]))]
        actions += menu.help_text(event, ctx)
    if draft is not None and command not in ("bahasa", "language"):
        # Answer the command, then bring the user back to where they were in the form.
        # (/bahasa brings it back once the language is chosen, in that language.)
        actions += await lapor.resume(event, draft, ctx, t.gettext("Your draft report is still open:"))
    return actions


async def _message(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    pending = await _pending(event, ctx)
    if pending is not None and event.edited:
        return [Send(event.chat_id, t.gettext("✏️ Edits are not read here. Please send the corrected text as a new message."))]
    if pending is not None:
        return await inputs.on_message(event, ctx, pending)
    draft, paused = await _draft(event, ctx)
    if draft is None and event.edited:
        return [Send(event.chat_id, t.gettext("✏️ An edit does not change a message I have already answered. If it was about a report you sent, open it with /riwayat and use 💬 Reply in its conversation to add or correct something."))]
    # Triage: an emergency, a crime, a court case or another region is told where to go at once.
    notice = triage_notice(event.text or event.caption, ctx.config.triage, t) if draft is None or paused else None
    if draft is None and first.offers(event):  # a photo, voice note or location before any form
        conversation = await ctx.repo.conversation(event.user_id, ctx.now)
        offered = await first.offer(event, ctx, conversation.state if conversation is not None else None)
        return ([Send(event.chat_id, notice)] if notice is not None else []) + offered
    if draft is None and statistics.looks_like_dates(event.text):
        shown = await statistics.typed_period(event, ctx)  # staff typing a period for /statistik
        if shown is not None:
            return shown
    if draft is None:
        waiting = await reports.waiting_hint(event, ctx)
        if notice is not None:
            return [Send(event.chat_id, notice, menu.main_menu(t)), *waiting]
        if waiting:
            return waiting
        hint = t.gettext("To make a report, press the button below or send /lapor.")
        return [Send(event.chat_id, hint, menu.main_menu(t))]
    if paused:
        # Touch the draft: the next message after this offer is an answer again.
        await ctx.repo.save_conversation(event.user_id, draft, ctx.now, ctx.config.draft_ttl)
        actions: list[Action] = [Send(event.chat_id, notice)] if notice is not None else []
        return actions + lapor.offer_resume(event, draft, ctx, t.gettext("Welcome back!"))
    return await _continue_lapor(event, draft, ctx)


async def _callback(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    data = event.callback_data or ""
    ack = AnswerCallback(event.chat_id, event.callback_id or "")
    if "|" in data:
        draft, _ = await _draft(event, ctx)
        if draft is None:
            return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This button is no longer valid."))]
        return await _continue_lapor(event, draft, ctx)
    press = keyboards.parse(data)
    if press is not None:
        if press.audience == "a":
            return await admin.on_press(event, ctx, press)
        if press.audience == "o":
            return await officer.on_press(event, ctx, press)
        if press.audience == "w":
            return await reports.on_press(event, ctx, press)
        return await inputs.on_press(event, ctx, press.verb, press.argument)
    prefix, _, argument = data.partition(":")
    if data in (first.YES, first.NO):
        started = await first.on_press(event, ctx, data)
        if started is None:
            return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This button is no longer valid."))]
        return [ack, *started]
    if data == menu.MENU_LAPOR:
        draft, _ = await _draft(event, ctx)
        if draft is not None:
            return [ack, *lapor.offer_resume(event, draft, ctx, t.gettext("You are already writing a report."))]
        return [ack, *await lapor.start_form(event, ctx)]
    if data == menu.MENU_HISTORY:
        return [ack, *await reports.history(event, ctx)]
    if data == menu.MENU_HELP:
        return [ack, *menu.help_text(event, ctx)]
    if data == menu.MENU_LANGUAGE:
        return [ack, *menu.language_menu(event, ctx)]
    if prefix == "lang":
        actions = await menu.set_language(event, ctx, argument)
        draft, _ = await _draft(event, ctx)
        if draft is not None:
            actions += await lapor.resume(event, draft, ctx, ctx.texts.gettext("Your draft report is still open:"))
        return actions
    if prefix == privacy.PREFIX:
        return await privacy.on_press(event, ctx, argument)
    if prefix == reports.SHOW:
        return await reports.show_complaint(event, ctx, argument)
    if data in (lapor.RESUME, lapor.RESTART, lapor.DISCARD):
        draft, _ = await _draft(event, ctx)
        if draft is None:
            return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("There is no draft any more."))]
        if data == lapor.RESUME:
            return [ack, *await lapor.resume(event, draft, ctx)]
        if data == lapor.RESTART:
            return [ack, *await lapor.start_form(event, ctx)]
        await ctx.repo.save_conversation(event.user_id, None, ctx.now, ctx.config.draft_ttl)
        return [ack, Send(event.chat_id, t.gettext("Your draft was deleted."), menu.main_menu(t))]
    return [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This button is no longer valid."))]


async def _continue_lapor(event: Event, draft: dict, ctx: Context) -> list[Action]:
    """An answer in the /lapor form; choosing *Anonymous* there hands the answers to the
    whistleblower channel (the audiences never call each other)."""
    turn = await lapor.continue_form(event, draft, ctx)
    if isinstance(turn, lapor.ChoseAnonymous):
        return turn.actions + await channel.from_lapor(event, ctx, turn.answers)
    return turn
