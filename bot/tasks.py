"""Waiting: for a wake-up that may not come, and for work in hand at shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable


async def finish_within(tasks: Iterable[asyncio.Task[None]], timeout: float) -> int:
    """Let `tasks` finish for up to `timeout` seconds, then cancel the rest; returns how many were
    cancelled (a cancelled transaction rolls back; its work is redone at the next start)."""
    pending = set(tasks)
    if not pending:
        return 0
    _, late = await asyncio.wait(pending, timeout=timeout)
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    return len(late)


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait up to `timeout` seconds for `event`; True when it is set. Not `asyncio.wait_for`: on
    Python 3.11 that swallows a cancellation arriving as the event is set (cpython gh-86296), and a
    worker looping on it then ignores the stop and sleeps its whole timeout again."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
