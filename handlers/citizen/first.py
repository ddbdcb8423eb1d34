"""A photo, voice note or location sent before any form: "Make a report with this?".

What was sent waits in the conversation row (as a `first` state, not a draft) until the person
answers; accepted, /lapor starts with it in place — a photo or file as evidence, a voice note as
the description, a location as the place. Photos of an album gather into one offer.
"""

from __future__ import annotations

from typing import Any

from handlers.citizen.lapor import start_form
from handlers.core.actions import Action, Button, InlineKeyboard, Later, Send
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.forms import Invalid
from handlers.core.labels import files_summary
from handlers.core.validation import validate_file

FORM = "first"
YES = "f:yes"
NO = "f:no"


def offers(event: Event) -> bool:
    """Whether this message, outside any form, can begin a report."""
    return not event.edited and (bool(event.files) or event.location is not None)


async def offer(event: Event, ctx: Context, current: dict[str, Any] | None) -> list[Action]:
    t = ctx.texts
    held = dict(current) if current and current.get("form") == FORM else {"form": FORM, "files": [], "location": None}
    notes = []
    for ref in event.files:
        if any(f["file_unique_id"] == ref.file_unique_id for f in held["files"]):
            continue
        try:
            held["files"].append(validate_file(ref, len(held["files"]), t, ctx.config.limits))
        except Invalid as invalid:
            notes.append("⚠️ " + invalid.message)
    if event.location is not None:
        held["location"] = {"lat": round(event.location.latitude, 6), "lon": round(event.location.longitude, 6)}
    if not held["files"] and held["location"] is None:
        return [Send(event.chat_id, "\n".join(notes))] if notes else []
    await ctx.repo.save_conversation(event.user_id, held, ctx.now, ctx.config.draft_ttl)
    what = files_summary(held["files"], t)
    if held["location"] is not None:
        what.append(t.gettext("a location"))
    html = "\n".join([*notes, t.gettext("📝 <b>Make a report with this?</b> ({what}) I will ask the other questions; what you sent is already in place.").format(what=", ".join(what))])
    keyboard = InlineKeyboard(((Button(t.gettext("✅ Yes, make a report"), YES),), (Button(t.gettext("No, thanks"), NO),)))
    reply = Send(event.chat_id, html, keyboard)
    if event.album:  # several photos at once: one offer, after the last of them
        return [Later(f"first:{event.album}", 1.5, (reply,))]
    return [reply]


async def on_press(event: Event, ctx: Context, data: str) -> list[Action] | None:
    """The offer's buttons; None when the offer is gone (answered, expired, replaced by a draft)."""
    conversation = await ctx.repo.conversation(event.user_id, ctx.now)
    held = conversation.state if conversation is not None else None
    if not held or held.get("form") != FORM:
        return None
    if data == NO:
        await ctx.repo.save_conversation(event.user_id, None, ctx.now, ctx.config.draft_ttl)
        return [Send(event.chat_id, ctx.texts.gettext("All right: nothing was kept. To make a report later, send /lapor."))]
    answers: dict[str, Any] = {}
    if held.get("files"):
        answers["attachments"] = list(held["files"])
    if held.get("location"):
        answers["location"] = held["location"]
    return await start_form(event, ctx, answers, ("location",) if held.get("location") else ())
