"""What the emulated Telegram remembers: users, chats, messages, files, callback queries, calls.

Plain dataclasses, mutated only under the state lock. The `to_api` methods render the JSON
objects the Bot API returns, with exactly the fields python-telegram-bot needs to parse them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ChatType = Literal["private", "group", "supergroup"]
FileKind = Literal["photo", "document", "voice", "audio", "video", "video_note", "animation", "sticker"]


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    started: bool = True  # pressed Start: Telegram lets a bot write only to users who did
    blocked: bool = False  # blocked the bot

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class Chat:
    id: int
    type: ChatType
    title: str | None = None
    user: User | None = None  # the other side of a private chat
    members: set[int] = field(default_factory=set)
    bot_is_member: bool = True
    instance: str = ""  # callback_query.chat_instance: stable per chat

    def to_api(self) -> dict[str, Any]:
        if self.type == "private":
            assert self.user is not None
            data = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title or ""}


@dataclass
class StoredFile:
    """A file Telegram holds: bots pass `file_id` around; getFile gives `file_path`."""

    file_id: str
    file_unique_id: str
    kind: FileKind
    data: bytes = field(repr=False)
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0  # seconds, for voice, audio, video, video notes
    declared_size: int | None = None  # a size to report instead of len(data) (big files in tests)

    @property
    def size(self) -> int:
        return self.declared_size if self.declared_size is not None else len(self.data)

    def photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": self.size,
        }

    def document(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def media(self) -> dict[str, Any]:
        """The Voice / Audio / Video / VideoNote / Animation / Sticker object of this file."""
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.kind in ("video", "animation", "sticker"):
            data["width"], data["height"] = self.width, self.height
        if self.kind == "video_note":
            data["length"] = self.width
        if self.kind in ("voice", "audio", "video", "video_note", "animation"):
            data["duration"] = self.duration
        if self.kind == "sticker":
            data.update(type="regular", is_animated=False, is_video=False)
        if self.mime_type and self.kind in ("voice", "audio", "video", "animation"):
            data["mime_type"] = self.mime_type
        if self.file_name and self.kind in ("audio", "video", "animation"):
            data["file_name"] = self.file_name
        return data

    def file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class Content:
    """The editable part of a message; edits push the previous Content onto `history`."""

    text: str | None = None  # after entity parsing (text, or caption of a media message)
    raw: str | None = None  # as the bot sent it (e.g. HTML)
    parse_mode: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    reply_markup: dict[str, Any] | None = None
    edit_date: int | None = None


MessageKind = Literal[
    "text", "photo", "document", "location", "contact", "service",
    "voice", "audio", "video", "video_note", "animation", "sticker", "poll", "dice", "venue",
]  # fmt: skip
FILE_KINDS = ("voice", "audio", "video", "video_note", "animation", "sticker")


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    date: int
    sender_id: int
    from_bot: bool
    kind: MessageKind
    content: Content
    photo: tuple[StoredFile, ...] = ()  # sizes, smallest first
    document: StoredFile | None = None
    location: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    reply_to: int | None = None
    media_group_id: str | None = None
    forward_origin: dict[str, Any] | None = None
    media: StoredFile | None = None  # the file of a voice, audio, video, video note, GIF, sticker
    extra: dict[str, Any] | None = None  # poll, dice, venue: their objects as the API gives them
    deleted: bool = False
    history: list[Content] = field(default_factory=list)

    @property
    def is_media(self) -> bool:
        return self.kind in ("photo", "document", "voice", "audio", "video", "animation")

    @property
    def file(self) -> StoredFile | None:
        return self.photo[-1] if self.photo else self.document or self.media


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None  # text, show_alert, url, cache_time as the bot answered


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request the bot made, as the emulator answered it."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    description: str | None
    time: float
    injected: bool = False  # the failure came from fail_next(), not from the request
    result: Any = None

    def __repr__(self) -> str:
        outcome = "ok" if self.ok else f"{self.error_code} {self.description}"
        shown = {
            k: (v if not isinstance(v, str) or len(v) < 80 else v[:77] + "...")
            for k, v in self.params.items()
        }
        return f"ApiCall({self.method} {shown} -> {outcome})"
