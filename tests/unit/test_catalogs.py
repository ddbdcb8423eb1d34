"""Every user-facing string in the code has an Indonesian translation that keeps its placeholders
and its HTML; the English catalog knows every message too."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "handlers" / "locale"
PLACEHOLDER = re.compile(r"\{\w+\}")


def used_messages() -> set[str]:
    found: set[str] = set()
    for folder in ("handlers", "bot"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords={"gettext": None, "ngettext": (1, 2), "N_": None}
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


class TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def tags(text: str) -> list[str]:
    return re.findall(r"</?\w+", text)


def test_the_code_uses_messages() -> None:
    assert len(used_messages()) > 100


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_message_is_in_the_catalog(language: str) -> None:
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(language) if m.id}
    missing = sorted(used_messages() - known)
    assert not missing, f"run pybabel extract/update (see README): missing in {language}: {missing[:5]}"


def test_indonesian_translations_are_complete_and_faithful() -> None:
    problems = []
    for message in catalog("id"):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        target = message.string if isinstance(message.string, str) else message.string[0]
        if not target or message.fuzzy:
            problems.append(("untranslated", source))
            continue
        if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(target)):
            problems.append(("placeholders differ", source))
        if sorted(tags(source)) != sorted(tags(target)):
            problems.append(("tags differ", source))
        checker = TagBalance()
        checker.feed(target)
        if not checker.ok or checker.stack:
            problems.append(("unbalanced HTML", source))
    assert not problems, problems[:5]
