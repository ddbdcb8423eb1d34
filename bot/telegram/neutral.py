"""The neutral `Event` of a parsed update, for either runtime.

python-telegram-bot and aiogram both parse an update into objects named after the Bot API's own
fields (`update.message.from_user`, `message.photo[-1].file_id`, `message.forward_origin`...), so
one function reads either and both runtimes give the same `Event` for the same update: a database
written under one can be processed under the other. It is duck-typed on purpose (`Any`): naming
either framework's classes here would tie it to that framework.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.core.events import Contact, Event, FileRef, Location

# What kinds of message a file can come as, in the order we look for them (a GIF carries
# `document` too, and is refused as "animation" before documents are looked at).
_MEDIA_KINDS = ("voice", "audio", "video", "video_note")
_REFUSED_KINDS = ("sticker", "poll", "dice", "venue", "game", "story")


def to_event(update: Any) -> Event | None:
    """The neutral event for an update, or None for kinds we ignore (membership changes)."""
    if update.callback_query is not None:
        return _callback_event(update)
    message = update.message or update.edited_message
    if message is None or message.from_user is None:
        return None
    user = message.from_user
    text = message.text or message.caption
    command, args = None, ""
    if message.text and message.text.startswith("/"):
        head, _, rest = message.text.partition(" ")
        name, _, _bot = head[1:].partition("@")
        if name:
            command, args = name.lower()[:64], rest.strip()
    forwarded = message.forward_origin is not None
    files: list[FileRef] = []
    unsupported = None
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        files.append(FileRef("photo", largest.file_id, largest.file_unique_id, "image/jpeg", None, largest.file_size,
                             forwarded=forwarded))  # fmt: skip
    elif message.animation is not None:  # a GIF: Telegram sets `document` for it too
        unsupported = "animation"
    elif message.document is not None:
        doc = message.document
        files.append(FileRef("document", doc.file_id, doc.file_unique_id, doc.mime_type, doc.file_name, doc.file_size,
                             forwarded=forwarded))  # fmt: skip
    else:
        for kind in _MEDIA_KINDS:
            media = getattr(message, kind, None)
            if media is not None:
                files.append(FileRef(kind, media.file_id, media.file_unique_id, getattr(media, "mime_type", None),
                                     getattr(media, "file_name", None), media.file_size, _seconds(media.duration),
                                     forwarded))  # fmt: skip
                break
        else:
            unsupported = next((kind for kind in _REFUSED_KINDS if getattr(message, kind, None)), None)
    if message.venue is not None:  # a venue carries a location too; it is not the user's own
        unsupported = "venue"
    location = Location(message.location.latitude, message.location.longitude) if message.location and not message.venue else None
    contact = Contact(message.contact.phone_number, message.contact.user_id) if message.contact else None
    return Event(
        update_id=update.update_id,
        user_id=user.id,
        chat_id=message.chat.id,
        chat_type=str(message.chat.type),
        language_code=user.language_code,
        display_name=user.full_name,
        username=user.username,
        message_id=message.message_id,
        text=None if files else text,
        caption=message.caption if files else None,
        command=command,
        args=args,
        files=tuple(files),
        unsupported=unsupported,
        location=location,
        contact=contact,
        album=message.media_group_id,
        forwarded=forwarded,
        edited=update.edited_message is not None,
    )


def _callback_event(update: Any) -> Event:
    query = update.callback_query
    message = query.message  # may be an "inaccessible" message (too old): it still has chat and id
    chat = message.chat if message is not None else None
    user = query.from_user
    return Event(
        update_id=update.update_id,
        user_id=user.id,
        chat_id=chat.id if chat is not None else user.id,
        chat_type=str(chat.type) if chat is not None else "private",
        language_code=user.language_code,
        display_name=user.full_name,
        username=user.username,
        message_id=message.message_id if message is not None else None,
        callback_id=query.id,
        callback_data=query.data or "",
    )


def _seconds(duration: int | timedelta | None) -> int | None:
    """python-telegram-bot may give durations as timedelta (its newer default); aiogram gives seconds."""
    if duration is None:
        return None
    return int(duration.total_seconds()) if isinstance(duration, timedelta) else int(duration)
