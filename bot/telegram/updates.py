"""What the bot reads of a raw update before any framework parses it."""

from __future__ import annotations

from typing import Any

# The updates the bot asks Telegram for, whichever runtime polls.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


def chat_of(raw: dict[str, Any]) -> int:
    """The chat an update belongs to, for per-chat ordering (0 when it has none)."""
    for key in ("message", "edited_message", "channel_post", "my_chat_member"):
        if key in raw and isinstance(raw[key], dict):
            return int(raw[key].get("chat", {}).get("id", 0))
    if "callback_query" in raw:
        query = raw["callback_query"]
        message = query.get("message") or {}
        return int(message.get("chat", {}).get("id") or query.get("from", {}).get("id", 0))
    return 0
