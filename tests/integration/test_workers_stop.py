"""A worker cancelled in the very tick it is woken stops at once.

Python 3.11's `asyncio.wait_for` loses such a cancellation (cpython gh-86296): the worker went
round its loop again and slept its whole timeout, so a bot stopped just as the sender role woke
its file fetcher took 30 s to exit and was killed. The workers wait with `bot.tasks.wait_event`;
these tests race the wake-up against the cancellation, through the real workers and database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.dispatcher import Dispatcher, Limits
from bot.files import FileFetcher
from bot.processor import Processor
from bot.tasks import wait_event
from bot.telegram.ptb import PtbClient
from cases.calendar import WorkCalendar
from handlers.core.context import HandlerConfig
from storage.db import Database, upgrade_async
from tests.e2e.harness import fresh_database

STOPPED_WITHIN = 1.0  # seconds; the waits are 2 s (dispatcher, idle), 5 s (processor), 30 s (fetcher)


def now() -> datetime:
    return datetime.now(timezone.utc)


async def loop_on(event: asyncio.Event) -> None:
    while True:
        await wait_event(event, 30)
        event.clear()


async def cancelled_as_woken(run: Coroutine[Any, Any, None], wake: Callable[[], None]) -> bool:
    """Start `run`, let it settle into its wait, then wake and cancel it in one tick; True when it
    has ended within STOPPED_WITHIN."""
    task = asyncio.create_task(run)
    await asyncio.sleep(0.3)  # its first round done: it waits for a wake-up
    assert not task.done(), task
    wake()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=STOPPED_WITHIN)
    if not done:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return bool(done)


def test_wait_event_says_whether_the_event_came() -> None:
    async def run() -> tuple[bool, bool]:
        event = asyncio.Event()
        timed_out = await wait_event(event, 0.05)
        asyncio.get_running_loop().call_later(0.01, event.set)
        return timed_out, await wait_event(event, 5)

    assert asyncio.run(run()) == (False, True)


def test_a_loop_on_wait_event_stops_when_cancelled_as_it_is_woken() -> None:
    async def run() -> bool:
        event = asyncio.Event()
        return await cancelled_as_woken(loop_on(event), event.set)

    assert asyncio.run(run())


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


@pytest.mark.parametrize("worker", ["fetcher", "processor", "dispatcher"])
def test_each_worker_stops_when_cancelled_as_it_is_woken(database_url: str, tmp_path: Path, worker: str) -> None:
    async def run() -> bool:
        await upgrade_async(database_url)
        db = Database(database_url)
        client = PtbClient("123456789:TEST-workers-stop", "http://127.0.0.1:9")  # never called: no work queued
        try:
            if worker == "fetcher":
                fetcher = FileFetcher(db, client, tmp_path / "files")
                return await cancelled_as_woken(fetcher.run(), fetcher.wake)
            if worker == "processor":
                processor = Processor(db, client, HandlerConfig(bot_username="kanal_aduan_test_bot"), WorkCalendar(),
                                      now, lambda _channels: None)  # fmt: skip
                return await cancelled_as_woken(processor.run(), processor.wake)
            limits = Limits()
            dispatcher = Dispatcher(db, client, now, limits)
            return await cancelled_as_woken(dispatcher.run(), dispatcher.wake)
        finally:
            await client.stop()
            await db.dispose()

    assert asyncio.run(run()), f"the {worker} went on waiting after it was cancelled"
