"""A local Telegram Bot API emulator, built from the official spec (api.min.json), for tests
and the offline demo. Start `BotApiEmulator`, point the bot's `base_url` at it, and play users
with `emu.user(...)`. See emulator.py for the lifecycle and users.py for the user API.
"""

from tests.emulator.emulator import BotApiEmulator
from tests.emulator.models import ApiCall
from tests.emulator.ratelimit import RateLimit
from tests.emulator.users import (
    Button,
    EmulatedGroup,
    EmulatedUser,
    MessageVersion,
    ReplyButton,
    SentMessage,
)

__all__ = [
    "ApiCall",
    "BotApiEmulator",
    "Button",
    "EmulatedGroup",
    "EmulatedUser",
    "MessageVersion",
    "RateLimit",
    "ReplyButton",
    "SentMessage",
]
