"""The neutral event a runtime adapter makes of a Telegram update."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileRef:
    """A photo or document the user sent, as Telegram describes it (not yet downloaded)."""

    kind: str  # "photo" | "document" | "other"
    file_id: str
    file_unique_id: str
    mime_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None


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
    unsupported: str | None = None  # e.g. "sticker", "voice": things we cannot take
    location: Location | None = None
    contact: Contact | None = None

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"

    @property
    def is_callback(self) -> bool:
        return self.callback_id is not None
