"""Injected failures and delays: how tests make Telegram misbehave on purpose.

`fail_next("sendMessage", status=502)` makes the next matching call fail before it is carried
out (the message is not sent), as when Telegram's front end is down; `delay_next` holds a call
before it runs, so a client with a short read timeout gives up while the server still sends the
message afterwards — the case that makes naive retries send twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from tests.emulator.errors import INJECTED_DESCRIPTIONS, ApiError, too_many_requests


@dataclass
class Fault:
    method: str  # lower-case method name, or "*" for any method but getUpdates
    status: int
    remaining: int
    retry_after: int | None = None
    chat_id: int | str | None = None
    description: str | None = None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method == "*":
            if method == "getupdates":
                return False
        elif self.method != method:
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)

    def error(self) -> ApiError:
        if self.status == 429:
            error = too_many_requests(self.retry_after or 1)
            if self.description:
                error.description = self.description
            return error
        description = self.description or INJECTED_DESCRIPTIONS.get(
            self.status, f"Error {self.status}"
        )
        return ApiError(self.status, description, retry_after=self.retry_after)


@dataclass
class Delay:
    method: str
    seconds: float
    remaining: int


class FaultPlan:
    """The faults and delays still to happen; consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._delays: list[Delay] = []

    def fail_next(
        self,
        method: str,
        status: int = 500,
        count: int = 1,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(
                Fault(method.lower(), status, count, retry_after, chat_id, description)
            )

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        with self._lock:
            self._delays.append(Delay(method.lower(), seconds, count))

    def take_fault(self, method: str, params: dict[str, Any]) -> ApiError | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method.lower(), params):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault.error()
            return None

    def take_delay(self, method: str) -> float:
        with self._lock:
            for delay in self._delays:
                if delay.method in (method.lower(), "*"):
                    delay.remaining -= 1
                    if delay.remaining == 0:
                        self._delays.remove(delay)
                    return delay.seconds
            return 0.0

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._delays.clear()
