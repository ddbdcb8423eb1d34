"""Triage before the form: does a message speak of an emergency, a crime, a court case or another
region — things this channel cannot help with in time, or at all?

The rules are data (`handlers/data/triage.json`, or the operator's own file via TRIAGE_FILE):
for each category, keyword phrases per language, phrases that cancel a match ("jembatan darurat"
is a bridge, not an emergency), and the contacts to give. This module only reads and checks that
file and matches text against it; what the bot then says is `handlers.core.triage_notice`.

How a phrase matches: text and phrase are folded (case, accents, invisible format characters) and
cut into words — runs of letters, or runs of digits, so "dipukul2" (informal reduplication) is
"dipukul" "2" — and a phrase matches where its words stand next to each other in the text. There
is no stemming and no substring matching: "api" never matches inside "kapi" or "sapi", and
"membanjiri" (figurative: "to flood" social media with comments) does not match "banjir"; an affixed
form that means the emergency ("kebanjiran", "terbakar") is listed as its own phrase. Every list is
matched whatever the person's language (people mix Indonesian and English); the languages only keep
the file readable for the people who maintain it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_TRIAGE = Path(__file__).parents[1] / "data" / "triage.json"

# Every category the bot has words for, in the order a notice lists them: a risk of suicide comes
# first, then the emergencies, then what belongs to another institution.
CATEGORIES = ("suicide", "violence", "fire", "flood", "medical", "crime", "court", "outside")
EMERGENCIES = frozenset({"violence", "fire", "flood", "medical"})
LANGUAGES = ("id", "en")

_WORD = re.compile(r"[^\W\d_]+|\d+")
# A phone number as people write it ("112", "0541 661 113", "119 ext 8"); a URL is https only.
_NUMBER = re.compile(r"\+?\d[\d ()./-]*(?: ?(?:ext|ekst)\.? ?\d+)?")
_URL = re.compile(r"https://[^\s<>\"']+")
_LABEL_MAX = 120


class TriageError(ValueError):
    """The triage data file is unusable; the message names the file and the place in it."""


def fold(text: str) -> str:
    """Case, accents and invisible format characters (zero-width joiners, bidi marks) removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return "".join(kept).casefold()


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class Contact:
    code: str
    labels: Mapping[str, str]
    number: str | None = None
    url: str | None = None

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["id"]


@dataclass(frozen=True)
class Category:
    code: str
    phrases: tuple[tuple[str, ...], ...]
    exceptions: tuple[tuple[str, ...], ...]
    contacts: tuple[Contact, ...]

    @property
    def is_emergency(self) -> bool:
        return self.code in EMERGENCIES


def _spans(tokens: tuple[str, ...], at: Mapping[str, list[int]], phrases: tuple[tuple[str, ...], ...]) -> list[tuple[int, int]]:
    """Where each phrase stands in the text, as (first word, past the last word)."""
    found = []
    for phrase in phrases:
        size = len(phrase)
        for start in at.get(phrase[0], ()):
            if tokens[start : start + size] == phrase:
                found.append((start, start + size))
    return found


class TriageRules:
    def __init__(self, categories: tuple[Category, ...]) -> None:
        order = {code: i for i, code in enumerate(CATEGORIES)}
        self.categories = tuple(sorted(categories, key=lambda c: order[c.code]))

    def match(self, text: str | None) -> tuple[Category, ...]:
        """The categories the text speaks of, in the order a notice lists them (none: empty)."""
        if not text:
            return ()
        tokens = words(text)
        at: dict[str, list[int]] = {}  # each word's positions: a phrase is tried only where it starts
        for position, token in enumerate(tokens):
            at.setdefault(token, []).append(position)
        matched = []
        for category in self.categories:
            cancelled = _spans(tokens, at, category.exceptions)
            for start, end in _spans(tokens, at, category.phrases):
                if not any(s <= start and end <= e for s, e in cancelled):
                    matched.append(category)
                    break
        return tuple(matched)


# -- the data file ---------------------------------------------------------------------------------


