"""Telegram's HTML parse mode, as the real server (TDLib) parses it.

A bot that builds HTML by hand breaks in production on the first user who types `<` or `&`, so
the emulator must refuse exactly the markup Telegram refuses, with the same reason. The rules
follow TDLib's `parse_html`: the tags b strong i em u ins s strike del tg-spoiler span (class
"tg-spoiler" only) a (href) tg-emoji (emoji-id) code (class "language-x") pre blockquote
(expandable); the entities `&lt; &gt; &amp; &quot;` and numeric references; tag names and
attribute values as TDLib reads them. Errors name a UTF-8 byte offset, as Telegram's do.

One deliberate difference: TDLib keeps a bare `&` that starts no entity as a literal `&`. The Bot
API documentation says every `&` must be escaped, and a bot that escapes everything but `&` has
a real escaping bug, so by default a bare `&` is refused here (`strict_ampersand=False` restores
TDLib's tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}

# Sort order of entities that share offset and length (TDLib's type priorities).
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}

_SPACES = frozenset(b" \t\r\n\x0b")  # TDLib's is_space (it also counts the terminating NUL)
_NAMED_REFERENCES = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}


class HtmlParseError(ValueError):
    """The reason TDLib would give; the server prefixes it with "can't parse entities: "."""


@dataclass(frozen=True)
class ParsedText:
    """Text after parsing, and its entities (Bot API MessageEntity dicts, UTF-16 offsets)."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_start: int  # byte position in the output, to use the content as a link when href is empty


@dataclass
class _Parser:
    source: bytes
    strict_ampersand: bool
    out: bytearray = field(default_factory=bytearray)
    utf16: int = 0
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def at(self, i: int) -> int:
        """The byte at `i`, or 0 past the end (TDLib reads a NUL-terminated string)."""
        return self.source[i] if i < len(self.source) else 0

    def run(self) -> ParsedText:
        i = 0
        while i < len(self.source):
            c = self.source[i]
            if c == ord("&"):
                decoded = decode_reference(self.source, i)
                if decoded is not None:
                    code, i = decoded
                    self.out += chr(code).encode("utf-8", "surrogatepass")
                    self.utf16 += 2 if code > 0xFFFF else 1
                    continue
                if self.strict_ampersand:
                    raise HtmlParseError(
                        f'Character "&" must be escaped as "&amp;" at byte offset {i}'
                    )
            if c != ord("<"):
                if c & 0xC0 != 0x80:  # first byte of a character
                    self.utf16 += 2 if c >= 0xF0 else 1
                self.out.append(c)
                i += 1
                continue
            i = self.start_tag(i) if self.at(i + 1) != ord("/") else self.end_tag(i)
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        try:
            text = self.out.decode("utf-8")
        except UnicodeDecodeError:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units"
            ) from None
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop(
                    "language", None
                )  # a language only counts on <code> directly inside <pre>
        self.entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
        return ParsedText(text, tuple(self.entities))

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            if self.at(i) == 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            i += 1
        name = self.source[begin + 1 : i].decode("utf-8", "replace").lower()
        if name not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        argument = ""
        while self.at(i) != ord(">"):
            while self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ord(">"):
                break
            if self.at(i) == 0:
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {begin}')
            attribute_start = i
            while self.at(i) not in _SPACES and self.at(i) not in b"=>/\"'" and self.at(i) != 0:
                i += 1
            attribute = self.source[attribute_start:i].decode("utf-8", "replace")
            if not attribute:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {begin}'
                )
            while self.at(i) in _SPACES:
                i += 1
            if self.at(i) != ord("="):
                if self.at(i) == 0:
                    raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {begin}')
                if name == "blockquote" and attribute == "expandable":
                    argument = "1"
                continue
            i += 1
            while self.at(i) in _SPACES:
                i += 1
            if self.at(i) == 0:
                raise HtmlParseError(f'Unclosed start tag "{name}" at byte offset {begin}')
            value, i = self.attribute_value(i)
            if self.at(i) == 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            argument = _argument(name, attribute, value, argument)
        if name == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.stack.append(_OpenTag(name, argument, self.utf16, len(self.out)))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        """An unquoted name token (lowercased) or a quoted string with references decoded."""
        quote = self.at(i)
        if quote not in (ord("'"), ord('"')):
            start = i
            while chr(self.at(i)).isalnum() and self.at(i) < 128 or self.at(i) in b".-":
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ord(">"):
                raise HtmlParseError(f"Unexpected end of name token at byte offset {start}")
            return self.source[start:i].decode("utf-8", "replace").lower(), i
        i += 1
        value = bytearray()
        while self.at(i) != quote and self.at(i) != 0:
            if self.at(i) == ord("&"):
                decoded = decode_reference(self.source, i)
                if decoded is not None:
                    code, i = decoded
                    value += chr(code).encode("utf-8", "surrogatepass")
                    continue
            value.append(self.at(i))
            i += 1
        if self.at(i) == quote:
            i += 1
        return value.decode("utf-8", "replace"), i

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != ord(">") and self.at(i) != 0:
            i += 1
        name = self.source[begin + 2 : i].decode("utf-8", "replace").lower()
        while self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        open_tag = self.stack[-1]
        if name and name != open_tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.name}>", found "</{name}>"'
            )
        self.stack.pop()
        if self.utf16 > open_tag.utf16_offset:
            self.close_entity(open_tag)
        return i + 1

    def close_entity(self, tag: _OpenTag) -> None:
        offset, length = tag.utf16_offset, self.utf16 - tag.utf16_offset
        entity: dict[str, Any] = {"type": "", "offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = (
            last
            if last is not None and last["offset"] == offset and last["length"] == length
            else None
        )
        if tag.name in _SIMPLE_TYPES or tag.name == "span":
            entity["type"] = _SIMPLE_TYPES.get(tag.name, "spoiler")
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        elif tag.name == "a":
            url = tag.argument or self.out[tag.text_start :].decode("utf-8", "replace")
            user_id = link_user_id(url)
            if user_id is not None:
                entity.update(
                    type="text_mention", user={"id": user_id, "is_bot": False, "first_name": ""}
                )
            else:
                checked = checked_link(url)
                if checked is None:
                    return  # TDLib silently drops links it cannot use
                entity.update(type="text_link", url=checked)
        elif tag.name == "pre":
            if same_span is not None and same_span["type"] == "code" and same_span.get("language"):
                same_span["type"] = "pre"
                return
            entity["type"] = "pre"
        elif tag.name == "code":
            if same_span is not None and same_span["type"] == "pre" and tag.argument:
                same_span["language"] = tag.argument
                return
            entity["type"] = "code"
            if tag.argument:
                entity["language"] = tag.argument  # dropped below unless a <pre> claims it
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if tag.argument else "blockquote"
        self.entities.append(entity)


