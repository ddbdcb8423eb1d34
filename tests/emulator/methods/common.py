"""Checks and helpers the method implementations share: chat access, reply markup, replies,
entities, captions and files given by upload, attach:// or file_id."""

from __future__ import annotations

import mimetypes
from typing import Any

from tests.emulator.errors import ApiError, bad_request, forbidden
from tests.emulator.html import ParsedText
from tests.emulator.markup import validate_reply_markup
from tests.emulator.methods.registry import Call
from tests.emulator.models import Chat, Content, StoredFile, StoredMessage
from tests.emulator.spec import Upload
from tests.emulator.state import EmulatorState
from tests.emulator.text import caption_text

PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024


def writable_chat(state: EmulatorState, chat_id: Any) -> Chat:
    """The chat a bot may act in, or the error Telegram gives for it."""
    chat = state.chats.get(chat_id) if isinstance(chat_id, int) else None
    if chat is None:
        raise bad_request("chat not found")
    if chat.type == "private":
        assert chat.user is not None
        if chat.user.blocked:
            raise forbidden("bot was blocked by the user")
        if not chat.user.started:
            raise forbidden("bot can't initiate conversation with a user")
    elif not chat.bot_is_member:
        raise forbidden("bot was kicked from the group chat")
    return chat


def markup_of(call: Call, *, inline_only: bool = False) -> dict[str, Any] | None:
    if "reply_markup" not in call.params:
        return None
    return validate_reply_markup(call.params["reply_markup"], inline_only=inline_only)


def reply_target(call: Call, chat: Chat) -> int | None:
    """The message replied to (reply_parameters), which must exist unless allowed otherwise."""
    parameters = call.get("reply_parameters")
    if not parameters:
        return None
    target_chat = parameters.get("chat_id", chat.id)
    message = (
        call.state.message(target_chat, parameters["message_id"])
        if target_chat == chat.id
        else None
    )
    if message is None or message.deleted:
        if parameters.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return message.message_id


def with_known_users(call: Call, parsed: ParsedText) -> tuple[dict[str, Any], ...]:
    """text_mention entities carry the full User, as Telegram fills it in."""
    entities = []
    for entity in parsed.entities:
        user = (
            call.state.users.get(entity.get("user", {}).get("id", 0))
            if entity["type"] == "text_mention"
            else None
        )
        entities.append({**entity, "user": user.to_api()} if user else dict(entity))
    return tuple(entities)


def bot_message(
    call: Call, chat: Chat, kind: Any, parsed: ParsedText | None, raw: str | None, **media: Any
) -> StoredMessage:
    content = Content(
        text=parsed.text if parsed else None,
        raw=raw,
        parse_mode=call.get("parse_mode"),
        entities=with_known_users(call, parsed) if parsed else (),
        reply_markup=markup_of(call),
    )
    return call.state.new_message(
        chat,
        from_bot=True,
        sender_id=call.state.bot.id,
        kind=kind,
        content=content,
        reply_to=reply_target(call, chat),
        **media,
    )


def caption_of(call: Call, prefix: str = "") -> ParsedText | None:
    return caption_text(
        call.get(f"{prefix}caption"),
        call.get("parse_mode"),
        call.get("caption_entities"),
        strict_html=call.behaviour.strict_html,
    )


def _upload_of(call: Call, value: Any) -> Upload | None:
    """The uploaded part a value stands for (directly or as attach://name), or None for a string."""
    if isinstance(value, Upload):
        return value
    if isinstance(value, str) and value.startswith("attach://"):
        upload = call.attachments.get(value[len("attach://") :])
        if upload is None:
            raise bad_request("can't parse InputMedia: media not found")
        return upload
    return None


def known_file(call: Call, value: Any, kind: str) -> StoredFile:
    if not isinstance(value, str) or not value:
        raise bad_request(f"there is no {kind} in the request")
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content (the emulator does not fetch URLs)")
    stored = call.state.files.get(value.strip())
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request("type of file mismatch")
    return stored


def _checked_upload(upload: Upload, limit: int) -> bytes:
    if not upload.data:
        raise bad_request("file must be non-empty")
    if len(upload.data) > limit:
        raise ApiError(413, "Request Entity Too Large")
    return upload.data


def photo_sizes(call: Call, value: Any) -> tuple[StoredFile, ...]:
    upload = _upload_of(call, value)
    if upload is not None:
        return call.state.store_photo(_checked_upload(upload, PHOTO_UPLOAD_LIMIT))
    return call.state.photo_sets[known_file(call, value, "photo").file_id]


def document_file(call: Call, value: Any) -> StoredFile:
    upload = _upload_of(call, value)
    if upload is None:
        return known_file(call, value, "document")
    data = _checked_upload(upload, UPLOAD_LIMIT)
    mime = upload.content_type
    if not mime or mime == "application/octet-stream":
        mime = mimetypes.guess_type(upload.filename or "")[0] or mime
    return call.state.store_file(
        "document", data, mime_type=mime, file_name=upload.filename or "document"
    )
