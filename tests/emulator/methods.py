"""What the Bot API methods do, once the server has checked the parameters against the spec.

Each implementation gets a `Call` (typed parameters, the multipart attachments, the shared
state) and returns the JSON result, or raises `ApiError` with the description the real server
gives. They run under the state lock, so each call is atomic, like Telegram's.

Methods without an implementation here are accepted after validation and answer `true`.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.emulator.errors import ApiError, bad_request, forbidden
from tests.emulator.markup import validate_reply_markup
from tests.emulator.models import Chat, Content, StoredFile, StoredMessage
from tests.emulator.spec import Upload
from tests.emulator.state import DEFAULT_ALLOWED_UPDATES, EmulatorState, commands_key
from tests.emulator.text import ParsedText, caption_text, message_text

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024
CALLBACK_ANSWER_LIMIT = 200
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})  # fmt: skip
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_WEBHOOK_PORTS = (443, 80, 88, 8443)


@dataclass(frozen=True)
class Behaviour:
    """Switches for how strict the emulator is (see BotApiEmulator)."""

    strict_html: bool = True
    callback_answer_timeout: float | None = None


@dataclass
class Call:
    state: EmulatorState
    params: dict[str, Any]
    attachments: Mapping[str, Upload]
    behaviour: Behaviour

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


Handler = Callable[[Call], Any]
HANDLERS: dict[str, Handler] = {}


def implements(*names: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        for name in names:
            HANDLERS[name.lower()] = function
        return function

    return register


def send_cost(method: str, params: Mapping[str, Any]) -> int:
    """How many messages a call sends, for the flood limits (0: not a sending method)."""
    name = method.lower()
    if name == "sendchataction" or not name.startswith(("send", "copymessage", "forwardmessage")):
        return 0
    for key in ("media", "message_ids"):
        if isinstance(params.get(key), list):
            return max(1, len(params[key]))
    return 1


# --- shared checks ------------------------------------------------------------------------------


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
    message = call.state.message(target_chat, parameters["message_id"]) if target_chat == chat.id else None
    if message is None or message.deleted:
        if parameters.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return message.message_id


def with_known_users(call: Call, parsed: ParsedText) -> tuple[dict[str, Any], ...]:
    """text_mention entities carry the full User, as Telegram fills it in."""
    entities = []
    for entity in parsed.entities:
        user = call.state.users.get(entity.get("user", {}).get("id", 0)) if entity["type"] == "text_mention" else None
        entities.append({**entity, "user": user.to_api()} if user else dict(entity))
    return tuple(entities)


def bot_message(call: Call, chat: Chat, kind: Any, parsed: ParsedText | None, raw: str | None,
                **media: Any) -> StoredMessage:  # fmt: skip
    content = Content(
        text=parsed.text if parsed else None, raw=raw, parse_mode=call.get("parse_mode"),
        entities=with_known_users(call, parsed) if parsed else (), reply_markup=markup_of(call),
    )  # fmt: skip
    return call.state.new_message(chat, from_bot=True, sender_id=call.state.bot.id, kind=kind, content=content,
                                  reply_to=reply_target(call, chat), **media)  # fmt: skip


def caption_of(call: Call, prefix: str = "") -> ParsedText | None:
    return caption_text(call.get(f"{prefix}caption"), call.get("parse_mode"), call.get("caption_entities"),
                        strict_html=call.behaviour.strict_html)  # fmt: skip


# --- files --------------------------------------------------------------------------------------


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


def _known_file(call: Call, value: Any, kind: str) -> StoredFile:
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
    return call.state.photo_sets[_known_file(call, value, "photo").file_id]


def document_file(call: Call, value: Any) -> StoredFile:
    upload = _upload_of(call, value)
    if upload is None:
        return _known_file(call, value, "document")
    data = _checked_upload(upload, UPLOAD_LIMIT)
    mime = upload.content_type
    if not mime or mime == "application/octet-stream":
        mime = mimetypes.guess_type(upload.filename or "")[0] or mime
    return call.state.store_file("document", data, mime_type=mime, file_name=upload.filename or "document")


# --- bot identity, updates, webhook -------------------------------------------------------------


@implements("getMe")
def get_me(call: Call) -> dict[str, Any]:
    return {**call.state.bot.to_api(), "can_join_groups": True, "can_read_all_group_messages": not call.state.privacy_mode,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}  # fmt: skip


@implements("logOut", "close")
def log_out(call: Call) -> bool:
    return True


@implements("setWebhook")
def set_webhook(call: Call) -> bool:
    url = call.get("url", "")
    if url:
        scheme, _, rest = url.partition("://")
        if scheme.lower() != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        host = rest.split("/", 1)[0]
        port = int(host.rsplit(":", 1)[1]) if ":" in host and host.rsplit(":", 1)[1].isdigit() else 443
        if port not in _WEBHOOK_PORTS:
            raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    if call.get("drop_pending_updates"):
        call.state.clear_updates()
    if "allowed_updates" in call.params:
        call.state.allowed_updates = frozenset(call.params["allowed_updates"]) or DEFAULT_ALLOWED_UPDATES
    call.state.webhook = {"url": url, "max_connections": call.get("max_connections", 40)} if url else None
    return True


@implements("deleteWebhook")
def delete_webhook(call: Call) -> bool:
    if call.get("drop_pending_updates"):
        call.state.clear_updates()
    call.state.webhook = None
    return True


@implements("getWebhookInfo")
def get_webhook_info(call: Call) -> dict[str, Any]:
    webhook = call.state.webhook or {}
    info: dict[str, Any] = {"url": webhook.get("url", ""), "has_custom_certificate": False,
                            "pending_update_count": len(call.state.updates)}  # fmt: skip
    if webhook:
        info["max_connections"] = webhook["max_connections"]
        info["allowed_updates"] = sorted(call.state.allowed_updates)
    return info


# --- sending ------------------------------------------------------------------------------------


@implements("sendMessage")
def send_message(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    parsed = message_text(call.get("text"), call.get("parse_mode"), call.get("entities"), strict_html=call.behaviour.strict_html)
    return call.state.message_json(bot_message(call, chat, "text", parsed, call.get("text")))


@implements("sendPhoto")
def send_photo(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    caption = caption_of(call)
    sizes = photo_sizes(call, call.get("photo"))
    return call.state.message_json(bot_message(call, chat, "photo", caption, call.get("caption"), photo=sizes))


@implements("sendDocument")
def send_document(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    caption = caption_of(call)
    document = document_file(call, call.get("document"))
    return call.state.message_json(bot_message(call, chat, "document", caption, call.get("caption"), document=document))


@implements("sendLocation")
def send_location(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    latitude, longitude = call.get("latitude"), call.get("longitude")
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise bad_request("wrong coordinates specified")  # the emulator's wording
    return call.state.message_json(bot_message(call, chat, "location", None, None,
                                               location={"latitude": latitude, "longitude": longitude}))  # fmt: skip


@implements("sendContact")
def send_contact(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    contact = {key: call.params[key] for key in ("phone_number", "first_name", "last_name", "vcard") if call.get(key)}
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
        raise bad_request("documents and audio can be grouped only with messages of the same type")  # emulator's wording
    if not kinds <= {"photo", "document"}:
        raise bad_request("the emulator only sends photo and document albums")
    prepared = []
    for item in media:
        caption = caption_text(item.get("caption"), item.get("parse_mode"), item.get("caption_entities"),
                               strict_html=call.behaviour.strict_html)  # fmt: skip
        if item["type"] == "photo":
            prepared.append((item, caption, {"photo": photo_sizes(call, item["media"])}, "photo"))
        else:
            prepared.append((item, caption, {"document": document_file(call, item["media"])}, "document"))
    group_id = str(10**17 + secrets.randbelow(9 * 10**17))
    reply_to = reply_target(call, chat)
    messages = []
    for item, caption, files, kind in prepared:
        content = Content(text=caption.text if caption else None, raw=item.get("caption"), parse_mode=item.get("parse_mode"),
                          entities=with_known_users(call, caption) if caption else ())  # fmt: skip
        message = call.state.new_message(chat, from_bot=True, sender_id=call.state.bot.id, kind=kind, content=content,
                                         reply_to=reply_to, media_group_id=group_id, **files)  # fmt: skip
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
    content = Content(text=source.content.text, raw=source.content.raw, parse_mode=source.content.parse_mode,
                      entities=source.content.entities, reply_markup=markup_of(call))  # fmt: skip
    if source.is_media and "caption" in call.params:
        caption = caption_of(call)
        content.text, content.raw = (caption.text, call.get("caption")) if caption else (None, None)
        content.entities = with_known_users(call, caption) if caption else ()
        content.parse_mode = call.get("parse_mode")
    message = call.state.new_message(
        chat, from_bot=True, sender_id=call.state.bot.id, kind=source.kind, content=content, photo=source.photo,
        document=source.document, location=source.location, contact=source.contact, reply_to=reply_target(call, chat),
    )  # fmt: skip
    return {"message_id": message.message_id}


@implements("forwardMessage")
def forward_message(call: Call) -> dict[str, Any]:
    chat = writable_chat(call.state, call.get("chat_id"))
    source = _source_message(call, "forward")
    sender = call.state.bot if source.from_bot else call.state.users[source.sender_id]
    origin = {"type": "user", "date": source.date, "sender_user": sender.to_api()}
    content = Content(text=source.content.text, raw=source.content.raw, parse_mode=source.content.parse_mode,
                      entities=source.content.entities)  # fmt: skip
    message = call.state.new_message(
        chat, from_bot=True, sender_id=call.state.bot.id, kind=source.kind, content=content, photo=source.photo,
        document=source.document, location=source.location, contact=source.contact, forward_origin=origin,
    )  # fmt: skip
    return call.state.message_json(message)


@implements("sendChatAction")
def send_chat_action(call: Call) -> bool:
    writable_chat(call.state, call.get("chat_id"))
    if call.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


# --- editing and deleting -----------------------------------------------------------------------


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
    if (content.text, content.entities, content.reply_markup) == (current.text, current.entities, current.reply_markup):
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
    parsed = message_text(call.get("text"), call.get("parse_mode"), call.get("entities"), strict_html=call.behaviour.strict_html)
    # Like Telegram: an edit without reply_markup removes the inline keyboard.
    content = Content(text=parsed.text, raw=call.get("text"), parse_mode=call.get("parse_mode"),
                      entities=with_known_users(call, parsed), reply_markup=markup_of(call, inline_only=True))  # fmt: skip
    return _apply_edit(call, message, content)


@implements("editMessageCaption")
def edit_message_caption(call: Call) -> dict[str, Any]:
    message = _message_to_edit(call)
    if not message.is_media:
        raise bad_request("there is no caption in the message to edit")
    caption = caption_of(call)
    content = Content(text=caption.text if caption else None, raw=call.get("caption"), parse_mode=call.get("parse_mode"),
                      entities=with_known_users(call, caption) if caption else (),
                      reply_markup=markup_of(call, inline_only=True))  # fmt: skip
    return _apply_edit(call, message, content)


@implements("editMessageReplyMarkup")
def edit_message_reply_markup(call: Call) -> dict[str, Any]:
    message = _message_to_edit(call)
    current = message.content
    content = Content(text=current.text, raw=current.raw, parse_mode=current.parse_mode, entities=current.entities,
                      reply_markup=markup_of(call, inline_only=True))  # fmt: skip
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
    expired = query is not None and timeout is not None and time.monotonic() - query.created > timeout
    if query is None or query.answered or expired:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(call.get("text", "")) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.answer = {key: call.params[key] for key in ("text", "show_alert", "url", "cache_time") if key in call.params}
    call.state.notify()
    return True


# --- files --------------------------------------------------------------------------------------


@implements("getFile")
def get_file(call: Call) -> dict[str, Any]:
    stored = call.state.files.get(call.get("file_id", "").strip())
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return stored.file()


# --- commands and menu --------------------------------------------------------------------------


def _commands_key(call: Call) -> tuple[str, str]:
    scope = call.get("scope") or {"type": "default"}
    if "chat_id" in scope and scope["chat_id"] not in call.state.chats:
        raise bad_request("chat not found")
    language = call.get("language_code", "")
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")  # the emulator's wording
    return commands_key(scope, language)


@implements("setMyCommands")
def set_my_commands(call: Call) -> bool:
    commands = call.get("commands")
    if len(commands) > 100:
        raise bad_request("too many commands specified")  # the emulator's wording
    for command in commands:
        if not _COMMAND.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"].strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _commands_key(call)
    if commands:
        call.state.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
    else:
        call.state.commands.pop(key, None)
    return True


@implements("getMyCommands")
def get_my_commands(call: Call) -> list[dict[str, Any]]:
    return list(call.state.commands.get(_commands_key(call), []))


@implements("deleteMyCommands")
def delete_my_commands(call: Call) -> bool:
    call.state.commands.pop(_commands_key(call), None)
    return True


@implements("setChatMenuButton")
def set_chat_menu_button(call: Call) -> bool:
    chat_id = call.get("chat_id")
    if chat_id is not None:
        writable_chat(call.state, chat_id)
    call.state.menu_buttons[chat_id] = call.get("menu_button") or {"type": "default"}
    return True


@implements("getChatMenuButton")
def get_chat_menu_button(call: Call) -> dict[str, Any]:
    buttons = call.state.menu_buttons
    return buttons.get(call.get("chat_id"), buttons.get(None, {"type": "commands"}))


# --- chats --------------------------------------------------------------------------------------


@implements("getChat")
def get_chat(call: Call) -> dict[str, Any]:
    chat = call.state.chats.get(call.get("chat_id"))
    if chat is None:
        raise bad_request("chat not found")
    return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                    "premium_subscription": False, "gifts_from_channels": False}}  # fmt: skip


@implements("getChatMember")
def get_chat_member(call: Call) -> dict[str, Any]:
    chat = call.state.chats.get(call.get("chat_id"))
    if chat is None:
        raise bad_request("chat not found")
    user_id = call.get("user_id")
    user = call.state.bot if user_id == call.state.bot.id else call.state.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    in_chat = user_id in chat.members or user_id == chat.id or (user is call.state.bot and chat.bot_is_member)
    return {"status": "member" if in_chat else "left", "user": user.to_api()}
