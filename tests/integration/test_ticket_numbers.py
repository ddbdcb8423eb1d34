"""Ticket numbers under concurrency: the year's first two reports, filed at the same moment in two
transactions (two processes on PostgreSQL), get two numbers and neither fails. Before, both
created the year's counter and one hit its primary key (and was tried again seconds later)."""

from __future__ import annotations

import asyncio

from storage.db import Database
from storage.repo import Repository


def test_the_years_first_two_tickets_at_once_get_two_numbers(migrated_database_url: str) -> None:
    async def race() -> list[str]:
        dbs = [Database(migrated_database_url) for _ in range(2)]
        first_counted = asyncio.Event()

        async def file(index: int) -> str:
            async with dbs[index].write() as session, session.begin():
                if index == 1:
                    await first_counted.wait()  # the other has created the counter, not yet committed
                ticket = await Repository(session).next_ticket(2027)
                if index == 0:
                    first_counted.set()
                    await asyncio.sleep(0.5)  # still open while the second asks
                return ticket

        try:
            return list(await asyncio.gather(file(0), file(1)))
        finally:
            for db in dbs:
                await db.dispose()

    tickets = asyncio.run(race())
    assert len(set(tickets)) == 2, tickets
    assert sorted(t.rsplit("-", 1)[-1].lstrip("0") for t in tickets) == ["1", "2"], tickets
