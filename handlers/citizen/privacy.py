"""A citizen's personal-data rights (UU 27/2022): /privasi (what is kept, why, how long, who sees
it), /dataku (a copy of their data) and /hapusdata (erasing it, after a confirmation).

The rules of what is kept and erased are in `storage.personal_data`; this module only speaks.
"""

from __future__ import annotations

import hashlib

from cases.model import OPEN_STATUSES
from handlers.casework.cards import erased_reporter_labels
from handlers.core.actions import Action, AnswerCallback, Button, InlineKeyboard, Send, SendRendered
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.labels import status_label
from handlers.core.text import esc, shorten
from storage import personal_data
from storage.models import Complaint

PREFIX = "pd"  # callback data `pd:keep` and `pd:del:<minute>:<fingerprint>`
CONFIRM_MINUTES = 30  # a confirmation button older than this is stale
_LISTED = 20  # reports named in a message; the file has them all


def notice(event: Event, ctx: Context) -> list[Action]:
    t = ctx.texts
    html = t.gettext(
        "🔒 <b>Your personal data at Kanal Aduan</b>\n\n"
        "<b>What is kept:</b> your Telegram name, username and account id, your language, the reports you make (what you write, the place, your photos, documents, voice notes and videos) and their conversation, your phone number only if you share it, and a draft while you write a report.\n\n"
        "<b>Why:</b> to handle your report with the agency responsible and to tell you of every step (UU 25/2009 on public services; UU 27/2022 on personal data protection). The figures used to improve services are counted without names.\n\n"
        "<b>Who sees it:</b> the Diskominfo admins and the officers of the agency handling your report. Nothing is published or sold. Telegram itself also sees what you send to the bot.\n\n"
        "<b>How long:</b> your name, username, phone, account id and files are erased {months} months after a report is closed; the report itself stays on record without them. A draft is deleted after {hours} hours without an answer.\n\n"
        "<b>Your rights:</b>\n"
        "/dataku — a copy of your data (a JSON file)\n"
        "/hapusdata — delete your data\n\n"
        "Anonymous reports (/anonim) are not linked to your account at all."
    ).format(months=ctx.config.retention_months, hours=int(ctx.config.draft_ttl.total_seconds() // 3600))
    return [Send(event.chat_id, html)]


def _nothing(event: Event, ctx: Context) -> list[Action]:
    return [Send(event.chat_id, ctx.texts.gettext("I keep no personal data about you: you have made no report, chosen no language and have no draft here. See /privasi."))]


def _report_lines(complaints: list[Complaint], ctx: Context) -> list[str]:
    t = ctx.texts
    lines = [f"• <code>{c.ticket}</code> — {esc(shorten(c.title, 50))} <i>({esc(status_label(c.status, t))})</i>" for c in complaints[-_LISTED:]]
    if len(complaints) > _LISTED:
        lines.insert(0, t.gettext("(the latest {n})").format(n=_LISTED))
    return lines


async def my_data(event: Event, ctx: Context) -> list[Action]:
    """A summary here, and the whole copy as a JSON file made when it is sent. The messages are
    wiped from the outbox once sent: a copy of someone's data should not linger in the delivery log."""
    t = ctx.texts
    session = ctx.repo.session
    if not await personal_data.holds_anything(session, event.user_id):
        return _nothing(event, ctx)
    ctx.sensitive = True
    user = await ctx.repo.user(event.user_id)
    complaints = await personal_data.complaints_of(session, event.user_id)
    files = sum(len(c.report_files) for c in complaints)
    lines = [t.gettext("📄 <b>Your data at Kanal Aduan</b>")]
    if user is not None:
        lines.append(t.gettext("<b>Name:</b> {name}").format(name=esc(user.display_name or "—")))
        lines.append(t.gettext("<b>Username:</b> {username}").format(username=esc("@" + user.username) if user.username else "—"))
        lines.append(t.gettext("<b>Language:</b> {language}").format(language="Bahasa Indonesia" if user.language == "id" else "English"))
    lines.append(t.ngettext("<b>Reports:</b> {n}", "<b>Reports:</b> {n}", len(complaints)).format(n=len(complaints)))
    lines += _report_lines(complaints, ctx)
    lines.append(t.gettext("<b>Files sent with your reports:</b> {n}").format(n=files))
    phones = sorted({c.phone for c in complaints if c.phone})
    if phones:
        lines.append(t.gettext("<b>Phone:</b> {phone}").format(phone=esc(", ".join(phones))))
    lines.append("")
    lines.append(t.gettext("The complete copy is in the file below (JSON): your profile, each report with its steps and messages, and the list of your files (names, types and sizes). Anonymous reports are not linked to your account and are not in it. To delete your data: /hapusdata."))
    spec = {"personal_data": {"user": event.user_id}}
    caption = esc(t.gettext("Your personal data (Kanal Aduan)"))
    return [Send(event.chat_id, "\n".join(lines)), SendRendered(event.chat_id, "document", spec, caption)]


def _fingerprint(user_id: int, minute: int, complaints: list[Complaint]) -> str:
    """What the confirmation was shown for: the citizen's reports and their statuses. A report
    filed, moved on or reopened since makes the button stale (the warning may no longer say what
    will happen). Not a secret: forging it would only let someone delete their own data, which
    they may do anyway."""
    state = ",".join(f"{c.id}:{c.status}" for c in complaints)
    return hashlib.sha256(f"{user_id}:{minute}:{state}".encode()).hexdigest()[:12]


def _minute(ctx: Context) -> int:
    return int(ctx.now.timestamp() // 60)


async def erase_prompt(event: Event, ctx: Context) -> list[Action]:
    """What will be deleted and what stays, a warning for cases still open, then the buttons."""
    t = ctx.texts
    session = ctx.repo.session
    if not await personal_data.holds_anything(session, event.user_id):
        return _nothing(event, ctx)
    complaints = await personal_data.complaints_of(session, event.user_id)
    parts = [t.gettext("🗑 <b>Delete your personal data?</b>\n\n"
                       "This deletes your name, username and Telegram account id, your language choice, your phone number, your draft and anything you are writing here.")]  # fmt: skip
    if complaints:
        parts.append(t.gettext("Your reports already sent stay on record, as the law requires of the agencies, but without your name, username, phone or account. You will no longer see them with /riwayat or /status:") + "\n" + "\n".join(_report_lines(complaints, ctx)))
    still_open = [c for c in complaints if c.status in OPEN_STATUSES]
    if still_open:
        tickets = ", ".join(f"<code>{c.ticket}</code>" for c in still_open)
        parts.append(t.ngettext(
            "⚠️ <b>Report {tickets} is still being handled.</b> Once your data is deleted you will <b>no longer hear of it</b>: no answer, no question, no closing notice. You may prefer to wait until it is closed.",
            "⚠️ <b>Reports {tickets} are still being handled.</b> Once your data is deleted you will <b>no longer hear of them</b>: no answers, no questions, no closing notices. You may prefer to wait until they are closed.",
            len(still_open)).format(tickets=tickets))  # fmt: skip
    parts.append(t.gettext("This cannot be undone."))
    minute = _minute(ctx)
    confirm = f"{PREFIX}:del:{minute}:{_fingerprint(event.user_id, minute, complaints)}"
    keyboard = InlineKeyboard(((Button(t.gettext("🗑 Yes, delete my data"), confirm),),
                               (Button(t.gettext("Cancel: keep my data"), f"{PREFIX}:keep"),)))  # fmt: skip
    return [Send(event.chat_id, "\n\n".join(parts), keyboard)]


async def on_press(event: Event, ctx: Context, argument: str) -> list[Action]:
    """`keep`, or `del:<minute>:<fingerprint>`: erased only if the button is fresh and was shown
    for the citizen's reports as they are now; anything else changes nothing."""
    t = ctx.texts
    ack = AnswerCallback(event.chat_id, event.callback_id or "")
    if argument == "keep":
        return [ack, Send(event.chat_id, t.gettext("Nothing was deleted. See /privasi for what is kept and why."))]
    verb, _, rest = argument.partition(":")
    stamp, _, fingerprint = rest.partition(":")
    stale: list[Action] = [AnswerCallback(event.chat_id, event.callback_id or "", t.gettext("This button is no longer valid. Send /hapusdata again to see what would be deleted now."), alert=True)]
    if verb != "del" or not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        return stale
    minute = int(stamp)
    if not 0 <= _minute(ctx) - minute <= CONFIRM_MINUTES:
        return stale
    session = ctx.repo.session
    if not await personal_data.holds_anything(session, event.user_id):
        return stale
    complaints = await personal_data.complaints_of(session, event.user_id)
    if fingerprint != _fingerprint(event.user_id, minute, complaints):
        return stale
    # Nothing of this update may write the row back (the router's "last seen"), and the replies
    # go to a chat the bot no longer knows: wiped from the outbox once sent.
    ctx.sensitive = True
    erasure = await personal_data.forget_citizen(session, event.user_id, ctx.now, reason="at the reporter's request (/hapusdata)",
                                                 labels=erased_reporter_labels())  # fmt: skip
    ctx.repo.forget_draft(event.user_id)  # deleted with the rest: not to be handed out as read with the sender
    html = t.gettext("✅ Your personal data was deleted.")
    if erasure.cases:
        html += "\n\n" + t.ngettext("{n} report stays on record without your name, username, phone or account.",
                                    "{n} reports stay on record without your name, username, phone or account.",
                                    erasure.cases).format(n=erasure.cases)  # fmt: skip
    html += "\n\n" + t.gettext("You can make a new report with /lapor at any time; it starts a new record.")
    return [ack, Send(event.chat_id, html)]
