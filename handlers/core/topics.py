"""The configurable topic tree (parent → children) of the complaint form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TOPICS = Path(__file__).parents[1] / "data" / "topics.json"


@dataclass(frozen=True)
class Topic:
    code: str
    labels: dict[str, str]
    children: tuple[Topic, ...] = ()

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("id") or self.code


class TopicTree:
    def __init__(self, roots: tuple[Topic, ...]) -> None:
        self.roots = roots
        self._by_code: dict[str, Topic] = {}
        for root in roots:
            self._by_code[root.code] = root
            for child in root.children:
                self._by_code[child.code] = child

    def get(self, code: str) -> Topic | None:
        return self._by_code.get(code)

    def path_label(self, code: str, language: str) -> str:
        topic = self.get(code)
        if topic is None:
            return code
        parent = self.get(code.split(".")[0]) if "." in code else None
        return f"{parent.label(language)} › {topic.label(language)}" if parent else topic.label(language)


def _topic(raw: dict) -> Topic:
    code = str(raw["code"])
    if not code or len(code) > 24:
        raise ValueError(f"topic code {code!r} must be 1-24 characters")
    labels = {lang: str(raw[lang]) for lang in ("id", "en") if lang in raw}
    return Topic(code, labels, tuple(_topic(child) for child in raw.get("children", [])))


def load_topics(path: Path | None = None) -> TopicTree:
    data = json.loads((path or DEFAULT_TOPICS).read_text(encoding="utf-8"))
    return TopicTree(tuple(_topic(item) for item in data["topics"]))
