"""What a conversation step asks the delivery side to do. Plain data; the outbox sends it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.core.events import Event


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # callback data, at most 64 bytes


@dataclass(frozen=True)
class InlineKeyboard:
    rows: tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class ReplyButton:
    text: str
    request_location: bool = False
    request_contact: bool = False


@dataclass(frozen=True)
class ReplyKeyboard:
    rows: tuple[tuple[ReplyButton, ...], ...]


@dataclass(frozen=True)
class RemoveKeyboard:
    pass


Keyboard = InlineKeyboard | ReplyKeyboard | RemoveKeyboard


@dataclass(frozen=True)
class Send:
    """A message in HTML parse mode: every user-supplied piece of `html` is already escaped."""

    chat_id: int
    html: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True)
class Edit:
    chat_id: int
    message_id: int
    html: str
    keyboard: InlineKeyboard | None = None


@dataclass(frozen=True)
class Delete:
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class AnswerCallback:
    chat_id: int
    callback_id: str
    text: str | None = None
    alert: bool = False


# A `SendFile.file_id` with this prefix names a whistleblower's cleaned file: the dispatcher uploads
# its bytes instead of re-sending a Telegram file id (the original must never leave).
UPLOAD_PREFIX = "anon-file:"


@dataclass(frozen=True)
class SendFile:
    """Re-send a file Telegram already holds (by file_id); never a forward."""

    chat_id: int
    kind: str  # photo | document | voice | audio | video | video_note
    file_id: str
    caption_html: str | None = None


@dataclass(frozen=True)
class SendRendered:
    """A photo or document made when it is sent, from `spec` — JSON data fixed now: a chart
    (`{"chart": ...}`, see bot.reports.charts) or a report workbook (`{"report": ...}`). Nothing is
    drawn or written inside the update's transaction; the outbox row holds the spec."""

    chat_id: int
    kind: str  # photo | document
    spec: dict[str, Any]
    caption_html: str | None = None


@dataclass(frozen=True)
class Later:
    """`actions` sent after `seconds`, unless a newer `Later` with the same `key` comes first and
    takes their place: a burst of messages (an album, quick tries at one step) gets one answer."""

    key: str
    seconds: float
    actions: tuple[Send | Edit | SendFile, ...]


Action = Send | Edit | Delete | AnswerCallback | SendFile | SendRendered | Later


def ack(event: Event, text: str | None = None, alert: bool = False) -> list[Action]:
    """The answer to a pressed button, which stops its spinner; nothing for a message."""
    return [AnswerCallback(event.chat_id, event.callback_id, text, alert)] if event.callback_id else []
