"""The rows the figures are computed from (`cases.figures`), aggregated in SQL.

One query gives every case that matters for the period with its milestones (kept on the case row
as they happen, with the audit row of the moment: `storage.cases.record`) and the reminders sent
about it in the period; one the period's decisions, one the pauses. The indexes of migration 0009
serve them. The whole regency is loaded: an agency's figures are shown beside the regency's, and
`cases.figures` narrows the scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.types import NullType

from cases.figures import CaseRow, Dataset, Event, Pause, Period, lookback_start
from cases.reminders import ADMINS, HEAD, OFFICERS, Kind
from storage.models import Agency, AuditEntry, Complaint, Reminder

DECISIONS = ("verify_and_route", "reject", "mark_duplicate", "not_ours", "respond", "reopen")
VERIFICATIONS = ("verify_and_route", "reject", "mark_duplicate")
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


def _case_query(where: object, reminders_since: object, reminders_until: object, *, with_title: bool = False) -> Select:
    """The cases with their milestones (on the case row: see `Complaint`) and the reminders and
    escalations about each in [reminders_since, reminders_until]."""
    nudges = (
        select(
            Reminder.complaint_id.label("cid"),
            func.sum(case((Reminder.tier == OFFICERS, 1), else_=0)).label("reminders"),
            func.sum(case((Reminder.tier.in_((HEAD, ADMINS)), 1), else_=0)).label("escalations"),
        )
        .where(Reminder.kind.in_(AGENCY_REMINDERS), Reminder.complaint_id.is_not(None),
               Reminder.day >= reminders_since, Reminder.day <= reminders_until)  # fmt: skip
        .group_by(Reminder.complaint_id)
        .subquery("n")
    )
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


async def dataset(session: AsyncSession, period: Period, tz: ZoneInfo) -> Dataset:
    """Everything `cases.figures.compute` needs for `period`, regency-wide."""
    start, end = bounds(period, tz)
    lookback = _instant(lookback_start(period), tz)
    where = _relevant(start, end, lookback)
    connection = await session.connection()  # Core rows: no ORM bookkeeping for plain columns
    # Converted a chunk at a time: the driver's rows never all live beside the cases made of them.
    result = await connection.stream(_case_query(where, period.start, period.end).execution_options(yield_per=5000))
    cases = [_row(r) async for chunk in result.partitions() for r in chunk]
    first_routing = {c.id: c.first_routed_at for c in cases}

    a = AuditEntry
    decided = await connection.stream(
        select(a.complaint_id, a.action, raw(a.at), a.agency_code, raw(a.due), a.code)
        .where(a.action.in_(DECISIONS), a.at >= start, a.at < end).execution_options(yield_per=5000)
    )
    events = []
    async for chunk in decided.partitions():
        for cid, action, at, agency, due, code in chunk:
            moment = instant(at)
            events.append(Event(cid, action, moment, agency, day(due), code,  # type: ignore[arg-type]
                                action == "verify_and_route" and moment == first_routing.get(cid)))  # fmt: skip

    pauses = await _pauses(session, select(Complaint.id).where(where))  # type: ignore[arg-type]
    names = {code: name for code, name in (await connection.execute(select(Agency.code, Agency.name))).all()}
    return Dataset(cases=cases, events=events, pauses=pauses, agencies=names)


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
