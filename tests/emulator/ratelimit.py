"""Telegram's flood limits on sending, as token buckets.

Telegram answers 429 "Too Many Requests: retry after N" when a bot sends faster than about one
message per second to a chat (after a short burst), 20 per minute to a group or 30 per second
overall. A bot that ignores `retry_after` loses messages in production, so the emulator enforces
the same limits (configurable: tests make them strict, or switch them off with
`rate_limit=None`). Only sends count; edits and callback answers do not.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimit:
    """Bursts and sustained rates; the defaults approximate Telegram's published limits."""

    per_chat_burst: int = 5
    per_chat_per_second: float = 1.0
    per_group_burst: int = 20
    per_group_per_minute: float = 20.0
    global_burst: int = 30
    global_per_second: float = 30.0


@dataclass
class TokenBucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float = field(default=-1.0)
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until `cost` tokens are available (0 when they are now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (cost - self.tokens) / self.rate

    def take(self, cost: float) -> None:
        self.tokens -= cost


class RateLimiter:
    """Per-chat and global buckets; thread-safe. Check with `retry_after`, then `book` a send."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._lock = threading.Lock()
        self._global = TokenBucket(limit.global_burst, limit.global_per_second, updated=clock())
        self._chats: dict[int, TokenBucket] = {}

    def _bucket(self, chat_id: int, is_group: bool, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if is_group:
                bucket = TokenBucket(
                    self.limit.per_group_burst, self.limit.per_group_per_minute / 60, updated=now
                )
            else:
                bucket = TokenBucket(
                    self.limit.per_chat_burst, self.limit.per_chat_per_second, updated=now
                )
            self._chats[chat_id] = bucket
        return bucket

    def retry_after(self, chat_id: int, *, is_group: bool, cost: int = 1) -> int | None:
        """Whole seconds (at least 1) to wait before `cost` more messages to the chat, or None."""
        with self._lock:
            now = self.clock()
            wait = max(
                self._bucket(chat_id, is_group, now).wait_for(cost, now),
                self._global.wait_for(cost, now),
            )
            if wait <= 0:
                return None
            return max(1, math.ceil(wait)) if math.isfinite(wait) else 3600

    def book(self, chat_id: int, *, is_group: bool, cost: int = 1) -> None:
        """Count messages that were sent (refused calls do not use up the allowance)."""
        with self._lock:
            now = self.clock()
            self._bucket(chat_id, is_group, now).take(cost)
            self._global.take(cost)
