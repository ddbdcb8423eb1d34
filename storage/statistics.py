"""What the figures are computed from (`cases.figures`), counted and grouped in SQL.

`tallies` counts a period's cases for a scope by what the figures split them by — received by
class, topic, kecamatan and privacy; the period's decisions; the working days each stage took
(from a calendar table, less the pauses); reminders, ratings, the open cases, daily intake and
closing, the trend's cells — so that Python handles a few thousand grouped rows however many
cases there are. Milestones are kept on the case row as they happen (`storage.cases.record`);
the indexes of migrations 0009 and 0010 serve the rest.

`received` streams the period's cases one row each with their milestones, for a report's Data sheet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.types import NullType

from cases.calendar import WorkCalendar
from cases.figures import (
    AGENCY_ACTIONS,
    LOW_RATING,
    CaseRow,
    Cell,
    DayCount,
    Decided,
    Figures,
    Finding,
    Load,
    LowRating,
    OpenRow,
    Pause,
    Period,
    Rated,
    Received,
    Scope,
    Taken,
    Tallies,
    buckets,
    compute,
)
from cases.model import OPEN_STATUSES, Status
from cases.reminders import ADMINS, HEAD, OFFICERS, Kind
from cases.workflow import Policy
from storage.models import Agency, AuditEntry, Complaint, Reminder

DECISIONS = ("verify_and_route", "reject", "mark_duplicate", "not_ours", "respond", "reopen")
PAUSES = ("request_info", "agency_request_info")
AGENCY_REMINDERS = (Kind.BEFORE.value, Kind.DUE.value, Kind.OVERDUE.value)


def _instant(day: date, tz: ZoneInfo) -> datetime:
    """The start of a local day, in UTC."""
    return datetime.combine(day, time(0), tz).astimezone(timezone.utc)


def bounds(period: Period, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The period as UTC instants [start, end)."""
    return _instant(period.start, tz), _instant(period.end + timedelta(days=1), tz)


def _relevant(start: datetime, end: datetime, lookback: datetime) -> object:
    """Cases the period's figures need: filed before its end and either filed in it (or in the
    spike baseline before it) or not closed before it began — open through it, closed in or after
    it, or open now. (A case decided on in the period is among them: a decision reopens or closes.)"""
    return and_(
        Complaint.created_at < end,
        or_(Complaint.created_at >= lookback, Complaint.closed_at.is_(None), Complaint.closed_at >= start),
    )


def _case_query(where: object, reminders_since: date, reminders_until: date, *, with_title: bool = False) -> Select:
    """The cases with their milestones (on the case row: see `Complaint`) and the reminders and
    escalations about each in [reminders_since, reminders_until]."""
    nudges = _nudges(reminders_since, reminders_until)
    c = Complaint
    return (
        select(
            c.id, c.ticket, c.report_class, c.topic, c.agency_code, c.kecamatan, c.privacy, c.anonymous, c.status,
            raw(c.created_at), raw(c.verification_due), raw(c.response_due), raw(c.verified_at), raw(c.first_routed_at),
            raw(c.first_response_at), raw(c.first_response_routed_at), raw(c.first_response_due), raw(c.closed_at),
            c.rating, raw(c.rated_at), c.reopen_count,
            c.maladministration, c.lapor_number, func.coalesce(nudges.c.reminders, 0), func.coalesce(nudges.c.escalations, 0),
            *([c.title] if with_title else []),
        )
        .outerjoin(nudges, nudges.c.cid == c.id)
        .where(where)  # type: ignore[arg-type]
        .order_by(c.id)
    )


def raw(column: Any) -> Any:
    """A date or time column read as the driver gives it (SQLite: ISO text; PostgreSQL: date and
    aware datetime objects), parsed by `instant`/`day` below: a year's figures read half a million
    of them, and SQLAlchemy's general converters cost several times more."""
    return type_coerce(column, NullType()).label(column.key)


def instant(value: Any) -> datetime | None:
    if value is None or value.__class__ is datetime and value.tzinfo is not None:
        return value  # type: ignore[no-any-return]
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc)
    # SQLite stores UTC without an offset; parsing it with one is ~6x faster than .replace(tzinfo=).
    return datetime.fromisoformat(value + "+00:00")


