"""The test's side of the conversation: users who type, send files and press buttons, and the
bot's messages as they see them.

Everything here is synchronous and thread-safe, for plain pytest functions: actions change the
shared state under its lock (queuing the updates the bot will fetch), and the waits block on the
state's condition until the bot's messages (or their later edits) satisfy them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from tests.emulator.models import Chat, Content, MessageKind, StoredMessage, User
from tests.emulator.text import detect_entities

if TYPE_CHECKING:
    from tests.emulator.emulator import BotApiEmulator


class Button(NamedTuple):
    """An inline button, a (text, callback_data) pair; `data` is None for URL and other buttons
    that send no callback (the full button is in `SentMessage.reply_markup`)."""

    text: str
    data: str | None


@dataclass(frozen=True)
class ReplyButton:
    """A reply-keyboard button, with what pressing it would share."""

    text: str
    request_location: bool = False
    request_contact: bool = False


@dataclass(frozen=True)
class MessageVersion:
    """An earlier state of an edited message."""

    text: str | None
    html: str | None
    buttons: list[list[Button]]


def _buttons(markup: dict[str, Any] | None) -> list[list[Button]]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [
        [Button(b.get("text", ""), b.get("callback_data") or None) for b in row] for row in rows
    ]


@dataclass(frozen=True)
class SentMessage:
    """A snapshot of a bot message as the user sees it now (current text, edits, deletion)."""

    message_id: int
    chat_id: int
    kind: str  # "text", "photo", "document", "location", "contact"
    text: str | None  # the text, or the caption of a media message, after entity parsing
    html: str | None  # the text or caption exactly as the bot sent it (HTML, Markdown or plain)
    parse_mode: str | None
    entities: tuple[dict[str, Any], ...] = ()
    buttons: list[list[Button]] = field(default_factory=list)
    reply_keyboard: list[list[ReplyButton]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    file_id: str | None = None  # the document, or the largest photo size
    file_name: str | None = None
    mime_type: str | None = None
    location: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    media_group_id: str | None = None
    reply_to_message_id: int | None = None
    forwarded: bool = False
    date: int = 0
    edit_count: int = 0
    deleted: bool = False
    versions: tuple[MessageVersion, ...] = ()  # earlier states, oldest first (bots often edit a
    # prompt into a summary once it is answered; this finds it by what it used to say)

    @property
    def caption(self) -> str | None:
        return self.text if self.kind in ("photo", "document") else None

    @property
    def edited(self) -> bool:
        return self.edit_count > 0

    def ever_contained(self, fragment: str) -> bool:
        """Whether the text, now or before an edit, contained `fragment`."""
        return any(
            fragment in (text or "") for text in (self.text, *(v.text for v in self.versions))
        )

    def button(self, text: str) -> Button:
        """The first button whose label contains `text` (AssertionError listing them if none)."""
        for row in self.buttons:
            for button in row:
                if text in button.text:
                    return button
        labels = [b.text for row in self.buttons for b in row]
        raise AssertionError(
            f"message {self.message_id} has no button containing {text!r}; it has {labels}"
        )

    @classmethod
    def of(cls, message: StoredMessage) -> SentMessage:
        content = message.content
        markup = content.reply_markup or {}
        keyboard = [
            [
                ReplyButton(b)
                if isinstance(b, str)
                else ReplyButton(
                    b.get("text", ""),
                    bool(b.get("request_location")),
                    bool(b.get("request_contact")),
                )
                for b in row
            ]
            for row in markup.get("keyboard", [])
        ]
        stored_file = message.file
        return cls(
            message_id=message.message_id,
            chat_id=message.chat_id,
            kind=message.kind,
            text=content.text,
            html=content.raw,
            parse_mode=content.parse_mode,
            entities=content.entities,
            buttons=_buttons(markup),
            reply_keyboard=keyboard,
            reply_markup=content.reply_markup,
            file_id=stored_file.file_id if stored_file else None,
            file_name=stored_file.file_name if stored_file else None,
            mime_type=stored_file.mime_type if stored_file else None,
            location=message.location,
            contact=message.contact,
            media_group_id=message.media_group_id,
            reply_to_message_id=message.reply_to,
            forwarded=message.forward_origin is not None,
            date=message.date,
            edit_count=len(message.history),
            deleted=message.deleted,
            versions=tuple(
                MessageVersion(c.text, c.raw, _buttons(c.reply_markup)) for c in message.history
            ),
        )


def describe(message: SentMessage) -> str:
    """One message, for failure output."""
    flags = [flag for flag, on in (("edited", message.edited), ("deleted", message.deleted)) if on]
    head = f"#{message.message_id} {message.kind}" + (f" ({', '.join(flags)})" if flags else "")
    text = (message.text or "").replace("\n", "\n    ")
    lines = [head, f"    {text[:600]}" + ("…" if len(text) > 600 else "")]
    if message.buttons:
        lines.append(
            "    buttons: " + " | ".join(f"[{b.text}]" for row in message.buttons for b in row)
        )
    if message.reply_keyboard:
        lines.append(
            "    keyboard: "
            + " | ".join(f"[{b.text}]" for row in message.reply_keyboard for b in row)
        )
    return "\n".join(lines)


class ChatView:
    """The bot's messages in one chat, with waits that notice new messages and edits."""

    def __init__(self, emulator: BotApiEmulator, chat_id: int) -> None:
        self._emulator = emulator
        self._state = emulator.state
        self.chat_id = chat_id
        self._cursor = 0  # message_id of the last message wait_for_messages returned

    def messages(self) -> list[SentMessage]:
        """All bot messages in the chat, in order, as they are now (deleted ones flagged)."""
        with self._state.lock:
            return [
                SentMessage.of(m) for m in self._state.chat_messages(self.chat_id, from_bot=True)
            ]

    def last_message(self) -> SentMessage | None:
        messages = self.messages()
        return messages[-1] if messages else None

    def wait_for_messages(
        self,
        count: int = 1,
        timeout: float = 10.0,
        since: int | SentMessage | None = None,
        predicate: Callable[[SentMessage], bool] | None = None,
    ) -> list[SentMessage]:
        """The next `count` bot messages after `since` (a message or its id; by default, after the
        last message an earlier call returned) that satisfy `predicate`."""
        after = (
            since.message_id
            if isinstance(since, SentMessage)
            else since
            if since is not None
            else self._cursor
        )

        def ready() -> list[SentMessage] | None:
            found = [
                m
                for m in self.messages()
                if m.message_id > after and (predicate is None or predicate(m))
            ]
            return found[:count] if len(found) >= count else None

        found = self._state.wait_until(ready, timeout)
        if found is None:
            raise AssertionError(self._timeout_report(timeout, f"{count} new message(s)"))
        self._cursor = max(self._cursor, found[-1].message_id)
        return found

    def wait_for(
        self, predicate: Callable[[SentMessage], bool], timeout: float = 10.0
    ) -> SentMessage:
        """The first bot message whose current state satisfies `predicate` (edits count)."""
        found = self._state.wait_until(
            lambda: next((m for m in self.messages() if predicate(m)), None), timeout
        )
        if found is None:
            raise AssertionError(self._timeout_report(timeout, "a matching message"))
        return found

    def wait_for_text(self, fragment: str, timeout: float = 10.0) -> SentMessage:
        """The first bot message whose current text contains `fragment`."""
        return self.wait_for(lambda m: fragment in (m.text or ""), timeout)

    def _timeout_report(self, timeout: float, what: str) -> str:
        recent = self.messages()[-5:]
        shown = "\n".join(describe(m) for m in recent) or "(none)"
        refused = [c for c in self._emulator.calls if not c.ok and c.method != "getUpdates"][-5:]
        report = (
            f"timed out after {timeout} s waiting for {what} in chat {self.chat_id}.\n"
            f"Last bot messages:\n{shown}"
        )
        if refused:
            report += "\nRecently refused Bot API calls:\n" + "\n".join(
                f"  {call!r}" for call in refused
            )
        return report


