"""HTML helpers for Telegram's HTML parse mode.

Every user-supplied string goes through `esc` before it is put into a message. `split_html` cuts
long messages below Telegram's limits without breaking a tag or an entity.
"""

from __future__ import annotations

import html
import re

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
# Room for the tags we close and reopen at a cut, measured in visible characters.
_SAFETY = 96

_TOKEN = re.compile(r"(<[^>]+>)")
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def esc(value: object) -> str:
    """Escape user text for HTML parse mode (quotes are only special inside attributes)."""
    return html.escape(str(value), quote=False)


def shorten(text: str, size: int = 60) -> str:
    """At most `size` characters, an ellipsis marking a cut (for button labels and list lines)."""
    return text if len(text) <= size else text[: size - 1] + "…"


def visible_length(fragment: str) -> int:
    """Length Telegram counts: text after entity parsing, in UTF-16 code units."""
    plain = html.unescape(_TOKEN.sub("", fragment))
    return len(plain.encode("utf-16-le")) // 2


def _pieces(text: str) -> list[str]:
    """Tags, entities and single characters: the units a cut may fall between."""
    pieces: list[str] = []
    for token in _TOKEN.split(text):
        if not token:
            continue
        if token.startswith("<"):
            pieces.append(token)
            continue
        position = 0
        for match in _ENTITY.finditer(token):
            pieces.extend(token[position : match.start()])
            pieces.append(match.group(0))
            position = match.end()
        pieces.extend(token[position:])
    return pieces


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split into parts of at most `limit` visible characters, preferring paragraph breaks.

    Tags open at a cut are closed at the end of one part and reopened at the start of the next,
    so each part parses on its own.
    """
    if visible_length(text) <= limit:
        return [text]
    # Below twice the margin, subtracting it would leave (almost) nothing per part.
    budget = limit - _SAFETY if limit > 2 * _SAFETY else limit
    parts: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, opening tag as written)
    current: list[str] = []
    size = 0
    last_break = -1  # index in `current` just after a newline, with the tag stack at that point
    break_size = 0
    break_stack: list[tuple[str, str]] = []

    def close(stack: list[tuple[str, str]]) -> str:
        return "".join(f"</{name}>" for name, _ in reversed(stack))

    def reopen(stack: list[tuple[str, str]]) -> str:
        return "".join(opening for _, opening in stack)

    for piece in _pieces(text):
        tag = _TAG.fullmatch(piece)
        if tag:
            current.append(piece)
            name = tag.group(2).lower()
            if tag.group(1):
                if open_tags and open_tags[-1][0] == name:
                    open_tags.pop()
            else:
                open_tags.append((name, piece))
            continue
        units = len(html.unescape(piece).encode("utf-16-le")) // 2
        if size + units > budget and size > 0:  # never cut off a part with no visible text
            if last_break > 0 and break_size > budget // 2:
                head, tail = current[:last_break], current[last_break:]
                parts.append("".join(head) + close(break_stack))
                current = [reopen(break_stack)] + tail
            else:
                parts.append("".join(current) + close(open_tags))
                current = [reopen(open_tags)]
            size = visible_length("".join(current))
            last_break = -1
        current.append(piece)
        size += units
        if piece == "\n":
            last_break = len(current)
            break_size = size
            break_stack = list(open_tags)
    rest = "".join(current)
    if visible_length(rest) > 0:
        parts.append(rest)
    return [part.strip("\n") or part for part in parts]
