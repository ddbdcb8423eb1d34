"""One answer to a burst: the photos of an album, or several messages at one step within a
couple of seconds, get a single reply (the last one's) instead of one per message.

The first message of a burst is answered at once; the replies to those after it wait a moment
(`Later`) and each replaces the one before it that has not gone yet. A message that moves the
form on is never held back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.core.actions import Action, Edit, Later, Send, SendFile
from handlers.core.events import Event

WINDOW = timedelta(seconds=2)  # messages this close together at one step are one burst
WAIT = 1.5  # seconds a burst's reply waits for the next message of the burst


def answer_once(event: Event, before: dict[str, Any], after: dict[str, Any] | None, actions: list[Action],
                now: datetime | None) -> tuple[dict[str, Any] | None, list[Action]]:
    """The form's new state (with when this step last heard from the user) and the actions,
    the reply held back when the message is part of a burst. `now` None: no timing is kept
    (a whistleblower's draft records no times); only albums are gathered then."""
    if event.is_callback or after is None:
        return after, actions
    step = before.get("step")
    moved = after.get("step") != step
    heard = before.get("heard") or {}
    burst = bool(event.album)
    if now is not None:
        at = heard.get("at")
        burst = burst or (heard.get("step") == step and at is not None and now - datetime.fromisoformat(at) <= WINDOW)
        # The step a message arrived at: the first message at a new step is never part of a burst.
        after = {**after, "heard": {"step": step, "at": now.isoformat()}}
    if not burst or moved:
        return after, actions
    held = tuple(a for a in actions if isinstance(a, Send | Edit | SendFile))
    rest = [a for a in actions if not isinstance(a, Send | Edit | SendFile)]
    if not held:
        return after, actions
    return after, [*rest, Later(f"form:{before.get('nonce')}:{step}", WAIT, held)]

