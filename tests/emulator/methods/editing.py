"""Changing what was sent: edits, deletions, and answers to button presses.

Like Telegram: an edit identical to the current message is refused ("message is not
modified"), an edit without reply_markup removes the inline keyboard, and a callback query can
be answered once.
"""

from __future__ import annotations

import time
from typing import Any

from tests.emulator.errors import bad_request
from tests.emulator.methods.common import caption_of, markup_of, with_known_users, writable_chat
from tests.emulator.methods.registry import Call, implements
from tests.emulator.models import Chat, Content, StoredMessage
from tests.emulator.text import message_text

CALLBACK_ANSWER_LIMIT = 200


def _message_to_edit(call: Call) -> StoredMessage:
    if call.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # the emulator has no inline messages
    if "chat_id" not in call.params or "message_id" not in call.params:
        raise bad_request("message identifier is not specified")
    chat = writable_chat(call.state, call.get("chat_id"))
    message = call.state.message(chat.id, call.get("message_id"))
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot or message.forward_origin:
        raise bad_request("message can't be edited")
    return message


def _apply_edit(call: Call, message: StoredMessage, content: Content) -> dict[str, Any]:
    current = message.content
    if (content.text, content.entities, content.reply_markup) == (
        current.text,
        current.entities,
        current.reply_markup,
    ):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same as a "
            "current content and reply markup of the message"
        )
    content.edit_date = int(time.time())
    message.history.append(current)
    message.content = content
    call.state.notify()
    return call.state.message_json(message)


@implements("editMessageText")
def edit_message_text(call: Call) -> dict[str, Any]:
    message = _message_to_edit(call)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    parsed = message_text(
        call.get("text"),
        call.get("parse_mode"),
        call.get("entities"),
        strict_html=call.behaviour.strict_html,
    )
    # Like Telegram: an edit without reply_markup removes the inline keyboard.
    content = Content(
        text=parsed.text,
        raw=call.get("text"),
        parse_mode=call.get("parse_mode"),
        entities=with_known_users(call, parsed),
        reply_markup=markup_of(call, inline_only=True),
    )
    return _apply_edit(call, message, content)


@implements("editMessageCaption")
def edit_message_caption(call: Call) -> dict[str, Any]:
    message = _message_to_edit(call)
    if not message.is_media:
        raise bad_request("there is no caption in the message to edit")
    caption = caption_of(call)
    content = Content(
        text=caption.text if caption else None,
        raw=call.get("caption"),
        parse_mode=call.get("parse_mode"),
        entities=with_known_users(call, caption) if caption else (),
        reply_markup=markup_of(call, inline_only=True),
    )
    return _apply_edit(call, message, content)


@implements("editMessageReplyMarkup")
def edit_message_reply_markup(call: Call) -> dict[str, Any]:
    message = _message_to_edit(call)
    current = message.content
    content = Content(
        text=current.text,
        raw=current.raw,
        parse_mode=current.parse_mode,
        entities=current.entities,
        reply_markup=markup_of(call, inline_only=True),
    )
    return _apply_edit(call, message, content)


def _delete(call: Call, chat: Chat, message_id: int) -> bool:
    message = call.state.message(chat.id, message_id)
    if message is None or message.deleted:
        return False
    if chat.type != "private" and not message.from_bot:
        raise bad_request("message can't be deleted")  # the bot is no group admin here
    message.deleted = True
    return True


@implements("deleteMessage")
def delete_message(call: Call) -> bool:
    chat = writable_chat(call.state, call.get("chat_id"))
    if not _delete(call, chat, call.get("message_id")):
        raise bad_request("message to delete not found")
    call.state.notify()
    return True


@implements("deleteMessages")
def delete_messages(call: Call) -> bool:
    chat = writable_chat(call.state, call.get("chat_id"))
    ids = call.get("message_ids")
    if not 1 <= len(ids) <= 100:
        raise bad_request("too many messages to delete" if ids else "message identifiers are empty")
    for message_id in ids:
        _delete(call, chat, message_id)  # missing ones are skipped, as documented
    call.state.notify()
    return True


# --- callback queries ---------------------------------------------------------------------------


@implements("answerCallbackQuery")
def answer_callback_query(call: Call) -> bool:
    query = call.state.callbacks.get(call.get("callback_query_id"))
    timeout = call.behaviour.callback_answer_timeout
    expired = (
        query is not None and timeout is not None and time.monotonic() - query.created > timeout
    )
    if query is None or query.answered or expired:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(call.get("text", "")) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.answer = {
        key: call.params[key]
        for key in ("text", "show_alert", "url", "cache_time")
        if key in call.params
    }
    call.state.notify()
    return True
