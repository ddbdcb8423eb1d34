"""handlers.core.text: escaping, Telegram's length measure, and split_html."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.core.text import CAPTION_LIMIT, MESSAGE_LIMIT, esc, split_html, visible_length

# -- helpers written for the tests (independent of the code under test) ----------------------------

_TAG_RE = re.compile(r"<[^>]*>")
_ENTITY_OK = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a"}


def plain(fragment: str) -> str:
    """The text Telegram shows: tags dropped, entities decoded."""
    return html.unescape(_TAG_RE.sub("", fragment))


def utf16_units(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[override]
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> not allowed")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:  # type: ignore[override]
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> does not close {self.stack[-1:] or 'anything'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.errors.append(f"unescaped bracket in {data[:30]!r}")

    def handle_comment(self, data: str) -> None:
        self.errors.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("declaration")

    def unknown_decl(self, data: str) -> None:
        self.errors.append("declaration")


def telegram_html_errors(fragment: str) -> list[str]:
    """Problems Telegram's HTML parse mode would reject: unknown or unbalanced tags, bare & or <."""
    parser = _TelegramHTML()
    parser.feed(fragment)
    parser.close()
    errors = list(parser.errors)
    if parser.stack:
        errors.append(f"unclosed {parser.stack}")
    text_only = _TAG_RE.sub("", fragment)
    for match in re.finditer("&", text_only):
        if not _ENTITY_OK.match(text_only, match.start()):
            errors.append(f"bare & at {match.start()}")
    return errors


def test_checker_itself() -> None:
    assert telegram_html_errors("<b>a &amp; b</b> <i>c</i>") == []
    assert telegram_html_errors("<b>a") != []
    assert telegram_html_errors("<b><i>a</b></i>") != []
    assert telegram_html_errors("a & b") != []
    assert telegram_html_errors("<script>x</script>") != []
    assert telegram_html_errors("1 < 2") != []


# -- esc ------------------------------------------------------------------------------------------


def test_esc_tags() -> None:
    assert esc("<b>") == "&lt;b&gt;"


def test_esc_ampersand_first() -> None:
    assert esc("a & b") == "a &amp; b"
    assert esc("&amp;") == "&amp;amp;"  # no double-decoding: what was typed is what is shown


def test_esc_quotes_left_alone() -> None:
    assert esc('say "hi" it\'s') == 'say "hi" it\'s'


def test_esc_non_strings() -> None:
    assert esc(42) == "42"
    assert esc(None) == "None"


@given(st.text())
def test_esc_round_trips_through_html(text: str) -> None:
    escaped = esc(text)
    assert "<" not in escaped and ">" not in escaped
    assert html.unescape(escaped) == text
    assert plain(escaped) == text


# -- visible_length -------------------------------------------------------------------------------


def test_visible_length_ignores_tags_and_decodes_entities() -> None:
    assert visible_length("<b>abc</b>") == 3
    assert visible_length("a &amp; b") == 5
    assert visible_length('<a href="https://x.example/?a=1&amp;b=2">x</a>') == 1


def test_visible_length_counts_utf16_units() -> None:
    assert visible_length("😀") == 2  # outside the BMP: a surrogate pair
    assert visible_length("é") == 1
    assert visible_length("👨‍👩‍👧") == 8  # 3 emoji (2 each) + 2 zero-width joiners


# -- split_html -----------------------------------------------------------------------------------


def _check_split(source: str, parts: list[str], limit: int) -> None:
    assert parts, "no parts"
    for part in parts:
        assert utf16_units(plain(part)) <= limit, (len(plain(part)), limit)
        assert telegram_html_errors(part) == [], (telegram_html_errors(part), part[:200])
        if len(parts) > 1:
            assert plain(part) != "", f"empty part {part!r}"  # Telegram rejects empty messages
    # The parts' texts, in order, make the original; only newlines at a cut may be dropped.
    pattern = r"\n*".join(re.escape(plain(part)) for part in parts)
    assert re.fullmatch(r"\n*" + pattern + r"\n*", plain(source)), "text lost, reordered or duplicated"


def test_short_text_is_one_part_unchanged() -> None:
    text = "<b>Hello</b> &amp; welcome"
    assert split_html(text) == [text]


def test_exactly_at_the_limit_is_one_part() -> None:
    text = "a" * MESSAGE_LIMIT
    assert split_html(text) == [text]


def test_long_plain_text() -> None:
    text = "a" * 10_000
    parts = split_html(text)
    assert len(parts) >= 3
    _check_split(text, parts, MESSAGE_LIMIT)
    assert "".join(parts) == text  # no newlines to lose


def test_prefers_paragraph_breaks() -> None:
    paragraph = "x" * 999
    text = "\n".join([paragraph] * 10)  # 10 paragraphs of 1000 visible chars incl. newline
    parts = split_html(text)
    _check_split(text, parts, MESSAGE_LIMIT)
    for part in parts:
        # Cuts fall between paragraphs: every part is whole paragraphs.
        assert set(part.split("\n")) == {paragraph}, [len(p) for p in part.split("\n")]


