"""The registry of Bot API method implementations, and what each implementation receives.

Each implementation gets a `Call` (typed parameters, the multipart attachments, the shared
state) and returns the JSON result, or raises `ApiError` with the description the real server
gives. They run under the state lock, so each call is atomic, like Telegram's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.emulator.spec import Upload
from tests.emulator.state import EmulatorState


@dataclass(frozen=True)
class Behaviour:
    """Switches for how strict the emulator is (see BotApiEmulator)."""

    strict_html: bool = True
    callback_answer_timeout: float | None = None


@dataclass
class Call:
    """One validated request, as an implementation sees it."""

    state: EmulatorState
    params: dict[str, Any]
    attachments: Mapping[str, Upload]
    behaviour: Behaviour

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


Handler = Callable[[Call], Any]
HANDLERS: dict[str, Handler] = {}


def accept(call: Call) -> bool:
    """Methods the emulator gives no semantics: valid parameters are simply accepted."""
    return True


def implements(*names: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        for name in names:
            HANDLERS[name.lower()] = function
        return function

    return register


def send_cost(method: str, params: Mapping[str, Any]) -> int:
    """How many messages a call sends, for the flood limits (0: not a sending method)."""
    name = method.lower()
    if name == "sendchataction" or not name.startswith(("send", "copymessage", "forwardmessage")):
        return 0
    for key in ("media", "message_ids"):
        if isinstance(params.get(key), list):
            return max(1, len(params[key]))
    return 1
