"""Sending: messages, photos, documents, albums, locations, contacts, copies and forwards.

Every send checks that the bot may write to the chat (403 when the user blocked it or never
started it) and the text or caption limits after entity parsing.
"""

from __future__ import annotations

import secrets
from typing import Any

from tests.emulator.errors import bad_request
from tests.emulator.html import ParsedText
from tests.emulator.methods.common import (
    bot_message,
    caption_of,
    document_file,
    known_file,
    markup_of,
    photo_sizes,
    reply_target,
    with_known_users,
    writable_chat,
)
from tests.emulator.methods.registry import Call, implements
from tests.emulator.models import Content, MessageKind, StoredMessage
from tests.emulator.text import caption_text, message_text

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


@implements("sendMessage")
def send_message(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    parsed = message_text(
        call.get("text"),
        call.get("parse_mode"),
        call.get("entities"),
        strict_html=call.behaviour.strict_html,
    )
    return call.state.message_json(bot_message(call, chat, "text", parsed, call.get("text")))


@implements("sendPhoto")
def send_photo(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    caption = caption_of(call)
    sizes = photo_sizes(call, call.get("photo"))
    return call.state.message_json(
        bot_message(call, chat, "photo", caption, call.get("caption"), photo=sizes)
    )


@implements("sendDocument")
def send_document(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    caption = caption_of(call)
    document = document_file(call, call.get("document"))
    return call.state.message_json(
        bot_message(call, chat, "document", caption, call.get("caption"), document=document)
    )


def _send_known_media(call: Call, kind: MessageKind) -> dict[str, Any]:
    """sendVoice, sendAudio, sendVideo, sendVideoNote with a file_id Telegram already holds (the
    bot re-sends what people sent it; uploads of these kinds are not emulated)."""
    chat = writable_chat(call.state, call.get("chat_id"))
    if kind == "video_note" and call.get("caption"):
        raise bad_request("video notes can't have a caption")  # the method has no such parameter
    caption = caption_of(call)
    stored = known_file(call, call.get(kind), kind)
    return call.state.message_json(
        bot_message(call, chat, kind, caption, call.get("caption"), media=stored)
    )


@implements("sendVoice")
def send_voice(call: Call) -> dict[str, Any]:
    return _send_known_media(call, "voice")


@implements("sendAudio")
def send_audio(call: Call) -> dict[str, Any]:
    return _send_known_media(call, "audio")


@implements("sendVideo")
def send_video(call: Call) -> dict[str, Any]:
    return _send_known_media(call, "video")


@implements("sendVideoNote")
def send_video_note(call: Call) -> dict[str, Any]:
    return _send_known_media(call, "video_note")


@implements("sendLocation")
def send_location(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    latitude, longitude = call.get("latitude"), call.get("longitude")
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise bad_request("wrong coordinates specified")  # the emulator's wording
    return call.state.message_json(
        bot_message(
            call,
            chat,
            "location",
            None,
            None,
            location={"latitude": latitude, "longitude": longitude},
        )
    )


@implements("sendContact")
def send_contact(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    contact = {
        key: call.params[key]
        for key in ("phone_number", "first_name", "last_name", "vcard")
        if call.get(key)
    }
    return call.state.message_json(bot_message(call, chat, "contact", None, None, contact=contact))


@implements("sendMediaGroup")
def send_media_group(call: Call) -> list[dict[str, Any]]:
    chat = writable_chat(call.state, call.get("chat_id"))
    media: list[dict[str, Any]] = call.get("media")
    if len(media) > 10:
        raise bad_request("too much messages to send as an album")
    if len(media) < 2:
        raise bad_request("media group must contain 2-10 items")  # the emulator's wording
    kinds = {item.get("type") for item in media}
    if len(kinds) > 1 and kinds & {"document", "audio"}:
        raise bad_request(
            "documents and audio can be grouped only with messages of the same type"
        )  # emulator's wording
    if not kinds <= {"photo", "document"}:
        raise bad_request("the emulator only sends photo and document albums")
    prepared: list[tuple[dict[str, Any], ParsedText | None, MessageKind, dict[str, Any]]] = []
    for item in media:
        caption = caption_text(
            item.get("caption"),
            item.get("parse_mode"),
            item.get("caption_entities"),
            strict_html=call.behaviour.strict_html,
        )
        if item["type"] == "photo":
            prepared.append((item, caption, "photo", {"photo": photo_sizes(call, item["media"])}))
        else:
            prepared.append(
                (item, caption, "document", {"document": document_file(call, item["media"])})
            )
    group_id = str(10**17 + secrets.randbelow(9 * 10**17))
    reply_to = reply_target(call, chat)
    messages = []
    for item, caption, kind, files in prepared:
        content = Content(
            text=caption.text if caption else None,
            raw=item.get("caption"),
            parse_mode=item.get("parse_mode"),
            entities=with_known_users(call, caption) if caption else (),
        )
        message = call.state.new_message(
            chat,
            from_bot=True,
            sender_id=call.state.bot.id,
            kind=kind,
            content=content,
            reply_to=reply_to,
            media_group_id=group_id,
            **files,
        )
        messages.append(call.state.message_json(message))
    return messages


def _source_message(call: Call, verb: str) -> StoredMessage:
    source = call.state.message(call.get("from_chat_id"), call.get("message_id"))
    if call.get("from_chat_id") not in call.state.chats or source is None or source.deleted:
        raise bad_request(f"message to {verb} not found")
    if source.kind == "service":
        raise bad_request(f"message can't be {verb}ed")
    return source


@implements("copyMessage")
def copy_message(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    source = _source_message(call, "copy")
    content = Content(
        text=source.content.text,
        raw=source.content.raw,
        parse_mode=source.content.parse_mode,
        entities=source.content.entities,
        reply_markup=markup_of(call),
    )
    if source.is_media and "caption" in call.params:
        caption = caption_of(call)
        content.text, content.raw = (caption.text, call.get("caption")) if caption else (None, None)
        content.entities = with_known_users(call, caption) if caption else ()
        content.parse_mode = call.get("parse_mode")
    message = call.state.new_message(
        chat,
        from_bot=True,
        sender_id=call.state.bot.id,
        kind=source.kind,
        content=content,
        photo=source.photo,
        document=source.document,
        location=source.location,
        contact=source.contact,
        reply_to=reply_target(call, chat),
    )
    return {"message_id": message.message_id}


@implements("forwardMessage")
def forward_message(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    source = _source_message(call, "forward")
    sender = call.state.bot if source.from_bot else call.state.users[source.sender_id]
    origin = {"type": "user", "date": source.date, "sender_user": sender.to_api()}
    content = Content(
        text=source.content.text,
        raw=source.content.raw,
        parse_mode=source.content.parse_mode,
        entities=source.content.entities,
    )
    message = call.state.new_message(
        chat,
        from_bot=True,
        sender_id=call.state.bot.id,
        kind=source.kind,
        content=content,
        photo=source.photo,
        document=source.document,
        location=source.location,
        contact=source.contact,
        forward_origin=origin,
    )
    return call.state.message_json(message)


@implements("sendChatAction")
def send_chat_action(call: Call) -> bool:
    writable_chat(call.state, call.get("chat_id"))
    if call.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True