def _keys(raw: Any, where: str, required: set[str], allowed: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TriageError(f"{where}: must be an object")
    known = {k: v for k, v in raw.items() if not k.startswith("_")}  # "_comment" keys are notes
    unknown = sorted(set(known) - allowed)
    if unknown:
        raise TriageError(f"{where}: unknown key {unknown[0]!r} (expected {', '.join(sorted(allowed))})")
    missing = sorted(required - set(known))
    if missing:
        raise TriageError(f"{where}: missing key {missing[0]!r}")
    return known


def _phrases(raw: Any, where: str) -> tuple[tuple[str, ...], ...]:
    lists = _keys(raw, where, set(LANGUAGES), set(LANGUAGES))
    phrases: list[tuple[str, ...]] = []
    for language in LANGUAGES:
        items = lists[language]
        if not isinstance(items, list):
            raise TriageError(f"{where}.{language}: must be a list of phrases")
        for n, item in enumerate(items):
            if not isinstance(item, str) or not words(item):
                raise TriageError(f"{where}.{language}[{n}]: {item!r} must be a phrase with letters or digits")
            phrases.append(words(item))
    return tuple(dict.fromkeys(phrases))


def _label(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > _LABEL_MAX:
        raise TriageError(f"{where}: must be a text of 1-{_LABEL_MAX} characters")
    return raw.strip()


def _contact(code: str, raw: Any, where: str) -> Contact:
    fields = _keys(raw, where, set(LANGUAGES), {*LANGUAGES, "number", "url"})
    number, url = fields.get("number"), fields.get("url")
    if number is None and url is None:
        raise TriageError(f"{where}: needs a number or a url")
    if number is not None and not (isinstance(number, str) and _NUMBER.fullmatch(number) and len(number) <= 40):
        raise TriageError(f"{where}.number: {number!r} is not a phone number (digits, spaces, + - ( ) and 'ext N')")
    if url is not None and not (isinstance(url, str) and _URL.fullmatch(url) and len(url) <= 200):
        raise TriageError(f"{where}.url: {url!r} must be an https:// address")
    labels = {language: _label(fields[language], f"{where}.{language}") for language in LANGUAGES}
    return Contact(code, labels, number, url)


def parse_triage(raw: Any, source: str = "triage data") -> TriageRules:
    top = _keys(raw, source, {"categories", "contacts"}, {"categories", "contacts"})
    if not isinstance(top["contacts"], dict):
        raise TriageError(f"{source}: contacts: must be an object of contacts by code")
    contacts = {code: _contact(code, item, f"{source}: contacts.{code}") for code, item in top["contacts"].items() if not code.startswith("_")}
    raw_categories = _keys(top["categories"], f"{source}: categories", set(CATEGORIES), set(CATEGORIES))
    categories = []
    for code in CATEGORIES:
        where = f"{source}: categories.{code}"
        fields = _keys(raw_categories[code], where, {"keywords", "contacts"}, {"keywords", "except", "contacts"})
        refs = fields["contacts"]
        if not isinstance(refs, list) or not refs:
            raise TriageError(f"{where}.contacts: must list at least one contact (a notice must say where to go)")
        for ref in refs:
            if ref not in contacts:
                raise TriageError(f"{where}.contacts: {ref!r} is not in contacts")
        exceptions = _phrases(fields["except"], f"{where}.except") if "except" in fields else ()
        categories.append(Category(code, _phrases(fields["keywords"], f"{where}.keywords"), exceptions, tuple(contacts[r] for r in refs)))
    return TriageRules(tuple(categories))


def load_triage(path: Path | None = None) -> TriageRules:
    """Read and check the triage file (the bundled one without a path); TriageError names the problem."""
    source = path or DEFAULT_TRIAGE
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TriageError(f"{source}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise TriageError(f"{source}: is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise TriageError(f"{source}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    return parse_triage(raw, str(source))


@lru_cache(maxsize=1)
def default_rules() -> TriageRules:
    """The bundled rules, read once: the default wherever no file was configured (tests, tools)."""
    return load_triage()
