"""Checks every conversation applies to what people type and send. Each raises `Invalid` with a
sentence for the user; the /lapor form's own checks are in `handlers.citizen.validators`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from handlers.core.events import FileRef
from handlers.core.forms import Invalid
from handlers.core.i18n import Texts
from handlers.core.text import esc

ALLOWED_DOCUMENT_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/webp": "WEBP",
}
FILE_KINDS = ("photo", "document", "voice", "audio", "video", "video_note")
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files: the limit for videos
_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")


@dataclass(frozen=True)
class Limits:
    title_min: int = 10
    title_max: int = 150
    description_min: int = 30
    description_max: int = 3000
    address_max: int = 300
    max_attachments: int = 5
    max_attachment_bytes: int = 10 * 1024 * 1024  # photos, documents, audio (videos: Telegram's 20 MB)
    max_voice_seconds: int = 5 * 60
    max_event_age_days: int = 730  # the Ombudsman takes events of the last two years


def _keep(ch: str) -> bool:
    if ch in "\n\t\u200d":  # newlines, tabs, the zero-width joiner of emoji sequences
        return True
    if "\U000e0020" <= ch <= "\U000e007f":  # tag characters: subdivision flags such as England's
        return True
    # Cn is "unassigned" in Python's Unicode database, which includes every emoji newer than it
    # (e.g. U+1FA77 pink heart on Python 3.11): keep those. Drop controls, format characters
    # (bidi overrides and the like), surrogates and private-use characters.
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")


def clean_text(value: str) -> str:
    """Normalise Unicode and drop control characters other than newlines (they break layouts),
    bidi overrides and isolates among them; text of invisible characters alone is empty."""
    value = unicodedata.normalize("NFC", value)
    value = "".join(ch for ch in value if _keep(ch)).strip()
    # The joiner is kept for emoji sequences; with nothing to join it is an empty answer.
    return "" if not value.replace("\u200d", "").strip() else value


def text_length(value: str) -> int:
    """What a person would call the number of characters (emoji count once, mostly)."""
    return len(unicodedata.normalize("NFC", value))


def validate_description(value: str, t: Texts, limits: Limits) -> str:
    value = clean_text(value)
    n = text_length(value)
    if n < limits.description_min:
        raise Invalid(t.gettext("The description is too short: {n} of at least {min} characters. Please tell what happened, when and where, in order.").format(n=n, min=limits.description_min))
    if n > limits.description_max:
        raise Invalid(t.gettext("The description is too long: {n} characters, at most {max} allowed. Please shorten it by {over} characters; you can add documents as attachments.").format(n=n, max=limits.description_max, over=n - limits.description_max))
    return value


def validate_event_date(value: str, today: date, t: Texts, limits: Limits) -> date:
    match = _DATE.match(value)
    if not match:
        raise Invalid(t.gettext("Please write the date as dd-mm-yyyy, for example {example}.").format(example=today.strftime("%d-%m-%Y")))
    day, month, year = (int(g) for g in match.groups())
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise Invalid(t.gettext("That date does not exist. Please check the day and month.")) from None
    return check_event_date(parsed, today, t, limits)


def check_event_date(value: date, today: date, t: Texts, limits: Limits) -> date:
    if value > today:
        raise Invalid(t.gettext("The date is in the future. Please give the date the event happened."))
    if value < today - timedelta(days=limits.max_event_age_days):
        raise Invalid(t.gettext("Events older than two years cannot be handled as a public-service complaint."))
    return value


def validate_file(ref: FileRef, already: int, t: Texts, limits: Limits) -> dict[str, object]:
    """Check one attachment by what Telegram tells us; the bytes are checked again after download."""
    if already >= limits.max_attachments:
        raise Invalid(t.gettext("At most {max} attachments. Press “Done” to continue.").format(max=limits.max_attachments))
    if ref.kind == "document" and (ref.mime_type or "").lower() not in ALLOWED_DOCUMENT_TYPES:
        allowed = ", ".join(sorted(set(ALLOWED_DOCUMENT_TYPES.values())))
        raise Invalid(t.gettext("This file type is not accepted ({name}). Please send a photo or a file of type: {allowed}.").format(name=esc(ref.file_name or ref.mime_type or "?"), allowed=allowed))
    if ref.kind not in FILE_KINDS:
        raise Invalid(t.gettext("Please send a photo or a document."))
    if ref.is_sound and (ref.duration or 0) > limits.max_voice_seconds:
        raise Invalid(t.gettext("This recording is {length} long; at most {max} minutes are taken. Please record a shorter one, or write the rest.").format(length=clock(ref.duration or 0), max=limits.max_voice_seconds // 60))
    if ref.is_video and ref.file_size is not None and ref.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        raise Invalid(t.gettext("The video is too large ({size} MB): Telegram lets the bot take videos of up to {max} MB. Please send a shorter clip, or put a link to the video in your description.").format(size=round(ref.file_size / 1048576, 1), max=TELEGRAM_DOWNLOAD_LIMIT // 1048576))
    if not ref.is_video and ref.file_size is not None and ref.file_size > limits.max_attachment_bytes:
        raise Invalid(t.gettext("The file is too large ({size} MB). The limit is {max} MB.").format(size=round(ref.file_size / 1048576, 1), max=limits.max_attachment_bytes // 1048576))
    return {
        "kind": ref.kind,
        "file_id": ref.file_id,
        "file_unique_id": ref.file_unique_id,
        "mime_type": ref.mime_type or ("image/jpeg" if ref.kind == "photo" else None),
        "file_name": ref.file_name,
        "file_size": ref.file_size,
        "duration": ref.duration,
        "forwarded": ref.forwarded,
    }


def clock(seconds: int) -> str:
    """A recording's length as people read it: 0:42, 4:05, 1:02:03."""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"
