"""What a citizen meets first: the welcome (/start), the main menu, help (/bantuan) and the language
choice (/bahasa)."""

from __future__ import annotations

from handlers.core.actions import Action, AnswerCallback, Button, Edit, InlineKeyboard, Send
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.i18n import Texts

MENU_LAPOR = "m:lapor"
MENU_HISTORY = "m:riwayat"
MENU_HELP = "m:help"
MENU_LANGUAGE = "m:lang"


def main_menu(t: Texts) -> InlineKeyboard:
    return InlineKeyboard((
        (Button(t.gettext("📝 Make a report"), MENU_LAPOR),),
        (Button(t.gettext("📋 My reports"), MENU_HISTORY), Button(t.gettext("❓ Help"), MENU_HELP)),
        (Button(t.gettext("🌐 Language"), MENU_LANGUAGE),),
    ))  # fmt: skip


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
    html += "\n\n" + t.gettext(
        "<b>Your personal data</b>\n"
        "/privasi — what is kept about you, why and for how long\n"
        "/dataku — a copy of your data\n"
        "/hapusdata — delete your data"
    )
    return [Send(event.chat_id, html, main_menu(t))]


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
