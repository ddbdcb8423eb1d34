"""What the Bot API methods do, once the server has checked the parameters against the spec.

Implementations register themselves by name (`@implements("sendMessage")`); methods without one
are accepted after validation and answer `true`.
"""

from tests.emulator.methods import account, editing, sending  # noqa: F401 - they register themselves
from tests.emulator.methods.registry import HANDLERS, Behaviour, Call, accept, implements, send_cost

__all__ = ["HANDLERS", "Behaviour", "Call", "accept", "implements", "send_cost"]
