"""Telegram's MarkdownV2 and legacy Markdown parse modes, with TDLib's rules and error reasons.

The project formats with HTML, but a bot that slips into MarkdownV2 fails in production on the
first unescaped `.` or `-`; these parsers make that failure happen in tests too ("Character '.'
is reserved and must be escaped with the preceding '\\'"). Both work on UTF-8 bytes because
Telegram's error messages give byte offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.emulator.html import HtmlParseError, ParsedText, checked_link, link_user_id

# Reported under the same "can't parse entities: ..." prefix as HTML errors.
MarkdownParseError = HtmlParseError

_TDLIB_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}
_SPACES = frozenset(b" \t\r\n\x0b\x00")  # TDLib's is_space, NUL included
_RESERVED = frozenset(b"_*[]()~`>#+-=|{}.!\n")
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
}


def _reserved(char: int) -> HtmlParseError:
    return HtmlParseError(
        f"Character '{chr(char)}' is reserved and must be escaped with the preceding '\\'"
    )


def _sorted(entities: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    return tuple(
        sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 90)))
    )


def _link_entity(url: str, offset: int, length: int) -> dict[str, Any] | None:
    user_id = link_user_id(url)
    if user_id is not None:
        return {
            "type": "text_mention",
            "offset": offset,
            "length": length,
            "user": {"id": user_id, "is_bot": False, "first_name": ""},
        }
    checked = checked_link(url)
    if checked is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


@dataclass
class _Open:
    type: str
    argument: str
    utf16_offset: int
    byte_offset: int
    out_position: int


@dataclass
class _MarkdownV2:
    source: bytes
    out: bytearray = field(default_factory=bytearray)
    utf16: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    in_blockquote: bool = False
    can_start_blockquote: bool = True

    def at(self, i: int) -> int:
        return self.source[i] if i < len(self.source) else 0

    def emit(self, char: int) -> None:
        if char & 0xC0 != 0x80:
            self.utf16 += 2 if char >= 0xF0 else 1
        self.out.append(char)

    def run(self) -> ParsedText:
        i = 0
        while i < len(self.source):
            i = self.step(i) + 1
        self.finish_blockquote()
        if self.stack:
            top = self.stack[-1]
            raise HtmlParseError(
                f"Can't find end of {_TDLIB_NAMES[top.type]} entity at byte offset {top.byte_offset}"
            )
        return ParsedText(self.out.decode("utf-8", "replace"), _sorted(self.entities))

    def step(self, i: int) -> int:
        """Consume the construct at `i`; returns the index of its last byte."""
        c = self.source[i]
        if c == ord("\\") and 0 < self.at(i + 1) <= 126:
            escaped = self.source[i + 1]
            self.utf16 += 1
            self.out.append(escaped)
            if escaped != ord("\r"):
                self.can_start_blockquote = escaped == ord("\n")
            return i + 1
        in_code = bool(self.stack) and self.stack[-1].type in ("code", "pre", "pre_code")
        if c not in (frozenset(b"`") if in_code else _RESERVED):
            if c & 0xC0 != 0x80 and c != ord("\r"):
                self.can_start_blockquote = False
            self.emit(c)
            return i
        if self.is_end(i):
            return self.close(i)
        return self.open(i)

    def is_end(self, i: int) -> bool:
        if not self.stack:
            return False
        c, next_c = self.source[i], self.at(i + 1)
        if (
            self.in_blockquote
            and c == ord("\n")
            and (i + 1 == len(self.source) or next_c != ord(">"))
        ):
            return True
        kind = self.stack[-1].type
        return {
            "bold": c == ord("*"),
            "italic": c == ord("_") and next_c != ord("_"),
            "code": c == ord("`"),
            "pre": c == ord("`") and next_c == ord("`") and self.at(i + 2) == ord("`"),
            "pre_code": c == ord("`") and next_c == ord("`") and self.at(i + 2) == ord("`"),
            "text_link": c == ord("]"),
            "underline": c == ord("_") and next_c == ord("_"),
            "strikethrough": c == ord("~"),
            "spoiler": c == ord("|") and next_c == ord("|"),
            "custom_emoji": c == ord("]"),
        }.get(kind, False)

    def open(self, i: int) -> int:
        c, start = self.source[i], i
        argument = ""
        if c == ord("_"):
            kind = "underline" if self.at(i + 1) == ord("_") else "italic"
            i += kind == "underline"
        elif c == ord("*"):
            kind = "bold"
        elif c == ord("~"):
            kind = "strikethrough"
        elif c == ord("|"):
            if self.at(i + 1) != ord("|"):
                raise _reserved(c)
            kind, i = "spoiler", i + 1
        elif c == ord("["):
            kind = "text_link"
        elif c == ord("`"):
            if self.at(i + 1) == ord("`") and self.at(i + 2) == ord("`"):
                kind, argument, i = self.open_pre(i + 3)
            else:
                kind = "code"
        elif c == ord("!"):
            if self.at(i + 1) != ord("["):
                raise _reserved(c)
            kind, i = "custom_emoji", i + 1
        elif c == ord("\n"):
            self.utf16 += 1
            self.out.append(c)
            self.can_start_blockquote = True
            return i
        elif c == ord(">"):
            if not self.can_start_blockquote:
                raise _reserved(c)
            if self.in_blockquote:
                return i  # a continuation line of the quote
            kind, self.in_blockquote = "blockquote", True
        else:
            raise _reserved(c)
        self.stack.append(_Open(kind, argument, self.utf16, start, len(self.out)))
        return i

    def open_pre(self, i: int) -> tuple[str, str, int]:
        """After an opening ```: the optional language, then one skipped line break."""
        kind, argument = "pre", ""
        language_end = i
        while self.at(language_end) not in _SPACES and self.at(language_end) != ord("`"):
            language_end += 1
        if (
            i != language_end
            and language_end < len(self.source)
            and self.at(language_end) != ord("`")
        ):
            kind, argument = "pre_code", self.source[i:language_end].decode("utf-8", "replace")
            i = language_end
        if self.at(i) in (ord("\n"), ord("\r")):
            pair = self.at(i + 1) in (ord("\n"), ord("\r")) and self.at(i) != self.at(i + 1)
            i += 2 if pair else 1
        return kind, argument, i - 1

    def close(self, i: int) -> int:
        c = self.source[i]
        top = self.stack[-1]
        kind = top.type
        if c == ord("\n") and kind != "blockquote":
            crlf = top.byte_offset == i - 3 and self.out[-1:] == b"\r"
            if kind != "spoiler" or not (top.byte_offset == i - 2 or crlf):
                raise HtmlParseError(
                    f"Can't find end of {_TDLIB_NAMES[kind]} entity at byte offset {top.byte_offset}"
                )
            self.stack.pop()
            top = self.stack[-1]
            if top.type != "blockquote":
                raise HtmlParseError(
                    f"Can't find end of {_TDLIB_NAMES[top.type]} entity at byte offset {top.byte_offset}"
                )
            kind = "expandable_blockquote"
        entity: dict[str, Any] | None = None
        skip = self.utf16 == top.utf16_offset
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind in ("pre", "pre_code"):
            i += 2
        elif kind == "text_link":
            if self.at(i + 1) != ord("("):
                url = self.out[top.out_position :].decode("utf-8", "replace")
            else:
                url, i = self.read_url(i + 2, "a URL")
            entity = _link_entity(url, top.utf16_offset, self.utf16 - top.utf16_offset)
            skip = skip or entity is None
        elif kind == "custom_emoji":
            if self.at(i + 1) != ord("("):
                raise HtmlParseError("Custom emoji entity must contain a tg://emoji URL")
            url, i = self.read_url(i + 2, "a custom emoji URL")
            emoji_id = url.removeprefix("tg://emoji?id=")
            if not url.startswith("tg://emoji?id=") or not emoji_id.isdigit() or int(emoji_id) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            argument = emoji_id
        elif kind in ("blockquote", "expandable_blockquote"):
            self.in_blockquote = False
            self.out.append(c)
            self.can_start_blockquote = True
            self.utf16 += 1
            skip = False
        if not skip:
            length = self.utf16 - top.utf16_offset
            if entity is None:
                entity = {
                    "type": "pre" if kind == "pre_code" else kind,
                    "offset": top.utf16_offset,
                    "length": length,
                }
                if kind == "pre_code":
                    entity["language"] = top.argument
                if kind == "custom_emoji":
                    entity["custom_emoji_id"] = argument
            self.entities.append(entity)
        self.stack.pop()
        return i

    def read_url(self, i: int, what: str) -> tuple[str, int]:
        begin = i
        url = bytearray()
        while i < len(self.source) and self.source[i] != ord(")"):
            if self.source[i] == ord("\\") and 0 < self.at(i + 1) <= 126:
                url.append(self.source[i + 1])
                i += 2
                continue
            url.append(self.source[i])
            i += 1
        if self.at(i) != ord(")"):
            raise HtmlParseError(f"Can't find end of {what} at byte offset {begin}")
        return url.decode("utf-8", "replace"), i

    def finish_blockquote(self) -> None:
        """A quote still open at the end of the text ends there (`||` just before: expandable)."""
        if not self.in_blockquote:
            return
        kind = "blockquote"
        if self.stack[-1].type == "spoiler" and self.stack[-1].byte_offset == len(self.source) - 2:
            self.stack.pop()
            kind = "expandable_blockquote"
        top = self.stack[-1]
        if top.type == "blockquote":
            self.in_blockquote = False
            if self.utf16 != top.utf16_offset:
                self.entities.append(
                    {
                        "type": kind,
                        "offset": top.utf16_offset,
                        "length": self.utf16 - top.utf16_offset,
                    }
                )
            self.stack.pop()


