"""Turn conversation actions into outbox rows: Bot API method names and JSON payloads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from handlers.core.actions import (
    Action,
    AnswerCallback,
    Delete,
    Edit,
    InlineKeyboard,
    Keyboard,
    RemoveKeyboard,
    ReplyKeyboard,
    Send,
    SendFile,
    SendRendered,
)
from handlers.core.text import CAPTION_LIMIT, split_html
from storage.models import OutboxMessage

RENDER = "render"  # a payload field {"render": spec}: the dispatcher makes the file when it sends


def markup(keyboard: Keyboard | None) -> dict[str, Any] | None:
    if keyboard is None:
        return None
    if isinstance(keyboard, InlineKeyboard):
        return {"inline_keyboard": [[{"text": b.text, "callback_data": b.data} for b in row] for row in keyboard.rows]}
    if isinstance(keyboard, ReplyKeyboard):
        rows = []
        for row in keyboard.rows:
            buttons = []
            for button in row:
                item: dict[str, Any] = {"text": button.text}
                if button.request_location:
                    item["request_location"] = True
                if button.request_contact:
                    item["request_contact"] = True
                buttons.append(item)
            rows.append(buttons)
        return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": False}
    if isinstance(keyboard, RemoveKeyboard):
        return {"remove_keyboard": True}
    raise TypeError(keyboard)


def calls_for(action: Action) -> list[tuple[int, str, dict[str, Any]]]:
    """(chat_id, method, payload) for one action; long messages become several sends."""
    if isinstance(action, Send):
        parts = split_html(action.html)
        calls = []
        for index, part in enumerate(parts):
            payload: dict[str, Any] = {"chat_id": action.chat_id, "text": part, "parse_mode": "HTML",
                                       "link_preview_options": {"is_disabled": True}}
            if index == len(parts) - 1 and action.keyboard is not None:
                payload["reply_markup"] = markup(action.keyboard)
            calls.append((action.chat_id, "sendMessage", payload))
        return calls
    if isinstance(action, Edit):
        parts = split_html(action.html)
        payload = {"chat_id": action.chat_id, "message_id": action.message_id, "text": parts[0],
                   "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
        if action.keyboard is not None:
            payload["reply_markup"] = markup(action.keyboard)
        calls = [(action.chat_id, "editMessageText", payload)]
        calls += [(action.chat_id, "sendMessage", {"chat_id": action.chat_id, "text": p, "parse_mode": "HTML"}) for p in parts[1:]]
        return calls
    if isinstance(action, Delete):
        return [(action.chat_id, "deleteMessage", {"chat_id": action.chat_id, "message_id": action.message_id})]
    if isinstance(action, AnswerCallback):
        payload = {"callback_query_id": action.callback_id}
        if action.text:
            payload["text"] = action.text[:200]
        if action.alert:
            payload["show_alert"] = True
        return [(action.chat_id, "answerCallbackQuery", payload)]
    if isinstance(action, SendFile | SendRendered):
        method, field = ("sendPhoto", "photo") if action.kind == "photo" else ("sendDocument", "document")
        source: Any = action.file_id if isinstance(action, SendFile) else {RENDER: action.spec}
        payload = {"chat_id": action.chat_id, field: source}
        if action.caption_html:
            payload["caption"] = split_html(action.caption_html, CAPTION_LIMIT)[0]
            payload["parse_mode"] = "HTML"
        return [(action.chat_id, method, payload)]
    raise TypeError(action)


def rows_for(actions: Iterable[Action], *, sensitive: bool = False) -> list[OutboxMessage]:
    """`sensitive`: the rows are wiped (chat id and text) once sent — a whistleblower's messages."""
    return [OutboxMessage(chat_id=chat, method=method, payload=payload, status="pending", sensitive=sensitive)
            for action in actions for chat, method, payload in calls_for(action)]
