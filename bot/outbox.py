"""Turn conversation actions into outbox rows: Bot API method names and JSON payloads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.core.actions import (
    Action,
    AnswerCallback,
    Delete,
    Edit,
    InlineKeyboard,
    Keyboard,
    Later,
    RemoveKeyboard,
    ReplyKeyboard,
    Send,
    SendFile,
    SendRendered,
)
from handlers.core.text import CAPTION_LIMIT, split_html
from storage.models import OutboxMessage, utcnow

# A file re-sent by its kind: (method, field).
SEND_FILE = {
    "photo": ("sendPhoto", "photo"), "document": ("sendDocument", "document"), "voice": ("sendVoice", "voice"),
    "audio": ("sendAudio", "audio"), "video": ("sendVideo", "video"), "video_note": ("sendVideoNote", "video_note"),
}  # fmt: skip
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
    if isinstance(action, Later):
        return [call for inner in action.actions for call in calls_for(inner)]
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
        method, field = SEND_FILE.get(action.kind, SEND_FILE["document"])
        source: Any = action.file_id if isinstance(action, SendFile) else {RENDER: action.spec}
        payload = {"chat_id": action.chat_id, field: source}
        if action.caption_html and action.kind != "video_note":  # a video message has no caption
            payload["caption"] = split_html(action.caption_html, CAPTION_LIMIT)[0]
            payload["parse_mode"] = "HTML"
        return [(action.chat_id, method, payload)]
    raise TypeError(action)


def rows_for(actions: Iterable[Action], *, sensitive: bool = False, now: datetime | None = None) -> list[OutboxMessage]:
    """`sensitive`: the rows are wiped (chat id and text) once sent — a whistleblower's messages.
    A `Later`'s rows wait (from `now`) and carry its key (see `supersede`)."""
    rows = []
    for action in actions:
        if isinstance(action, Later):
            due = (now or datetime.now(timezone.utc)) + timedelta(seconds=action.seconds)
            rows += [OutboxMessage(chat_id=chat, method=method, payload=payload, status="pending", sensitive=sensitive,
                                   not_before=due, coalesce_key=action.key)
                     for inner in action.actions for chat, method, payload in calls_for(inner)]  # fmt: skip
            continue
        rows += [OutboxMessage(chat_id=chat, method=method, payload=payload, status="pending", sensitive=sensitive)
                 for chat, method, payload in calls_for(action)]
    return rows


async def supersede(session: AsyncSession, rows: Iterable[OutboxMessage]) -> None:
    """Retire the unsent rows that new rows of the same chat and key replace (call before adding
    them). A row already claimed for sending is left alone: it may be on its way."""
    for chat, key in {(row.chat_id, row.coalesce_key) for row in rows if row.coalesce_key}:
        await session.execute(update(OutboxMessage).where(
            OutboxMessage.chat_id == chat, OutboxMessage.coalesce_key == key, OutboxMessage.status == "pending",
        ).values(status="superseded"))  # fmt: skip


_OUTBOX = cast(Table, OutboxMessage.__table__)
_INSERT = insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True)


async def add_rows(session: AsyncSession, rows: Sequence[OutboxMessage]) -> list[int]:
    """Queue the rows in one statement, in their order (ids are each chat's send order); returns
    their ids, in that order. A plain INSERT, not the ORM's unit of work, which on SQLite inserts
    one row per statement. On PostgreSQL the insert still announces the work (storage.db)."""
    if not rows:
        return []
    now = utcnow()
    result = await session.execute(_INSERT, [
        {"chat_id": row.chat_id, "method": row.method, "payload": row.payload, "status": row.status or "pending",
         "attempts": 0, "not_before": row.not_before or now, "created_at": now, "sensitive": bool(row.sensitive),
         "coalesce_key": row.coalesce_key}
        for row in rows])  # fmt: skip
    return list(result.scalars())
