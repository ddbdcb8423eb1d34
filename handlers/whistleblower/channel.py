"""The whistleblower channel's door: which updates belong to it (/anonim, /lacak, /lupakan, its
`z:` buttons, and whatever someone writes while inside it), and where each goes.

What the bot keeps of a whistleblower: a keyed hash of their Telegram id for the draft they are
writing (deleted when sent), the report sealed with the vault key, their identity sealed to the
offline disclosure key, a salted hash of the token's secret, and — only if they ask — their chat
id sealed for pushed updates. Every update handled here sets `ctx.sensitive`: its outgoing messages
are wiped from the outbox once sent and the user's row, if they have one, is not touched.
"""

from __future__ import annotations

from typing import Any

from handlers.core.actions import Action, Send, ack
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.whistleblower import follow, report, state
from storage.vault import Vault

COMMANDS = ("anonim", "lacak", "lupakan")


async def route(event: Event, ctx: Context) -> list[Action] | None:
    """The actions if this update belongs to the whistleblower channel, else None."""
    data = event.callback_data or ""
    if event.command in COMMANDS or data.startswith("z:"):
        ctx.sensitive = True
        vault = ctx.config.vault
        if vault is None:
            return ack(event) + [report.not_set_up(event, ctx.texts)]
        if event.command == "anonim":
            return await report.intro(event, ctx)
        if event.command == "lacak":
            return await follow.track(event, ctx, vault)
        if event.command == "lupakan":
            return await follow.forget(event, ctx, vault)
        return await _press(event, ctx, vault, data)
    vault = ctx.config.vault
    if vault is None:
        return None
    current = await state.load(ctx, vault, event.user_id)
    if current is None:
        return None
    stage = current.get("stage")
    if event.is_callback:
        if stage == "form" and data.split("|", 1)[0] == current["form"].get("nonce"):
            ctx.sensitive = True
            return await report.continue_form(event, ctx, vault, current)
        return None
    if event.command in ("batal", "cancel") and stage in ("intro", "form", "input"):
        ctx.sensitive = True
        await state.drop(ctx, vault, event.user_id)
        return [Send(event.chat_id, ctx.texts.gettext("Cancelled; nothing was sent."))]
    if event.command is not None:
        return None
    if stage == "form":
        ctx.sensitive = True
        return await report.continue_form(event, ctx, vault, current)
    if stage == "input":
        ctx.sensitive = True
        return await follow.fill(event, ctx, vault, current)
    if stage == "intro" and not event.edited and (event.files or event.location is not None):
        ctx.sensitive = True
        return await report.hold_in_intro(event, ctx, vault, current)
    return None


async def from_lapor(event: Event, ctx: Context, answers: dict[str, Any]) -> list[Action]:
    """*Anonymous* chosen in /lapor (the router hands the answers over): see `report.from_lapor`."""
    return await report.from_lapor(event, ctx, answers)


async def _press(event: Event, ctx: Context, vault: Vault, data: str) -> list[Action]:
    t = ctx.texts
    verb, _, argument = data[2:].partition(":")
    current = await state.load(ctx, vault, event.user_id) or {}
    stage = current.get("stage")
    if verb == "no" and stage in ("intro", "input", None):
        if stage == "input":
            await follow.back_to_session(ctx, vault, event, current)
        else:
            await state.drop(ctx, vault, event.user_id)
        return ack(event) + [Send(event.chat_id, t.gettext("Cancelled; nothing was sent."))]
    making = await report.on_press(event, ctx, vault, verb, current)
    if making is not None:
        return making
    return await follow.on_press(event, ctx, vault, verb, argument, current)