def day(value: Any) -> date | None:
    if value is None or value.__class__ is date:
        return value  # type: ignore[no-any-return]
    return date.fromisoformat(str(value)[:10])


_INSTANTS = (9, 12, 13, 14, 15, 17, 19)
_DAYS = (10, 11, 16)


def _row(values: Sequence[object]) -> CaseRow:
    """A case row as `_case_query` selects it: its columns in `CaseRow`'s order."""
    row = list(values[:25])
    for i in _INSTANTS:
        row[i] = instant(row[i])
    for i in _DAYS:
        row[i] = day(row[i])
    if row[7]:  # a whistleblower's case has no kecamatan in the clear (it is sealed)
        row[5] = None
    row[7], row[20], row[23], row[24] = bool(row[7]), row[20] or 0, int(row[23] or 0), int(row[24] or 0)  # type: ignore[call-overload]
    return CaseRow(*row)  # type: ignore[arg-type]


class _Dialect:
    """Local dates as day numbers (`date.toordinal()`) in SQL, and the scalar LEAST/GREATEST, on
    SQLite and PostgreSQL."""

    def __init__(self, name: str, tz: ZoneInfo, today: date) -> None:
        # Constants are written into the statement, not bound: PostgreSQL matches a GROUP BY
        # expression to the selected one only when they are written alike.
        self.postgresql = name == "postgresql"
        self.zone = _constant(tz.key)
        if not self.postgresql:
            offsets = {tz.utcoffset(datetime(today.year, month, 1)) for month in (1, 4, 7, 10)}
            if len(offsets) != 1:
                raise ValueError(f"figures on SQLite need a time zone without daylight saving, not {tz.key}")
            self.shift = _constant(f"{int(offsets.pop().total_seconds() // 60):+d} minutes")  # type: ignore[union-attr]

    def local(self, moment: Any) -> Any:
        """The local date of a UTC instant column, as a day number."""
        if self.postgresql:
            return type_coerce(cast(func.timezone(self.zone, moment), Date) - _DAY_ZERO, Integer)
        return cast(func.julianday(moment, self.shift) - _JULIAN_DAY_ZERO, Integer)

    def day(self, value: Any) -> Any:
        """A date column as a day number."""
        if self.postgresql:
            return type_coerce(value - _DAY_ZERO, Integer)
        return cast(func.julianday(value) - _JULIAN_DAY_ZERO, Integer)

    def month(self, moment: Any) -> Any:
        """The local "YYYY-MM" of a UTC instant column."""
        if self.postgresql:
            return func.to_char(func.timezone(self.zone, moment), _constant("YYYY-MM"))
        return func.strftime(_constant("%Y-%m"), moment, self.shift)

    def least(self, *values: Any) -> Any:
        return func.least(*values) if self.postgresql else func.min(*values)

    def greatest(self, *values: Any) -> Any:
        return func.greatest(*values) if self.postgresql else func.max(*values)


_JULIAN_DAY_ZERO = literal_column("1721424.5")  # julianday() of the day before 0001-01-01, day number 0
_DAY_ZERO = literal_column("DATE '0001-12-31 BC'")  # the same on PostgreSQL


def _constant(text: str) -> Any:
    return literal_column("'" + text.replace("'", "''") + "'")


def _scoped(scope: Scope) -> Any:
    c = Complaint
    conditions = []
    if scope.agency is not None:
        conditions.append(c.agency_code == scope.agency)
    if scope.kecamatan is not None:
        conditions += [c.anonymous.is_(False), c.kecamatan == scope.kecamatan]
    if scope.topic is not None:
        conditions += [c.anonymous.is_(False), or_(c.topic == scope.topic, c.topic.like(scope.topic + ".%"))]
    return and_(literal(True), *conditions)


Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]
Rows = Callable[[Any], Awaitable[list[Any]]]  # a statement's rows, on a lane's connection


def one_session(session: AsyncSession) -> Sessions:
    """`session` as the `Sessions` `tallies` wants: its statements then run one after another."""
    lock = asyncio.Lock()

    @asynccontextmanager
    async def borrowed() -> AsyncIterator[AsyncSession]:
        async with lock:
            yield session

    return borrowed


