"""What the integration tests that run the real Dispatcher put in Telegram's place."""

from __future__ import annotations

from typing import Any

from bot.dispatcher import Limits

UNLIMITED = Limits(per_bot=10_000, bot_burst=10_000, per_chat=10_000, chat_burst=10_000)  # rates are not what these tests are about


class Telegram:
    """Answers every call at once, as sent, and keeps what it was asked, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        self.calls.append((method, payload))
        return {"message_id": len(self.calls)}

    @property
    def texts(self) -> list[str]:
        return [str(payload.get("text")) for _, payload in self.calls]
