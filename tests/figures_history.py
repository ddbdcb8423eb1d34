"""Hand-built histories stored as the bot stores them, then the figures read back through SQL.

A test writes cases as `CaseRow`s (a complaint row with its milestones), the period's decisions
as `Event`s and the pauses as `Pause`s; `History.figures` writes them as complaint, audit and
reminder rows into a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), runs
`storage.statistics.tallies` and `cases.figures.compute`, and gives the figures. The tests thus
check the definitions in `cases.figures` against the SQL that counts them, on both databases.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import create_async_engine

from cases.figures import CaseRow, Figures, Pause, Period, Scope, compute
from cases.reminders import HEAD, OFFICERS, Kind
from cases.workflow import Policy
from storage import statistics
from storage.db import Database
from storage.models import Agency, AuditEntry, Base, Complaint, Reminder


@dataclass(frozen=True, slots=True)
class Event:
    """A decision as the audit trail keeps it; `first` says it was the case's first routing
    (the case's `first_routed_at` is that moment)."""

    case_id: int
    action: str
    at: datetime
    agency: str | None = None
    due: date | None = None
    code: str | None = None
    first: bool = False


_COLUMNS = {"agency": "agency_code", "response_routed_at": "first_response_routed_at"}
_NOT_STORED = {"id", "reminders", "escalations"}


def _complaint(case: CaseRow, events: list[Event]) -> Complaint:
    values = {_COLUMNS.get(f.name, f.name): getattr(case, f.name) for f in fields(CaseRow) if f.name not in _NOT_STORED}
    firsts = [e.at for e in events if e.case_id == case.id and e.first]
    if firsts:
        assert values["first_routed_at"] in (None, firsts[0]), f"case {case.id}: its first routing is not the event marked first"
        values["first_routed_at"] = firsts[0]
    for e in events:
        if e.case_id == case.id and e.action == "verify_and_route" and not e.first:
            assert e.at != values["first_routed_at"], f"case {case.id}: a routing at its first routing's moment is not marked first"
    return Complaint(
        id=case.id, source_update_id=case.id, title=f"Kasus {case.id}", description="x" * 40,
        event_date=case.created_at.date(), language="id", **values,
    )  # fmt: skip


class History:
    """One database for a test module; each `figures` call replaces what it holds."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._schema = False

    async def _store(self, cases: list[CaseRow], events: list[Event], pauses: list[Pause], names: dict[str, str],
                     period: Period) -> None:  # fmt: skip
        if not self._schema:
            engine = create_async_engine(self.url)
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
            await engine.dispose()
            self._schema = True
        db = Database(self.url)
        try:
            async with db.write() as session, session.begin():
                for table in (Reminder, AuditEntry, Complaint, Agency):
                    await session.execute(delete(table))
                codes = set(names) | {c.agency for c in cases if c.agency} | {e.agency for e in events if e.agency}
                session.add_all(Agency(code=code, name=names.get(code, code), active=True) for code in sorted(codes))
                await session.flush()
                session.add_all(_complaint(case, events) for case in cases)
                await session.flush()
                for e in events:
                    session.add(AuditEntry(complaint_id=e.case_id, actor="test", action=e.action, at=e.at,
                                           agency_code=e.agency, due=e.due, code=e.code))  # fmt: skip
                for p in pauses:
                    session.add(AuditEntry(complaint_id=p.case_id, actor="test", at=p.start,
                                           action="agency_request_info" if p.agency else "request_info"))  # fmt: skip
                    if p.end is not None:
                        session.add(AuditEntry(complaint_id=p.case_id, actor="test", action="answer_info", at=p.end))
                # Reminders and escalations "in the period": sent on its first day.
                for case in cases:
                    for n in range(case.reminders):
                        session.add(_reminder(case.id, OFFICERS, n, period.start))
                    for n in range(case.escalations):
                        session.add(_reminder(case.id, HEAD, n, period.start))
        finally:
            await db.dispose()

    async def _figures(self, period: Period, scope: Scope, policy: Policy, as_of: datetime) -> Figures:
        db = Database(self.url)
        try:
            tallied = await statistics.tallies(db.read, period, scope, policy.calendar, as_of)
        finally:
            await db.dispose()
        return compute(tallied, period, scope, policy, as_of)

    def figures(self, cases: Iterable[CaseRow], events: Iterable[Event], pauses: Iterable[Pause], names: dict[str, str], *,
                period: Period, scope: Scope, policy: Policy, as_of: datetime) -> Figures:  # fmt: skip
        async def run() -> Figures:
            await self._store(list(cases), list(events), list(pauses), names, period)
            return await self._figures(period, scope, policy, as_of)

        return asyncio.run(run())


_current: History | None = None


@pytest.fixture(scope="module", autouse=True)
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """One database for the test module that imports this fixture (SQLite, or PostgreSQL with
    TEST_DATABASE_URL); `figures_of` uses it."""
    from tests.e2e.harness import fresh_database

    global _current
    with fresh_database(tmp_path_factory.mktemp("figures")) as url:
        _current = History(url)
        yield _current
        _current = None


def figures_of(cases: Iterable[CaseRow], events: Iterable[Event] = (), pauses: Iterable[Pause] = (), *,
               names: dict[str, str] | None = None, period: Period, scope: Scope = Scope(), policy: Policy = Policy(),
               as_of: datetime) -> Figures:  # fmt: skip
    """The figures of a hand-built history, stored and read back through SQL."""
    assert _current is not None, "import the `history` fixture into the test module"
    return _current.figures(cases, events, pauses, names or {}, period=period, scope=scope, policy=policy, as_of=as_of)


def _reminder(case_id: int, tier: int, n: int, day: date) -> Reminder:
    return Reminder(key=f"{case_id}:{tier}:{n}", complaint_id=case_id, kind=Kind.BEFORE.value, tier=tier, day=day,
                    created_at=datetime.combine(day, time(7), timezone.utc))  # fmt: skip