async def tallies(sessions: Sessions, period: Period, scope: Scope, calendar: WorkCalendar, as_of: datetime) -> Tallies:
    """What `cases.figures.compute` needs for `period` and `scope`, counted and grouped in SQL:
    a few thousand rows however many cases there are (the indexes of migrations 0009 and 0010 serve it).

    The statements run in three lanes, each on a session of its own from `sessions` (read
    sessions: on SQLite they read beside the writer), at the same time: the working days each
    stage took is the longest statement, and the others run beside it. On PostgreSQL the lanes
    read one snapshot (exported by one, imported by the others); on SQLite each lane has its own,
    taken a moment apart (a case changing in that moment may count as before in one figure and as
    after in another)."""
    today = calendar.local_date(as_of)
    tz = calendar.tz
    start, end = bounds(period, tz)
    unit, edges = buckets(period)
    c, a = Complaint, AuditEntry
    cases = and_(_relevant(start, end, _instant(edges[0][1], tz)), _scoped(scope))
    snapshot: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def within(column: Any) -> Any:
        return and_(column >= start, column < end)

    def decision_filter() -> Any:
        mine = [a.agency_code == scope.agency] if scope.agency is not None else []
        return and_(a.action.in_(DECISIONS), within(a.at), or_(cases, *mine))

    anonymous = c.anonymous.is_(True)

    # An exported snapshot can be imported only while the exporting transaction is open: the
    # exporting lane, done first, waits until the others have taken it.
    importers = [0]  # lanes still to import it (set below)
    all_imported = asyncio.Event()

    def imported() -> None:
        importers[0] -= 1
        if importers[0] == 0:
            all_imported.set()

    async def lane(work: Callable[[Rows, _Dialect], Awaitable[dict[str, Any]]], exports: bool) -> dict[str, Any]:
        async with sessions() as session:
            shares = session.bind.dialect.name == "postgresql" and not session.in_transaction()
            if shares:
                connection = await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                if exports:
                    try:
                        snapshot.set_result((await connection.exec_driver_sql("SELECT pg_export_snapshot()")).scalar_one())
                    except BaseException as exc:
                        snapshot.set_exception(exc)  # the others stop waiting for it
                        raise
                else:
                    try:
                        await connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{await snapshot}'")
                    finally:
                        imported()
            else:
                connection = await session.connection()
                if not exports:
                    imported()

            async def rows(query: Any) -> list[Any]:
                return list((await connection.execute(query)).all())

            counted = await work(rows, _Dialect(connection.dialect.name, tz, today))
            if shares and exports:
                await all_imported.wait()
            return counted

    async def intake(rows: Rows, sql: _Dialect) -> dict[str, Any]:
        """Received, the period's decisions, the open cases."""

        place = case((anonymous, None), else_=c.kecamatan)  # a whistleblower's is sealed
        filed = and_(within(c.created_at), _scoped(scope))
        received = [Received(topic, kecamatan, cls, privacy, bool(anon), n) for topic, kecamatan, cls, privacy, anon, n in await rows(
            select(c.topic, place, c.report_class, c.privacy, c.anonymous, func.count())
            .where(filed).group_by(c.topic, place, c.report_class, c.privacy, c.anonymous)
        )]  # fmt: skip
        month = sql.month(c.created_at)
        findings = [Finding(agency, form, filed_in, n) for agency, form, filed_in, n in await rows(
            select(c.agency_code, c.maladministration, month, func.count())
            .where(filed, c.maladministration.is_not(None)).group_by(c.agency_code, c.maladministration, month)
        )]  # fmt: skip

        def decisions(*columns: Any) -> Any:
            """The period's decisions about the scope; the regency's need no join: every decision
            in the period is about a case the period's figures count."""
            query = select(*columns).select_from(a)
            if scope.regency:
                return query.where(a.action.in_(DECISIONS), within(a.at))
            return query.join(c, c.id == a.complaint_id).where(decision_filter())

        decided = [Decided(action, agency, code, n) for action, agency, code, n in await rows(
            decisions(a.action, a.agency_code, a.code, func.count()).group_by(a.action, a.agency_code, a.code)
        )]  # fmt: skip
        # First routings: a case's first is at its `first_routed_at`. An agency's scope counts
        # those to it of cases that moved on, which only the audit trail knows.
        if scope.agency is None:
            first_routings = (await rows(select(func.count()).where(cases, within(c.first_routed_at))))[0][0]
        else:
            first_routings = (await rows(decisions(func.count()).where(a.action == "verify_and_route", a.at == c.first_routed_at)))[0][0]
        # An agency's cases in the period: those it was routed, answered, returned or reopened.
        touched = {agency: n for agency, n in await rows(
            decisions(a.agency_code, func.count(a.complaint_id.distinct()))
            .where(a.action.in_(AGENCY_ACTIONS), a.agency_code.is_not(None)).group_by(a.agency_code)
        )}  # fmt: skip
        open_cases = [
            OpenRow(cid, ticket, agency, status, bool(anon), date.fromordinal(filed_on), day(verification_due), day(response_due))  # type: ignore[arg-type]
            for cid, ticket, agency, status, anon, filed_on, verification_due, response_due in await rows(
                select(c.id, c.ticket, c.agency_code, c.status, c.anonymous, sql.local(c.created_at), raw(c.verification_due),
                       raw(c.response_due))
                .where(cases, c.status.in_([s.value for s in OPEN_STATUSES]))
            )
        ]  # fmt: skip
        return {
            "received": received, "findings": findings, "decided": decided, "first_routings": int(first_routings),
            "touched": touched, "open": open_cases,
            "agencies": {code: name for code, name in await rows(select(Agency.code, Agency.name))},
        }  # fmt: skip

    async def trend(rows: Rows, sql: _Dialect) -> dict[str, Any]:
        """Daily intake and closing, the trend's cells, the ratings."""

        filed_day, closed_day = sql.local(c.created_at), sql.local(c.closed_at)
        ended = c.status.in_((Status.CLOSED.value, Status.REJECTED.value, Status.DUPLICATE.value))
        # "closed_day IS NOT NULL", not "closed_at IS NOT NULL": SQLite would read the latter
        # through ix_complaints_closed and the table instead of the covering index.
        days = [DayCount(date.fromordinal(o), bool(anon), n, 0) for o, anon, n in await rows(
            select(filed_day, c.anonymous, func.count()).where(cases).group_by(filed_day, c.anonymous)
        )] + [DayCount(date.fromordinal(o), bool(anon), 0, n) for o, anon, n in await rows(
            select(closed_day, c.anonymous, func.count()).where(cases, closed_day.is_not(None), ended).group_by(closed_day, c.anonymous)
        )]  # fmt: skip
        rated_in_period = and_(within(c.rated_at), c.rating.is_not(None))
        topic = case((anonymous, None), else_=c.topic)
        rated = [Rated(agency, topic_code, rating, n) for agency, topic_code, rating, n in await rows(
            select(c.agency_code, topic, c.rating, func.count()).where(cases, rated_in_period).group_by(c.agency_code, topic, c.rating)
        )]  # fmt: skip
        low = [LowRating(*row) for row in await rows(
            select(c.id, c.ticket, c.agency_code, c.rating).where(cases, rated_in_period, c.rating <= LOW_RATING, c.anonymous.is_(False))
        )]  # fmt: skip
        return {"days": days, "cells": await _cells(rows, sql, cases, unit, edges, period), "rated": rated, "low": low}

    async def handling(rows: Rows, sql: _Dialect) -> dict[str, Any]:
        """How long each stage took (the longest statement), the reminders."""

        nudges = _nudges(period.start, period.end)
        load = [
            Load(agency, int(reminders or 0), int(escalations or 0), int(overdue or 0))
            for agency, reminders, escalations, overdue in await rows(
                select(c.agency_code, func.sum(nudges.c.reminders), func.sum(nudges.c.escalations),
                       func.sum(case((and_(c.status == Status.VERIFIED.value, c.response_due < today), 1), else_=0)))
                .outerjoin(nudges, nudges.c.cid == c.id).where(cases, c.agency_code.is_not(None)).group_by(c.agency_code)
            )
        ]  # fmt: skip
        taken = await _taken(rows, sql, cases, within, calendar, today, period)
        return {"taken": taken, "load": load}

    importers[0] = 2
    counted = await asyncio.gather(lane(handling, exports=True), lane(intake, exports=False), lane(trend, exports=False))
    return Tallies(**{name: value for part in counted for name, value in part.items()})


