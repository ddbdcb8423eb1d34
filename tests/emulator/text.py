"""Message text as Telegram measures and stores it.

Limits apply to the text *after* entity parsing, counted in UTF-16 code units (an emoji such as
😡 counts 2), so a bot that counts Python characters or raw HTML gets both too-long and
too-cautious splits wrong. Leading and trailing whitespace is trimmed, as Telegram does, before
the emptiness and length checks. Incoming user text also gets the entities Telegram's servers
detect (bot commands, mentions, hashtags, links), which bots rely on to recognise commands.
"""

from __future__ import annotations

import re
from typing import Any

from tests.emulator.errors import bad_request
from tests.emulator.html import HtmlParseError, ParsedText, parse_html
from tests.emulator.markdown import parse_markdown, parse_markdown_v2

MESSAGE_TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_TRIMMED = " \t\n\r\x0b\x0c"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Telegram limit and entity offset."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_formatted(
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None = None,
    *,
    strict_html: bool = True,
) -> ParsedText:
    """Text and entities after applying `parse_mode` (or the explicit `entities`), then trimming.

    Raises ApiError 400 "unsupported parse_mode" or "can't parse entities: <reason>".
    """
    mode = (parse_mode or "").strip().lower()
    try:
        if mode == "html":
            parsed = parse_html(text, strict_ampersand=strict_html)
        elif mode == "markdownv2":
            parsed = parse_markdown_v2(text)
        elif mode == "markdown":
            parsed = parse_markdown(text)
        elif mode == "":
            parsed = ParsedText(text, tuple(_checked_entities(text, entities or [])))
        else:
            raise bad_request("unsupported parse_mode")
    except HtmlParseError as error:
        raise bad_request(f"can't parse entities: {error}") from None
    return trim(parsed)


def _checked_entities(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Explicit entities must lie inside the text; Telegram refuses the rest."""
    size = utf16_len(text)
    checked = []
    for entity in entities:
        if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
            raise bad_request("can't parse entities: entity type is not specified")
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
            raise bad_request("can't parse entities: wrong entity offset or length")
        if offset + length > size:
            raise bad_request(
                f"can't parse entities: entity ends after the end of the text at byte offset {offset}"
            )
        if length:
            checked.append(dict(entity))
    return sorted(checked, key=lambda e: (e["offset"], -e["length"]))


def trim(parsed: ParsedText) -> ParsedText:
    """Strip leading/trailing whitespace, moving and clipping entities to match."""
    text = parsed.text
    stripped = text.strip(_TRIMMED)
    if stripped == text:
        return parsed
    head = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    size = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - head, 0)
        end = min(entity["offset"] + entity["length"] - head, size)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, tuple(entities))


def message_text(
    raw: str | None,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    *,
    strict_html: bool = True,
) -> ParsedText:
    """A message text checked like sendMessage / editMessageText check it."""
    if not raw:
        raise bad_request("message text is empty")
    parsed = parse_formatted(raw, parse_mode, entities, strict_html=strict_html)
    if not parsed.text:
        raise bad_request("message must be non-empty")
    if utf16_len(parsed.text) > MESSAGE_TEXT_LIMIT:
        raise bad_request("message is too long")
    return parsed


def caption_text(
    raw: str | None,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    *,
    strict_html: bool = True,
) -> ParsedText | None:
    """A media caption (may be absent or empty), checked against the 1024-unit limit."""
    if not raw:
        return None
    parsed = parse_formatted(raw, parse_mode, entities, strict_html=strict_html)
    if utf16_len(parsed.text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return parsed if parsed.text else None


_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_MENTION = re.compile(r"(?<!\w)@[A-Za-z0-9_]{2,32}(?!\w)")
_HASHTAG = re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*(?![\w#])")
_URL = re.compile(r"(?<![\w@/])(?:https?://)[^\s<>\"]+[^\s<>\".,;:!?)\]'}]")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?!\w)")


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram adds to incoming text: commands, mentions, hashtags, links, emails."""
    found: list[dict[str, Any]] = []
    taken: list[range] = []
    for kind, pattern in (
        ("url", _URL),
        ("email", _EMAIL),
        ("bot_command", _COMMAND),
        ("mention", _MENTION),
        ("hashtag", _HASHTAG),
    ):
        for match in pattern.finditer(text):
            span = range(match.start(), match.end())
            if any(span.start < other.stop and other.start < span.stop for other in taken):
                continue
            taken.append(span)
            offset = utf16_len(text[: match.start()])
            found.append({"type": kind, "offset": offset, "length": utf16_len(match.group())})
    return sorted(found, key=lambda e: e["offset"])
