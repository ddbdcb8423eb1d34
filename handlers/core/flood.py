"""The flood gate: at most N messages per user in a fixed window; beyond that, no answers.

The photos of an album count as one message: they are one thing the user did (Telegram
delivers up to ten of them, one update each, within milliseconds).

Kept in the process's memory, not in the database: counting messages must not make the bot
remember everyone who ever wrote to it (a whistleblower included). A restart forgets the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum


class Verdict(Enum):
    PASS = "pass"
    WARN = "warn"  # the first message over the limit: tell the user once
    DROP = "drop"


@dataclass
class _Window:
    start: datetime
    count: int = 0
    warned: bool = False
    album: str | None = None  # the album last counted in this window


@dataclass
class FloodGate:
    max_messages: int
    window: timedelta
    _windows: dict[int, _Window] = field(default_factory=dict)

    def check(self, user_id: int, now: datetime, album: str | None = None) -> Verdict:
        """`album`: the media group the message belongs to, if any."""
        current = self._windows.get(user_id)
        if current is None or now - current.start >= self.window:
            current = self._windows[user_id] = _Window(now)
            if len(self._windows) > 10_000:
                self._forget_before(now - self.window)
        if album is None or album != current.album:
            current.count += 1
        current.album = album
        if current.count <= self.max_messages:
            return Verdict.PASS
        if current.warned:
            return Verdict.DROP
        current.warned = True
        return Verdict.WARN

    def _forget_before(self, moment: datetime) -> None:
        for user_id in [u for u, w in self._windows.items() if w.start < moment]:
            del self._windows[user_id]