async def figures(sessions: Sessions, period: Period, scope: Scope, policy: Policy, as_of: datetime) -> Figures:
    """The figures of `period` for `scope` (`policy.calendar` with the declared days off)."""
    return compute(await tallies(sessions, period, scope, policy.calendar, as_of), period, scope, policy, as_of)


async def _cells(rows: Rows, sql: _Dialect, cases: Any, unit: str, edges: list[tuple[str, date, date]], period: Period) -> list[Cell]:
    """Named cases per trend bucket, topic and kecamatan. Grouped by calendar month or by week
    (Monday-based, like the buckets), with whether filed before the period: its first bucket may
    begin mid-month or mid-week."""
    c = Complaint
    filed = sql.local(c.created_at)
    key = sql.month(c.created_at) if unit == "month" else (filed - literal_column("1", Integer)) // literal_column("7", Integer)  # day 1 was a Monday
    before = filed < literal_column(str(period.start.toordinal()))
    found = await rows(
        select(key, before, c.topic, c.kecamatan, func.count())
        .where(cases, c.anonymous.is_(False), c.kecamatan.is_not(None), filed >= edges[0][1].toordinal())
        .group_by(key, before, c.topic, c.kecamatan)
    )
    labels = {label: (s, e) for label, s, e in edges}
    cells = []
    for bucket, is_before, topic, kecamatan, n in found:
        if unit == "week":
            monday = date.fromordinal(int(bucket) * 7 + 1)
            year, week, _ = monday.isocalendar()
            bucket = f"{year}-W{week:02d}"
        span = labels.get(bucket)
        # In the period's first bucket, only what was filed in the period.
        if span is None or (bool(is_before) and span[0] >= period.start):
            continue
        cells.append(Cell(bucket, topic, kecamatan, n))
    return cells