def _argument(tag: str, attribute: str, value: str, current: str) -> str:
    """The one attribute each tag cares about; TDLib ignores all others."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "1"
    return current


def decode_reference(source: bytes, pos: int) -> tuple[int, int] | None:
    """Decode `&lt;`, `&#123;`, `&#x1F600;` ... at `pos`: (code point, next position) or None.

    Like TDLib, the closing `;` is optional and only lt, gt, amp and quot are known by name.
    """
    end = pos + 1
    size = len(source)
    if end < size and source[end] == ord("#"):
        end += 1
        code = 0
        if end < size and source[end] == ord("x"):
            end += 1
            while end < size and chr(source[end]) in "0123456789abcdefABCDEF":
                code = code * 16 + int(chr(source[end]), 16)
                end += 1
        else:
            while end < size and chr(source[end]).isdigit() and source[end] < 128:
                code = code * 10 + source[end] - ord("0")
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while end < size and chr(source[end]).isalpha() and source[end] < 128:
            end += 1
        named = _NAMED_REFERENCES.get(bytes(source[pos + 1 : end]))
        if named is None:
            return None
        code = named
    if end < size and source[end] == ord(";"):
        end += 1
    return code, end


def link_user_id(url: str) -> int | None:
    """`tg://user?id=123` mentions a user by id (a text_mention entity)."""
    prefix = "tg://user?id="
    if url.lower().startswith(prefix) and url[len(prefix) :].isdigit():
        return int(url[len(prefix) :])
    return None


def checked_link(url: str) -> str | None:
    """The URL Telegram would keep for a link, or None when it would drop it."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    scheme, sep, rest = url.partition("://")
    if not sep:
        if ":" in url.split("/")[0] and not url.split("/")[0].rsplit(":", 1)[-1].isdigit():
            return None  # javascript:, mailto: and friends
        return "http://" + url if "." in url.split("/")[0] else None
    if scheme.lower() in ("http", "https"):
        return url if rest and rest[0] not in "/?#" else None
    if scheme.lower() in ("tg", "ton", "tonsite"):
        return url
    return None


def parse_html(source: str, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse Telegram HTML; raises HtmlParseError with TDLib's reason when Telegram would refuse."""
    return _Parser(source.encode("utf-8", "surrogatepass"), strict_ampersand).run()