def parse_markdown_v2(source: str) -> ParsedText:
    """Parse MarkdownV2; raises HtmlParseError with TDLib's reason when Telegram would refuse."""
    return _MarkdownV2(source.encode("utf-8")).run()


def parse_markdown(source: str) -> ParsedText:
    """Parse legacy Markdown: *bold*, _italic_, `code`, ```pre``` and [text](url)."""
    text = source.encode("utf-8")
    size = len(text)

    def at(i: int) -> int:
        return text[i] if i < size else 0

    out = bytearray()
    entities: list[dict[str, Any]] = []
    utf16 = 0
    i = 0
    while i < size:
        c = text[i]
        if c == ord("\\") and at(i + 1) in b"_*`[":
            out.append(text[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in b"_*`[":
            if c & 0xC0 != 0x80:
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue
        begin = i
        end_char = ord("]") if c == ord("[") else c
        is_pre = False
        language = ""
        i += 1
        if c == ord("`") and at(i) == ord("`") and at(i + 1) == ord("`"):
            i += 2
            is_pre = True
            language_end = i
            while at(language_end) not in _SPACES and at(language_end) != ord("`"):
                language_end += 1
            if i != language_end and language_end < size and at(language_end) != ord("`"):
                language = text[i:language_end].decode("utf-8", "replace")
                i = language_end
            if at(i) in (ord("\n"), ord("\r")):
                i += 2 if at(i + 1) in (ord("\n"), ord("\r")) and at(i) != at(i + 1) else 1
        offset = utf16
        while i < size and (
            text[i] != end_char
            or (is_pre and not (at(i + 1) == ord("`") and at(i + 2) == ord("`")))
        ):
            if text[i] & 0xC0 != 0x80:
                utf16 += 2 if text[i] >= 0xF0 else 1
            out.append(text[i])
            i += 1
        if i == size:
            raise HtmlParseError(f"Can't find end of the entity starting at byte offset {begin}")
        length = utf16 - offset
        if length:
            if c == ord("_"):
                entities.append({"type": "italic", "offset": offset, "length": length})
            elif c == ord("*"):
                entities.append({"type": "bold", "offset": offset, "length": length})
            elif c == ord("["):
                if at(i + 1) != ord("("):
                    url = text[begin + 1 : i].decode("utf-8", "replace")
                else:
                    i += 2
                    start = i
                    while i < size and text[i] != ord(")"):
                        i += 1
                    url = text[start:i].decode("utf-8", "replace")
                link = _link_entity(url, offset, length)
                if link is not None:
                    entities.append(link)
            elif is_pre:
                entities.append(
                    {
                        "type": "pre",
                        "offset": offset,
                        "length": length,
                        **({"language": language} if language else {}),
                    }
                )
            else:
                entities.append({"type": "code", "offset": offset, "length": length})
        if is_pre:
            i += 2
        i += 1
    return ParsedText(out.decode("utf-8", "replace"), _sorted(entities))