def test_only_newlines_at_the_cut_are_dropped() -> None:
    # The contract, exactly: a cut falls after a newline where it can; each part is then
    # stripped of newlines at its very start and end (outside any tags), nothing else.
    assert split_html("x" * 3000 + "\n\n\n" + "y" * 3000) == ["x" * 3000, "y" * 3000]
    # Inside <b> the newline sits before the closing tag, so it stays.
    assert split_html("<b>" + "x" * 3000 + "\n" + "y" * 3000 + "</b>") == [
        "<b>" + "x" * 3000 + "\n</b>",
        "<b>" + "y" * 3000 + "</b>",
    ]


def test_tags_open_at_a_cut_are_closed_and_reopened() -> None:
    text = "<b>" + "a" * 5000 + "</b>"
    parts = split_html(text)
    assert len(parts) == 2
    _check_split(text, parts, MESSAGE_LIMIT)
    assert parts[0].startswith("<b>") and parts[0].endswith("</b>")
    assert parts[1].startswith("<b>") and parts[1].endswith("</b>")


def test_link_is_reopened_with_its_href() -> None:
    text = '<a href="https://kukarkab.go.id/?a=1&amp;b=2">' + "z" * 5000 + "</a>"
    parts = split_html(text)
    _check_split(text, parts, MESSAGE_LIMIT)
    for part in parts:
        assert part.startswith('<a href="https://kukarkab.go.id/?a=1&amp;b=2">')


def test_entities_are_never_cut() -> None:
    text = "&amp;" * 6000
    parts = split_html(text)
    assert len(parts) >= 2
    _check_split(text, parts, MESSAGE_LIMIT)
    for part in parts:
        assert re.fullmatch(r"(&amp;)+", part), part[:20] + "..." + part[-20:]


def test_emoji_count_as_two_units() -> None:
    text = "😀" * 3000  # 3000 code points, 6000 UTF-16 units: more than one message
    assert visible_length(text) == 6000
    parts = split_html(text)
    assert len(parts) == 2
    _check_split(text, parts, MESSAGE_LIMIT)
    assert "".join(parts) == text  # never a half surrogate pair


def test_caption_limit() -> None:
    text = "<i>" + esc("ü & <x> ") * 400 + "</i>"
    parts = split_html(text, CAPTION_LIMIT)
    _check_split(text, parts, CAPTION_LIMIT)


def test_small_limit_gives_no_empty_parts() -> None:
    # A limit below the internal safety margin must still give sensible, non-empty parts.
    text = "a" * 200
    parts = split_html(text, limit=50)
    _check_split(text, parts, 50)
    assert len(parts) <= 8, len(parts)


# -- property: random escaped texts wrapped in tags ------------------------------------------------

_alphabet = st.sampled_from(list("abc xyz<>&\"'\n") + ["😀", "👍🏽", "é", "\u200d", "ß", "&amp;"])


def _texts(min_size: int = 0, max_size: int = 400) -> st.SearchStrategy[str]:
    return st.lists(_alphabet, min_size=min_size, max_size=max_size).map("".join)


_chunks = st.lists(
    st.tuples(_texts(), st.sampled_from(["", "b", "i", "b+i", "code"])),
    min_size=1,
    max_size=12,
)


def _build(chunks: list[tuple[str, str]]) -> str:
    out = []
    for raw, wrap in chunks:
        body = esc(raw)
        if wrap == "b+i":
            out.append(f"<b>x<i>{body}</i></b>")
        elif wrap:
            out.append(f"<{wrap}>{body}</{wrap}>")
        else:
            out.append(body)
    return "".join(out)


@settings(max_examples=150, deadline=None)
@given(_chunks, st.integers(min_value=200, max_value=1200))
def test_split_properties(chunks: list[tuple[str, str]], limit: int) -> None:
    source = _build(chunks)
    assert telegram_html_errors(source) == []  # the generator makes valid input
    parts = split_html(source, limit)
    if utf16_units(plain(source)) <= limit:
        assert parts == [source]
    _check_split(source, parts, limit)


@settings(max_examples=25, deadline=None)
@given(st.lists(_texts(100, 1500), min_size=3, max_size=8))
def test_split_properties_at_the_real_limit(paragraphs: list[str]) -> None:
    source = "\n\n".join(f"<b>{esc(p)}</b>" for p in paragraphs)
    parts = split_html(source)
    _check_split(source, parts, MESSAGE_LIMIT)


@settings(max_examples=100, deadline=None)
@given(_chunks, st.integers(min_value=2, max_value=199))
def test_split_properties_small_limits(chunks: list[tuple[str, str]], limit: int) -> None:
    source = _build(chunks)
    _check_split(source, split_html(source, limit), limit)
