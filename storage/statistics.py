"""The rows the figures are computed from (`cases.figures`), aggregated in SQL.

One query gives every case that matters for the period with its milestones (the first
verification, routing, answer, the last rating: MIN/MAX over its audit rows, per case), one the
period's decisions, one the pauses. The indexes of migration 0009 serve them. The whole regency is
loaded: an agency's figures are shown beside the regency's, and `cases.figures` narrows the scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

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


def _milestones() -> Select:
    """Per case: the first verification decision, routing and answer; the last rating."""
    a = AuditEntry
    return (
        select(
            a.complaint_id.label("cid"),
            func.min(case((a.action.in_(VERIFICATIONS), a.at))).label("verified_at"),
            func.min(case((a.action == "verify_and_route", a.at))).label("first_routed_at"),
            func.min(case((a.action == "respond", a.at))).label("first_response_at"),
            func.max(case((a.action == "rate", a.at))).label("rated_at"),
        )
        .group_by(a.complaint_id)
    )


def _relevant(start: datetime, end: datetime, lookback: datetime) -> object:
    """Cases the period's figures need: filed before its end and either filed in it (or in the
    spike baseline before it), not closed before it began (open through it, closed in or after it,
    or open now), or decided on in it."""
    decided = select(AuditEntry.complaint_id).where(AuditEntry.action.in_(DECISIONS), AuditEntry.at >= start, AuditEntry.at < end)
    return and_(
        Complaint.created_at < end,
        or_(
            Complaint.created_at >= lookback,
            Complaint.closed_at.is_(None),
            Complaint.closed_at >= start,
            Complaint.id.in_(decided),
        ),
    )


def _case_query(where: object, reminders_since: object, reminders_until: object, *, with_title: bool = False) -> Select:
    milestones = _milestones().subquery("m")
    # The routing the first answer answered, and the agency's deadline when it did.
    routed = (
        select(AuditEntry.complaint_id.label("cid"), func.max(AuditEntry.at).label("routed_at"))
        .join(milestones, milestones.c.cid == AuditEntry.complaint_id)
        .where(AuditEntry.action == "verify_and_route", AuditEntry.at <= milestones.c.first_response_at)
        .group_by(AuditEntry.complaint_id)
        .subquery("r")
    )
    answered = (
        select(AuditEntry.complaint_id.label("cid"), func.min(AuditEntry.due).label("due"))
        .join(milestones, milestones.c.cid == AuditEntry.complaint_id)
        .where(AuditEntry.action == "respond", AuditEntry.at == milestones.c.first_response_at)
        .group_by(AuditEntry.complaint_id)
        .subquery("d")
    )
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
            c.created_at, c.verification_due, c.response_due, milestones.c.verified_at, milestones.c.first_routed_at,
            milestones.c.first_response_at, routed.c.routed_at, answered.c.due, c.closed_at, c.rating,
            milestones.c.rated_at, c.reopen_count, c.maladministration, c.lapor_number,
            func.coalesce(nudges.c.reminders, 0), func.coalesce(nudges.c.escalations, 0),
            *([c.title] if with_title else []),
        )
        .outerjoin(milestones, milestones.c.cid == c.id)
        .outerjoin(routed, routed.c.cid == c.id)
        .outerjoin(answered, answered.c.cid == c.id)
        .outerjoin(nudges, nudges.c.cid == c.id)
        .where(where)  # type: ignore[arg-type]
        .order_by(c.id)
    )


def _as_utc(value: datetime | None) -> datetime | None:
    """Aggregates (MIN/MAX) come back without the column's type: SQLite gives text, PostgreSQL an
    aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value)[:10])


def _row(r: tuple) -> CaseRow:  # type: ignore[type-arg]
    r = r[:25]
    (cid, ticket, report_class, topic, agency, kecamatan, privacy, anonymous, status, created_at, verification_due,
     response_due, verified_at, first_routed_at, first_response_at, routed_at, first_due, closed_at, rating, rated_at,
     reopen_count, maladministration, lapor_number, reminders, escalations) = r  # fmt: skip
    return CaseRow(
        id=cid, ticket=ticket, report_class=report_class, topic=topic, agency=agency,
        kecamatan=None if anonymous else kecamatan, privacy=privacy, anonymous=bool(anonymous), status=status,
        created_at=created_at, verification_due=verification_due, response_due=response_due,
        verified_at=_as_utc(verified_at), first_routed_at=_as_utc(first_routed_at),
        first_response_at=_as_utc(first_response_at), response_routed_at=_as_utc(routed_at),
        first_response_due=_as_date(first_due), closed_at=closed_at, rating=rating,
        rated_at=_as_utc(rated_at), reopen_count=reopen_count or 0, maladministration=maladministration,
        lapor_number=lapor_number, reminders=int(reminders or 0), escalations=int(escalations or 0),
    )  # fmt: skip


async def dataset(session: AsyncSession, period: Period, tz: ZoneInfo) -> Dataset:
    """Everything `cases.figures.compute` needs for `period`, regency-wide."""
    start, end = bounds(period, tz)
    lookback = _instant(lookback_start(period), tz)
    where = _relevant(start, end, lookback)
    rows = (await session.execute(_case_query(where, period.start, period.end))).all()
    cases = [_row(tuple(r)) for r in rows]
    first_routing = {c.id: c.first_routed_at for c in cases}

    a = AuditEntry
    decided = await session.execute(
        select(a.complaint_id, a.action, a.at, a.agency_code, a.due, a.code)
        .where(a.action.in_(DECISIONS), a.at >= start, a.at < end)
        .order_by(a.at, a.id)
    )
    events = [Event(cid, action, at, agency, due, code, action == "verify_and_route" and at == first_routing.get(cid))
              for cid, action, at, agency, due, code in decided]  # fmt: skip

    pauses = await _pauses(session, select(Complaint.id).where(where))  # type: ignore[arg-type]
    names = {code: name for code, name in (await session.execute(select(Agency.code, Agency.name))).all()}
    return Dataset(cases=cases, events=events, pauses=pauses, agencies=names)


async def _pauses(session: AsyncSession, selected: Select) -> list[Pause]:
    """The selected cases' pauses: each question to the reporter until its answer."""
    a = AuditEntry
    marks = await session.execute(
        select(a.complaint_id, a.action, a.at)
        .where(a.action.in_((*PAUSES, "answer_info")), a.complaint_id.in_(selected))
        .order_by(a.complaint_id, a.at, a.id)
    )
    pauses: list[Pause] = []
    open_pause: dict[int, tuple[datetime, bool]] = {}
    for cid, action, at in marks:
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
    result = await session.stream(query.execution_options(yield_per=chunk))
    async for row in result:
        values = tuple(row)
        yield _row(values), values[25]


async def pauses_of_received(session: AsyncSession, period: Period, tz: ZoneInfo, agency: str | None = None) -> list[Pause]:
    return await _pauses(session, select(Complaint.id).where(_received(period, tz, agency)))  # type: ignore[arg-type]