async def _taken(rows: Rows, sql: _Dialect, cases: Any, within: Any, calendar: WorkCalendar, today: date,
                 period: Period) -> list[Taken]:
    """Working days each stage took, for the stages that ended in the period, less the working
    days paused waiting for the reporter (Diskominfo's questions for verification, the agency's
    for its answer, both for closing) — grouped by agency, days and deadline met.

    With `w(d)` the working days up to day `d` (`_Workdays`), "working days in (a, b]" is
    w(b) − w(a), and a pause's overlap with a stage is w(min(ends)) − w(max(starts)) where
    positive, as `cases.figures` counts them for one case."""
    c, a = Complaint, AuditEntry
    oldest = (await rows(select(func.min(c.created_at))))[0][0]
    if oldest is None:
        return []
    last = max(today, period.end)
    w = _Workdays(sql, calendar, calendar.local_date(instant(oldest)), last)  # type: ignore[arg-type]
    closed_in_period = and_(within(c.closed_at), c.status == Status.CLOSED.value)
    # Each stage's start and end as day numbers: filed, verified; routed (the routing the first
    # answer answered), answered; filed, closed.
    f, v = sql.local(c.created_at), sql.local(c.verified_at)
    r, a_, k = func.coalesce(sql.local(c.first_response_routed_at), f), sql.local(c.first_response_at), sql.local(c.closed_at)
    m = (
        select(
            c.id, c.agency_code.label("agency"), c.rating, f.label("f"), v.label("v"), r.label("r"), a_.label("a"), k.label("k"),
            sql.day(c.verification_due).label("vdue"), sql.day(c.first_response_due).label("rdue"),
            within(c.verified_at).label("vp"), within(c.first_response_at).label("ap"), closed_in_period.label("kp"),
        )
        .where(cases, or_(within(c.verified_at), within(c.first_response_at), closed_in_period))
        .cte("m").prefix_with("MATERIALIZED")  # day numbers worked out once per case
    )  # fmt: skip

    # A question opens a pause that the reporter's answer ends; a second question before the answer
    # replaces the first; an unanswered one runs to today (as `_pauses` reads them).
    window = {"partition_by": a.complaint_id, "order_by": (a.at, a.id)}
    marks = (
        select(a.complaint_id.label("cid"), a.action, a.at, func.lead(a.action).over(**window).label("next_action"),
               func.lead(a.at).over(**window).label("next_at"))
        .where(a.action.in_((*PAUSES, "answer_info")))  # read from ix_audit_action_at; few cases ever pause
        .subquery("marks")
    )  # fmt: skip
    answered = marks.c.next_action == "answer_info"
    pause = (
        select(marks.c.cid, (marks.c.action == "agency_request_info").label("by_agency"), sql.local(marks.c.at).label("ps"),
               case((answered, sql.local(marks.c.next_at)), else_=literal_column(str(today.toordinal()))).label("pe"))
        .where(marks.c.action.in_(PAUSES), or_(marks.c.next_action.is_(None), answered))
        .cte("pause").prefix_with("MATERIALIZED")
    )  # fmt: skip
    zero = literal_column("0")

    def overlap(start: Any, stop: Any) -> Any:
        return sql.greatest(zero, w(sql.least(pause.c.pe, stop)) - w(sql.greatest(pause.c.ps, start)))

    by_agency = pause.c.by_agency.is_(True)
    # Read beside the case row (its primary key): the few paused cases' stages again.
    paused = (
        select(
            c.id,
            func.sum(case((by_agency, zero), else_=overlap(f, v))).label("pv"),
            func.sum(case((by_agency, overlap(r, a_)), else_=zero)).label("pr"),
            func.sum(overlap(f, k)).label("pk"),
        )
        .select_from(pause).join(c, c.id == pause.c.cid)
        .group_by(c.id)
        .subquery("paused")
    )  # fmt: skip
    timed = (
        select(
            m.c.agency, m.c.rating, m.c.vp, m.c.ap, m.c.kp,
            sql.greatest(zero, w(m.c.v) - w(m.c.f) - func.coalesce(paused.c.pv, zero)).label("vdays"),
            (m.c.v <= m.c.vdue).label("vin"),
            sql.greatest(zero, w(m.c.a) - w(m.c.r) - func.coalesce(paused.c.pr, zero)).label("rdays"),
            and_(m.c.rdue.is_not(None), m.c.a <= m.c.rdue).label("rin"),
            sql.greatest(zero, w(m.c.k) - w(m.c.f) - func.coalesce(paused.c.pk, zero)).label("kdays"),
        )
        .outerjoin(paused, paused.c.id == m.c.id)
        .cte("timed").prefix_with("MATERIALIZED")
    )  # fmt: skip
    t = timed.c

    def stage(name: str, days: Any, in_time: Any, ended: Any) -> Any:
        return (select(literal(name), t.agency, days, in_time, func.count(), func.count(t.rating))
                .where(ended.is_(True)).group_by(t.agency, days, in_time))  # fmt: skip

    parts = union_all(
        stage("verification", t.vdays, t.vin, t.vp),
        stage("response", t.rdays, t.rin, t.ap),
        stage("close", t.kdays, literal(None, Boolean), t.kp),
    ).subquery("stages")
    found = await rows(select(parts))
    return [Taken(name, agency, int(days), None if in_time is None else bool(in_time), n, rated)
            for name, agency, days, in_time, n, rated in found]  # fmt: skip