class EmulatedGroup(ChatView):
    """A basic group with the bot in it."""

    def __init__(self, emulator: BotApiEmulator, chat: Chat) -> None:
        super().__init__(emulator, chat.id)
        self.chat = chat

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def title(self) -> str:
        return self.chat.title or ""

    def add_member(self, user: EmulatedUser) -> None:
        with self._state.lock:
            self.chat.members.add(user.id)

    def send(self, user: EmulatedUser, text: str, *, reply_to: int | None = None) -> int:
        return user.send_to_group(self, text, reply_to=reply_to)

    def remove_bot(self) -> None:
        """Kick the bot: it gets a my_chat_member update and 403s when it writes here."""
        self._state.remove_bot(self.chat)


class EmulatedUser(ChatView):
    """A Telegram user in a private chat with the bot (chat id == user id)."""

    def __init__(self, emulator: BotApiEmulator, user: User) -> None:
        super().__init__(emulator, user.id)
        self.user = user

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def first_name(self) -> str:
        return self.user.first_name

    @property
    def last_name(self) -> str | None:
        return self.user.last_name

    @property
    def username(self) -> str | None:
        return self.user.username

    @property
    def language_code(self) -> str | None:
        return self.user.language_code

    def __repr__(self) -> str:
        return f"EmulatedUser({self.user.id}, {self.user.full_name!r})"

    # --- sending ------------------------------------------------------------------------------

    def _say(
        self, kind: MessageKind, content: Content, chat: Chat | None = None, **media: Any
    ) -> int:
        """Post a message (to the private chat unless `chat` is given); returns its message_id."""
        with self._state.lock:
            if chat is None:
                if self.user.blocked:
                    raise AssertionError(f"{self!r} has blocked the bot; call unblock_bot() first")
                self.user.started = True  # writing to a bot starts it
                chat = self._state.chats[self.user.id]
            return self._state.user_message(self.user, chat, kind, content, **media).message_id

    def send(self, text: str, *, reply_to: int | None = None) -> int:
        """A text message to the bot (commands get bot_command entities); returns its message_id."""
        return self._say("text", Content(text=text, raw=text), reply_to=reply_to)

    def send_photo(self, data: bytes, caption: str | None = None) -> int:
        """A photo (any bytes; real images also get a real thumbnail size)."""
        sizes = self._state.store_photo(data)
        return self._say("photo", Content(text=caption, raw=caption), photo=sizes)

    def send_document(
        self,
        data: bytes,
        file_name: str = "document.bin",
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        stored = self._state.store_file("document", data, mime_type=mime_type, file_name=file_name)
        return self._say("document", Content(text=caption, raw=caption), document=stored)

    def _send_media(
        self,
        kind: MessageKind,
        data: bytes,
        *,
        duration: int = 0,
        mime_type: str | None = None,
        file_name: str | None = None,
        width: int = 0,
        height: int = 0,
        size: int | None = None,
        caption: str | None = None,
        forward_from: str | None = None,
    ) -> int:
        stored = self._state.store_file(
            kind, data, mime_type=mime_type, file_name=file_name, width=width, height=height,
            duration=duration, declared_size=size,
        )  # fmt: skip
        return self._say(
            kind, Content(text=caption, raw=caption), media=stored,
            forward_origin=_origin(forward_from),
        )  # fmt: skip

    def send_voice(self, data: bytes = b"OggS\x00voice", duration: int = 42, *,
                   size: int | None = None, forward_from: str | None = None) -> int:
        """A voice note (recorded in Telegram: OGG/Opus)."""
        return self._send_media("voice", data, duration=duration, mime_type="audio/ogg", size=size,
                                forward_from=forward_from)

    def send_audio(self, data: bytes, duration: int = 60, file_name: str = "rekaman.mp3",
                   mime_type: str = "audio/mpeg") -> int:
        return self._send_media("audio", data, duration=duration, mime_type=mime_type, file_name=file_name)

    def send_video(self, data: bytes, duration: int = 12, *, size: int | None = None,
                   caption: str | None = None, forward_from: str | None = None) -> int:
        """A video; `size` reports a file size other than len(data) (a 22 MB clip without 22 MB)."""
        return self._send_media("video", data, duration=duration, mime_type="video/mp4", width=640,
                                height=360, size=size, caption=caption, forward_from=forward_from)

    def send_video_note(self, data: bytes, duration: int = 8) -> int:
        return self._send_media("video_note", data, duration=duration, width=240)

    def send_sticker(self) -> int:
        return self._send_media("sticker", b"RIFF\x00\x00\x00\x00WEBPVP8 ", width=512, height=512)

    def send_animation(self) -> int:
        return self._send_media("animation", b"\x00\x00\x00\x18ftypmp42", duration=3,
                                mime_type="video/mp4", width=320, height=240)

    def send_poll(self, question: str = "Setuju?") -> int:
        options = [{"persistent_id": str(n), "text": text, "voter_count": 0} for n, text in enumerate(("Ya", "Tidak"))]
        poll = {"id": str(time.time_ns()), "question": question, "type": "regular", "options": options,
                "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "allows_multiple_answers": False,
                "allows_revoting": False, "members_only": False}  # fmt: skip
        return self._say("poll", Content(), extra={"poll": poll})

    def send_dice(self) -> int:
        return self._say("dice", Content(), extra={"dice": {"emoji": "🎲", "value": 4}})

    def send_venue(self, title: str = "Pasar Tangga Arung") -> int:
        location = {"latitude": -0.4203, "longitude": 116.9876}
        venue = {"location": location, "title": title, "address": "Tenggarong"}
        return self._say("venue", Content(), location=location, extra={"venue": venue})

    def send_album(self, photos: list[bytes], caption: str | None = None) -> list[int]:
        """Photos sent together: one message (and one update) each, sharing a media_group_id;
        the caption goes with the first, as Telegram clients do."""
        group = str(time.time_ns())
        ids = []
        for index, data in enumerate(photos):
            sizes = self._state.store_photo(data)
            text = caption if index == 0 else None
            ids.append(self._say("photo", Content(text=text, raw=text), photo=sizes, media_group_id=group))
        return ids

    def forward_text(self, text: str, from_name: str = "Budi Santoso") -> int:
        """A text message forwarded from someone else's chat."""
        return self._say("text", Content(text=text, raw=text), forward_origin=_origin(from_name))

    def forward_photo(self, data: bytes, from_name: str = "Budi Santoso") -> int:
        sizes = self._state.store_photo(data)
        return self._say("photo", Content(), photo=sizes, forward_origin=_origin(from_name))

    def send_location(self, latitude: float, longitude: float) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._say("location", Content(), location=location)

    def send_contact(
        self,
        phone_number: str,
        *,
        own: bool = True,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> int:
        """Share a phone number; `own=True` is the "share my contact" button (user_id is set)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.user.first_name,
        }
        if last_name or (own and self.user.last_name):
            contact["last_name"] = last_name or self.user.last_name
        if own:
            contact["user_id"] = self.user.id
        return self._say("contact", Content(), contact=contact)

    def send_to_group(self, group: EmulatedGroup, text: str, *, reply_to: int | None = None) -> int:
        if self.user.id not in group.chat.members:
            raise AssertionError(f"{self!r} is not a member of group {group.title!r}")
        return self._say("text", Content(text=text, raw=text), group.chat, reply_to=reply_to)

    def edit(self, message_id: int, text: str) -> None:
        """Edit one of this user's messages; the bot gets an edited_message update."""
        with self._state.lock:
            message = self._state.message(self.chat_id, message_id)
            if message is None or message.from_bot or message.kind != "text":
                raise AssertionError(f"{self!r} has no text message {message_id} to edit")
            message.history.append(message.content)
            entities = tuple(detect_entities(text))
            message.content = Content(
                text=text, raw=text, entities=entities, edit_date=int(time.time())
            )
            self._state.push_update("edited_message", self._state.message_json(message))
            self._state.notify()

    # --- buttons ------------------------------------------------------------------------------

    def press(
        self, message: int | SentMessage, text: str | None = None, *, data: str | None = None
    ) -> str:
        """Press an inline button of a bot message in this chat, found by label (exact, else the
        first containing `text`) or by callback data. Returns the callback query id."""
        message_id = message.message_id if isinstance(message, SentMessage) else message
        with self._state.lock:
            stored = self._pressable(message_id)
            rows = SentMessage.of(stored).buttons
            candidates = [b for row in rows for b in row if b.data is not None]
            if data is not None:
                chosen = next((b for b in candidates if b.data == data), None)
            else:
                chosen = next((b for b in candidates if b.text == text), None) or next(
                    (b for b in candidates if text is not None and text in b.text), None
                )
            if chosen is None or chosen.data is None:
                labels = [f"{b.text!r}->{b.data!r}" for row in rows for b in row]
                raise AssertionError(
                    f"message {message_id} has no callback button {text or data!r}; it has {labels}"
                )
            return self._state.press(self.user, stored, chosen.data).id

    def press_data(self, message: int | SentMessage, data: str) -> str:
        """Send a callback query with arbitrary (possibly forged) data "from" a bot message,
        as a modified client could; returns the callback query id."""
        message_id = message.message_id if isinstance(message, SentMessage) else message
        with self._state.lock:
            return self._state.press(self.user, self._pressable(message_id), data).id

    def _pressable(self, message_id: int) -> StoredMessage:
        if self.user.blocked:
            raise AssertionError(f"{self!r} has blocked the bot; call unblock_bot() first")
        stored = self._state.message(self.chat_id, message_id)
        if stored is None or not stored.from_bot or stored.deleted:
            raise AssertionError(
                f"there is no bot message {message_id} in {self!r}'s chat to press a button on"
            )
        return stored

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """How the bot answered a press (text, show_alert, ...), or None while unanswered."""
        return self._emulator.callback_answer(query_id)

    # --- blocking -----------------------------------------------------------------------------

    def block_bot(self) -> None:
        self._state.set_blocked(self.user, True)

    def unblock_bot(self) -> None:
        self._state.set_blocked(self.user, False)


def _origin(name: str | None) -> dict[str, Any] | None:
    """forward_origin for a message first sent by someone who hides their account."""
    if name is None:
        return None
    return {"type": "hidden_user", "sender_user_name": name, "date": int(time.time()) - 3600}
