"""A refusal that means "already so" (an edit to the same text, an old button) counts as sent."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from bot.dispatcher import Dispatcher
from bot.telegram import BadRequest


class Refusing:
    """Telegram answering 400 with `message`, worded as the runtimes word it."""

    def __init__(self, message: str) -> None:
        self.message = message

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        raise BadRequest(self.message)


@pytest.mark.parametrize("message", [
    "Message is not modified: specified new message content and reply markup are exactly the same",
    "message is not modified: specified new message content",
    "Query is too old and response timeout expired or query id is invalid",
    "Message to delete not found",
])  # fmt: skip
async def test_a_harmless_refusal_is_sent_whatever_its_capitals(message: str) -> None:
    dispatcher = Dispatcher(None, Refusing(message), lambda: datetime.now(timezone.utc))  # type: ignore[arg-type]
    assert await dispatcher._call("editMessageText", {"chat_id": 1, "message_id": 2, "text": "x"}, 1) == {"sent": None}


async def test_another_refusal_fails_the_row() -> None:
    dispatcher = Dispatcher(None, Refusing("Chat not found"), lambda: datetime.now(timezone.utc))  # type: ignore[arg-type]
    outcome = await dispatcher._call("sendMessage", {"chat_id": 1, "text": "x"}, 1)
    assert outcome == {"failed": "BadRequest: Chat not found"}
