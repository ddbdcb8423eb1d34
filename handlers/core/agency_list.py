"""The agencies a report form offers, kept by the process between updates.

Every step of a form shows or checks the agency list, and it changes only when an operator runs
`aduan opd` (another process): loading it for each update cost a query and ~60 objects a step.
A running bot sees such a change within AGENCY_REFRESH_SECONDS. Routing a case reads the agency
from the database itself, so a stale list can offer a deactivated agency for that long, never
route to one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from storage.repo import Repository

AGENCY_REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class AgencyChoice:
    code: str
    name: str


async def choices(repo: Repository) -> tuple[AgencyChoice, ...]:
    """The active agencies, as the form offers them, read now."""
    return tuple(AgencyChoice(a.code, a.name) for a in await repo.active_agencies())


class AgencyList:
    def __init__(self, refresh_seconds: float = AGENCY_REFRESH_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._choices: tuple[AgencyChoice, ...] = ()
        self._loaded = 0.0

    async def active(self, repo: Repository) -> tuple[AgencyChoice, ...]:
        now = self.clock()
        if not self._choices or now - self._loaded >= self.refresh_seconds:  # an empty list is not kept
            self._choices = await choices(repo)
            self._loaded = now
        return self._choices
