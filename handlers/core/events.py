"""The neutral event a runtime adapter makes of a Telegram update."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileRef:
    """A file the user sent, as Telegram describes it (not yet downloaded)."""

    kind: str  # photo | document | voice | audio | video | video_note
    file_id: str
    file_unique_id: str
    mime_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    duration: int | None = None  # seconds, for voice, audio, video and video notes
    forwarded: bool = False  # first sent by someone else (their name is not kept)

    @property
    def is_sound(self) -> bool:
        return self.kind in ("voice", "audio")

    @property
    def is_video(self) -> bool:
        return self.kind in ("video", "video_note")


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Contact:
    phone_number: str
    user_id: int | None


@dataclass(frozen=True)
class Event:
    """Who said what, where. Exactly one of text / callback / file / location / contact is usual."""

    update_id: int
    user_id: int
    chat_id: int
    chat_type: str  # private | group | supergroup | channel
    language_code: str | None = None
    display_name: str = ""
    username: str | None = None
    message_id: int | None = None
    text: str | None = None
    caption: str | None = None  # the text sent with a photo or document
    command: str | None = None  # lower-case, without "/" and "@bot"
    args: str = ""
    callback_id: str | None = None
    callback_data: str | None = None
    files: tuple[FileRef, ...] = field(default_factory=tuple)
    unsupported: str | None = None  # sticker | animation | poll | dice | venue: things we cannot take
    location: Location | None = None
    contact: Contact | None = None
    album: str | None = None  # media_group_id: photos sent together arrive one update each
    forwarded: bool = False  # a message first sent by someone else
    edited: bool = False  # an edit of the earlier message `message_id`, not a new message

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"

    @property
    def is_callback(self) -> bool:
        return self.callback_id is not None
