"""The emulated Telegram's memory, shared by the HTTP server thread and the test threads.

Every read and write holds `lock`; `changed` (a Condition on the same lock) is notified after
every change, so tests can block until the bot has answered or confirmed its updates, and the
server's long polls are woken through `add_listener` callbacks.

The update queue follows getUpdates' contract: updates stay queued until the bot calls
getUpdates with an offset past them, and are delivered again until then. Every update ever
queued is kept in `update_log` so a test can redeliver one (as Telegram does when a
confirmation is lost).
"""

from __future__ import annotations

import io
import itertools
import json
import mimetypes
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from tests.emulator.models import (
    FILE_KINDS,
    ApiCall,
    CallbackQuery,
    Chat,
    Content,
    MessageKind,
    StoredFile,
    StoredMessage,
    User,
)
from tests.emulator.text import detect_entities

# Update kinds delivered when the bot has not chosen (Telegram's default).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
T = TypeVar("T")
THUMBNAIL_SIDE = 90
NOMINAL_PHOTO = (1280, 960)  # dimensions reported for photo bytes Pillow cannot read


def commands_key(scope: dict[str, Any] | None, language_code: str = "") -> tuple[str, str]:
    """Where setMyCommands stores a command list: per scope and language."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code


def _random_digits(length: int) -> str:
    return str(secrets.randbelow(9 * 10 ** (length - 1)) + 10 ** (length - 1))


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (ImportError, OSError, ValueError):  # no Pillow, or not an image it reads
        return None


def _thumbnail(data: bytes) -> tuple[bytes, int, int] | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=70)
            return buffer.getvalue(), image.width, image.height
    except (ImportError, OSError, ValueError):
        return None


class EmulatorState:
    def __init__(
        self, bot: User, *, privacy_mode: bool = True, first_update_id: int = 10_000_001
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.bot = bot
        self.privacy_mode = privacy_mode
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self._last_message_id: dict[int, int] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.photo_sets: dict[str, tuple[StoredFile, ...]] = {}  # any size's file_id -> all sizes
        self.updates: list[dict[str, Any]] = []  # queued and not yet confirmed, by update_id
        self.update_log: dict[int, dict[str, Any]] = {}
        self.next_update_id = first_update_id
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self.callbacks: dict[str, CallbackQuery] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook: dict[str, Any] | None = None
        self.calls: list[ApiCall] = []
        self._listeners: list[Callable[[], None]] = []
        self._user_ids = itertools.count(5_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._file_numbers = itertools.count(1)

    # --- notification -------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called (under the lock, so it must not block) after every change."""
        with self.lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        with self.lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def wait_until(self, check: Callable[[], T | None], timeout: float) -> T | None:
        """Re-run `check` after every change until it returns something truthy; None on timeout."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                result = check()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                # The timeout also covers changes made without notify() (e.g. a direct edit).
                self.changed.wait(min(remaining, 0.25))

    def notify(self) -> None:
        with self.lock:
            self.changed.notify_all()
            for listener in self._listeners:
                listener()

    # --- users and chats ----------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        user_id: int | None = None,
        started: bool = True,
    ) -> User:
        with self.lock:
            if user_id is None:
                user_id = next(self._user_ids)
                while user_id in self.users:
                    user_id = next(self._user_ids)
            if user_id in self.users or user_id == self.bot.id or user_id <= 0:
                raise ValueError(f"user id {user_id} is taken or invalid")
            user = User(user_id, first_name, last_name, username, language_code, started=started)
            self.users[user_id] = user
            self.chats[user_id] = Chat(user_id, "private", user=user, instance=_random_digits(19))
            self.notify()
            return user

    def add_group(self, title: str, members: Iterable[User], group_id: int | None = None) -> Chat:
        with self.lock:
            chat_id = group_id if group_id is not None else -next(self._group_ids)
            if chat_id >= 0 or chat_id in self.chats:
                raise ValueError(f"group id {chat_id} is taken or not negative")
            chat = Chat(
                chat_id,
                "group",
                title=title,
                members={m.id for m in members},
                instance=_random_digits(19),
            )
            self.chats[chat_id] = chat
            first = next(iter(chat.members), None)
            adder = self.users.get(first) if first is not None else None
            self.push_update("my_chat_member", self._member_change(chat, adder, "left", "member"))
            self.notify()
            return chat

    def set_blocked(self, user: User, blocked: bool) -> None:
        """Block or unblock the bot; Telegram tells the bot with a my_chat_member update."""
        with self.lock:
            if user.blocked == blocked:
                return
            user.blocked = blocked
            if blocked:
                self.push_update(
                    "my_chat_member",
                    self._member_change(self.chats[user.id], user, "member", "kicked"),
                )
            else:
                user.started = True
                self.push_update(
                    "my_chat_member",
                    self._member_change(self.chats[user.id], user, "kicked", "member"),
                )
            self.notify()

    def remove_bot(self, chat: Chat) -> None:
        """The bot is kicked from a group; it is told with a my_chat_member update."""
        with self.lock:
            if chat.bot_is_member:
                chat.bot_is_member = False
                self.push_update(
                    "my_chat_member", self._member_change(chat, None, "member", "kicked")
                )
                self.notify()

    def _member_change(self, chat: Chat, user: User | None, old: str, new: str) -> dict[str, Any]:
        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"user": self.bot.to_api(), "status": status}
            if status == "kicked":
                data["until_date"] = 0
            return data

        return {
            "chat": chat.to_api(),
            "from": (user or self.bot).to_api(),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }

    # --- messages -----------------------------------------------------------------------------

    def new_message(
        self,
        chat: Chat,
        *,
        from_bot: bool,
        sender_id: int,
        kind: MessageKind,
        content: Content,
        **media: Any,
    ) -> StoredMessage:
        with self.lock:
            message_id = self._last_message_id.get(chat.id, 0) + 1
            self._last_message_id[chat.id] = message_id
            message = StoredMessage(
                chat.id, message_id, int(time.time()), sender_id, from_bot, kind, content, **media
            )
            self.messages.setdefault(chat.id, {})[message_id] = message
            self.notify()
            return message

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        with self.lock:
            return self.messages.get(chat_id, {}).get(message_id)

    def chat_messages(self, chat_id: int, *, from_bot: bool | None = None) -> list[StoredMessage]:
        with self.lock:
            messages = sorted(self.messages.get(chat_id, {}).values(), key=lambda m: m.message_id)
            return [m for m in messages if from_bot is None or m.from_bot == from_bot]

    def message_json(self, message: StoredMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """The Message object as the Bot API returns it (and as updates carry it)."""
        with self.lock:
            chat = self.chats[message.chat_id]
            sender = self.bot if message.from_bot else self.users[message.sender_id]
            data: dict[str, Any] = {
                "message_id": message.message_id,
                "from": sender.to_api(),
                "chat": chat.to_api(),
                "date": message.date,
            }
            content = message.content
            if message.kind == "text":
                data["text"] = content.text or ""
                if content.entities:
                    data["entities"] = list(content.entities)
            elif content.text:
                data["caption"] = content.text
                if content.entities:
                    data["caption_entities"] = list(content.entities)
            if message.photo:
                data["photo"] = [size.photo_size() for size in message.photo]
            if message.document is not None:
                data["document"] = message.document.document()
            if message.media is not None:
                data[message.kind] = message.media.media()
            if message.extra:
                data.update(message.extra)
            if message.location is not None:
                data["location"] = dict(message.location)
            if message.contact is not None:
                data["contact"] = dict(message.contact)
            if message.media_group_id:
                data["media_group_id"] = message.media_group_id
            if message.forward_origin:
                data["forward_origin"] = dict(message.forward_origin)
            if content.reply_markup and "inline_keyboard" in content.reply_markup:
                data["reply_markup"] = (
                    content.reply_markup
                )  # only inline keyboards are part of a Message
            if content.edit_date:
                data["edit_date"] = content.edit_date
            replied = self.message(message.chat_id, message.reply_to) if message.reply_to else None
            if with_reply and replied is not None and not replied.deleted:
                data["reply_to_message"] = self.message_json(replied, with_reply=False)
            return data

    # --- files --------------------------------------------------------------------------------

    def store_file(
        self,
        kind: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
        width: int = 0,
        height: int = 0,
        duration: int = 0,
        declared_size: int | None = None,
    ) -> StoredFile:
        with self.lock:
            number = next(self._file_numbers)
            if kind == "photo":
                prefix, path = "AgACAgIAAxkBAAI", f"photos/file_{number}.jpg"
            elif kind in FILE_KINDS:
                fixed = {"voice": "oga", "video_note": "mp4", "sticker": "webp"}.get(kind)
                guessed = (mimetypes.guess_extension(mime_type or "") or ".bin").lstrip(".")
                prefix = {"voice": "AwACAgIAAxkBAAI", "video": "BAACAgIAAxkBAAI",
                          "video_note": "DQACAgIAAxkBAAI", "audio": "CQACAgIAAxkBAAI",
                          "animation": "CgACAgIAAxkBAAI", "sticker": "CAACAgIAAxkBAAI"}[kind]  # fmt: skip
                path = f"{kind}s/file_{number}.{fixed or guessed}"
            else:
                extension = (
                    (file_name or "").rpartition(".")[2] if "." in (file_name or "") else None
                )
                extension = extension or (
                    mimetypes.guess_extension(mime_type or "") or ".bin"
                ).lstrip(".")
                prefix, path = "BQACAgIAAxkBAAI", f"documents/file_{number}.{extension}"
            stored = StoredFile(
                file_id=prefix + secrets.token_urlsafe(48)[:56],
                file_unique_id="AQAD" + secrets.token_urlsafe(9)[:12],
                kind=kind if kind == "photo" or kind in FILE_KINDS else "document",  # type: ignore[arg-type]
                data=data,
                file_path=path,
                mime_type=mime_type,
                file_name=file_name,
                width=width,
                height=height,
                duration=duration,
                declared_size=declared_size,
            )
            self.files[stored.file_id] = stored
            self.files_by_path[stored.file_path] = stored
            return stored

    def store_photo(self, data: bytes) -> tuple[StoredFile, ...]:
        """The PhotoSizes Telegram makes of an uploaded photo; the largest keeps the exact bytes."""
        with self.lock:
            width, height = _image_size(data) or NOMINAL_PHOTO
            sizes: list[StoredFile] = []
            if max(width, height) > THUMBNAIL_SIDE:
                thumb = _thumbnail(data)
                if thumb is not None:
                    sizes.append(
                        self.store_file(
                            "photo",
                            thumb[0],
                            mime_type="image/jpeg",
                            width=thumb[1],
                            height=thumb[2],
                        )
                    )
                else:
                    scale = THUMBNAIL_SIDE / max(width, height)
                    sizes.append(
                        self.store_file(
                            "photo",
                            data,
                            mime_type="image/jpeg",
                            width=max(1, round(width * scale)),
                            height=max(1, round(height * scale)),
                        )
                    )
            sizes.append(
                self.store_file("photo", data, mime_type="image/jpeg", width=width, height=height)
            )
            photo_set = tuple(sizes)
            for size in photo_set:
                self.photo_sets[size.file_id] = photo_set
            return photo_set

    # --- updates ------------------------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update unless the bot's allowed_updates exclude its kind; returns its id."""
        with self.lock:
            if kind not in self.allowed_updates:
                return None
            update_id = self.next_update_id
            self.next_update_id += 1
            self._queue({"update_id": update_id, kind: payload})
            return update_id

    def inject(self, update: dict[str, Any]) -> int:
        """Queue an arbitrary update; an `update_id` in it is kept (e.g. to replay an old one)."""
        with self.lock:
            update = dict(update)
            if "update_id" not in update:
                update["update_id"] = self.next_update_id
            self.next_update_id = max(self.next_update_id, int(update["update_id"]) + 1)
            self._queue(update)
            return int(update["update_id"])

    def redeliver(self, update_id: int) -> None:
        """Queue an already delivered (even confirmed) update again, with the same update_id."""
        with self.lock:
            if update_id not in self.update_log:
                raise KeyError(f"no update {update_id} was ever queued")
            if all(u["update_id"] != update_id for u in self.updates):
                self._queue(self.update_log[update_id])

    def _queue(self, update: dict[str, Any]) -> None:
        self.update_log[update["update_id"]] = update
        self.updates.append(update)
        self.updates.sort(key=lambda u: u["update_id"])
        self.notify()

    def take_updates(self, offset: int | None, limit: int) -> list[dict[str, Any]]:
        """getUpdates: confirm (drop) what is before `offset`, then return the first `limit`."""
        with self.lock:
            before = len(self.updates)
            if offset is not None and offset < 0:
                self.updates = self.updates[offset:]
            elif offset is not None:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            if len(self.updates) != before:
                self.notify()
            return [dict(u) for u in self.updates[:limit]]

    def clear_updates(self) -> None:
        with self.lock:
            self.updates.clear()
            self.notify()

    # --- what users do --------------------------------------------------------------------------

    def user_message(
        self, user: User, chat: Chat, kind: MessageKind, content: Content, **media: Any
    ) -> StoredMessage:
        """A message from a user; queued as an update when the bot gets to see it."""
        with self.lock:
            if content.text and not content.entities:
                content.entities = tuple(detect_entities(content.text))
            message = self.new_message(
                chat, from_bot=False, sender_id=user.id, kind=kind, content=content, **media
            )
            if self._bot_sees(chat, message):
                self.push_update("message", self.message_json(message))
            return message

    def _bot_sees(self, chat: Chat, message: StoredMessage) -> bool:
        """Private chats: always (unless blocked). Groups in privacy mode: commands for this bot,
        mentions of it and replies to it only (Telegram's default for bots)."""
        if chat.type == "private":
            return not (chat.user is not None and chat.user.blocked)
        if not chat.bot_is_member:
            return False
        if not self.privacy_mode:
            return True
        text = message.content.text or ""
        username = (self.bot.username or "").lower()
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            return "@" not in command or command.split("@", 1)[1].lower() == username
        replied = self.message(chat.id, message.reply_to) if message.reply_to else None
        return bool(replied and replied.from_bot) or (
            bool(username) and f"@{username}" in text.lower()
        )

    def press(self, user: User, message: StoredMessage, data: str) -> CallbackQuery:
        with self.lock:
            query = CallbackQuery(
                _random_digits(19),
                user.id,
                message.chat_id,
                message.message_id,
                data,
                time.monotonic(),
            )
            self.callbacks[query.id] = query
            self.push_update(
                "callback_query",
                {
                    "id": query.id,
                    "from": user.to_api(),
                    "message": self.message_json(message),
                    "chat_instance": self.chats[message.chat_id].instance,
                    "data": data,
                },
            )
            return query

    # --- calls --------------------------------------------------------------------------------

    def record(self, call: ApiCall) -> None:
        with self.lock:
            self.calls.append(call)
            self.notify()
