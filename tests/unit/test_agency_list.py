"""The form's agency list is kept between updates, and refreshed (an operator's `aduan opd`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from handlers.core.agency_list import AgencyChoice, AgencyList


@dataclass
class Row:
    code: str
    name: str


@dataclass
class Directory:
    """Stands in for the repository's one query: counts how often the list is read."""

    rows: list[Row] = field(default_factory=list)
    reads: int = 0

    async def active_agencies(self) -> list[Row]:
        self.reads += 1
        return list(self.rows)


def test_the_list_is_read_once_then_again_after_the_refresh_interval() -> None:
    now = [100.0]
    directory = Directory([Row("DPU", "Dinas PU"), Row("DINKES", "Dinas Kesehatan")])
    agencies = AgencyList(refresh_seconds=60, clock=lambda: now[0])

    async def steps() -> None:
        first = await agencies.active(directory)  # type: ignore[arg-type]
        assert first == (AgencyChoice("DPU", "Dinas PU"), AgencyChoice("DINKES", "Dinas Kesehatan"))
        now[0] += 59
        directory.rows.append(Row("BPBD", "BPBD"))
        assert await agencies.active(directory) == first  # type: ignore[arg-type]
        assert directory.reads == 1
        now[0] += 1
        assert [a.code for a in await agencies.active(directory)] == ["DPU", "DINKES", "BPBD"]  # type: ignore[arg-type]
        assert directory.reads == 2

    asyncio.run(steps())


def test_an_empty_list_is_not_kept() -> None:
    directory = Directory()
    agencies = AgencyList(refresh_seconds=60, clock=lambda: 0.0)

    async def steps() -> None:
        assert await agencies.active(directory) == ()  # type: ignore[arg-type]
        directory.rows.append(Row("DPU", "Dinas PU"))
        assert await agencies.active(directory) == (AgencyChoice("DPU", "Dinas PU"),)  # type: ignore[arg-type]
        assert await agencies.active(directory) == (AgencyChoice("DPU", "Dinas PU"),)  # type: ignore[arg-type]
        assert directory.reads == 2

    asyncio.run(steps())