class _Workdays:
    """w(d): the working days up to day number `d` (`date.toordinal()`), as an SQL expression —
    the weekdays by arithmetic (day 1, 0001-01-01, was a Monday), less the days off on weekdays
    before it (holidays, cuti bersama, declared days off: `WorkCalendar`) found by a binary
    search written as nested CASEs. No table to join: a year of cases evaluates it a million
    times. Only differences of w are used, so days off before `first` may be left out."""

    def __init__(self, sql: _Dialect, calendar: WorkCalendar, first: date, last: date) -> None:
        self.sql = sql
        days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
        self.off = [day.toordinal() for day in days if day.weekday() < 5 and not calendar.is_working_day(day)]

    def __call__(self, day: Any) -> Any:
        one, five, seven = (literal_column(str(n), Integer) for n in (1, 5, 7))
        day = type_coerce(day, Integer)
        weeks, into = (day - one) // seven, (day - one) % seven
        weekdays = five * weeks + self.sql.least(into + one, five)
        return weekdays - self._off_up_to(day, 0, len(self.off))

    def _off_up_to(self, day: Any, lo: int, hi: int) -> Any:
        """How many of self.off[lo:hi] are ≤ day, given that all before lo are and none from hi is."""
        if lo >= hi:
            return literal_column(str(lo))
        middle = (lo + hi) // 2
        return case((day >= literal_column(str(self.off[middle])), self._off_up_to(day, middle + 1, hi)),
                    else_=self._off_up_to(day, lo, middle))  # fmt: skip


