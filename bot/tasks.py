"""Waiting for work in hand at shutdown."""

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