def _nudges(since: date, until: date) -> Any:
    """Per case, the reminders to its agency's officers and the escalations (head, admins) sent
    on days in [since, until]."""
    return (
        select(
            Reminder.complaint_id.label("cid"),
            func.sum(case((Reminder.tier == OFFICERS, 1), else_=0)).label("reminders"),
            func.sum(case((Reminder.tier.in_((HEAD, ADMINS)), 1), else_=0)).label("escalations"),
        )
        .where(Reminder.kind.in_(AGENCY_REMINDERS), Reminder.complaint_id.is_not(None),
               Reminder.day >= since, Reminder.day <= until)  # fmt: skip
        .group_by(Reminder.complaint_id)
        .subquery("n")
    )


async def _pauses(session: AsyncSession, selected: Select) -> list[Pause]:
    """The selected cases' pauses: each question to the reporter until its answer."""
    a = AuditEntry
    marks = await (await session.connection()).execute(
        select(a.complaint_id, a.action, raw(a.at))
        .where(a.action.in_((*PAUSES, "answer_info")), a.complaint_id.in_(selected))
        .order_by(a.complaint_id, a.at, a.id)
    )
    pauses: list[Pause] = []
    open_pause: dict[int, tuple[datetime, bool]] = {}
    for cid, action, moment in marks:
        at = instant(moment)
        assert at is not None
        if action in PAUSES:
            open_pause[cid] = (at, action == "agency_request_info")
        elif cid in open_pause:
            began, by_agency = open_pause.pop(cid)
            pauses.append(Pause(cid, began, at, by_agency))
    return pauses + [Pause(cid, began, None, by_agency) for cid, (began, by_agency) in open_pause.items()]


async def agencies(session: AsyncSession) -> list[Agency]:
    return list(await session.scalars(select(Agency).order_by(Agency.code)))


def _received(period: Period, tz: ZoneInfo, agency: str | None) -> object:
    start, end = bounds(period, tz)
    return and_(Complaint.created_at >= start, Complaint.created_at < end,
                Complaint.agency_code == agency if agency is not None else literal(True))  # fmt: skip


async def received(session: AsyncSession, period: Period, tz: ZoneInfo, agency: str | None = None,
                   chunk: int = 2000) -> AsyncIterator[tuple[CaseRow, str]]:
    """The cases filed in the period (one agency's, or all) with their titles, oldest first,
    streamed in chunks: the Data sheet of a report, in flat memory however many there are."""
    # Every reminder ever sent about each case, not only the period's.
    query = _case_query(_received(period, tz, agency), date.min, date.max, with_title=True)
    # Whistleblowers' cases last, in no order of filing: a row's place must not date it.
    query = query.order_by(None).order_by(Complaint.anonymous, case((Complaint.anonymous.is_(True), Complaint.pseudonym)), Complaint.id)
    result = await (await session.connection()).stream(query.execution_options(yield_per=chunk))
    async for rows in result.partitions():
        for row in rows:
            yield _row(row), row[25]


async def pauses_of_received(session: AsyncSession, period: Period, tz: ZoneInfo, agency: str | None = None) -> list[Pause]:
    return await _pauses(session, select(Complaint.id).where(_received(period, tz, agency)))  # type: ignore[arg-type]
