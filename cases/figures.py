"""Problem mapping: the figures Diskominfo, the Bupati and agency heads read, for a period and a scope.

Pure functions, like the case rules beside them: no Telegram, no SQL. `storage.statistics`
aggregates the rows below in SQL (one row per case with its milestones, the period's events, the
pauses); `compute` counts, times and ranks them. Nothing reads a counter that could drift: every
figure comes from complaint rows and their audit trail.

Definitions (a period is a range of local dates in WITA, both ends included):

* **Intake** counts the cases received in the period, by report class, topic, kecamatan and
  privacy; and the period's decisions: first verifications (routed), rejections per listed reason,
  duplicates, *bukan wewenang* returns, re-routes (a routing that was not the case's first) and
  reopenings. In an agency's scope, the decisions about that agency count even on cases that have
  moved on to another.
* **Speed**, in working days (`WorkCalendar`: Monday–Friday minus holidays, cuti bersama and
  declared days off), without the working days the clock was paused waiting for the reporter:
  verification (filing → first routing, rejection or merge), for verifications made in the period;
  the agency's first response (its routing → its first answer), for first answers given in the
  period; closing (filing → closed), for cases closed in the period. Each has a median, a p90
  (nearest rank) and the share within its deadline — the verification deadline, the agency's
  deadline in force when it answered, and for closing the national app's whole path
  (verification + answer + the silent days before *Selesai*). Open cases overdue now and open cases
  by age are as of `as_of`, the moment the figures are made.
* **Agency scorecard**: per agency, its routings, first answers (and how many on time, the median
  time), returns, reopenings, the reminders and escalations sent about its cases, the ratings given
  to its answers, and its cases overdue now — all in the period but the last. An agency with fewer
  than `SMALL_SAMPLE` cases in the period is marked `small` and never ranked.
* **Maladministration**: the Ombudsman's ten forms among the period's received cases, per agency
  and per month.
* **Satisfaction**: ratings given in the period (1–5 distribution, averages per agency and topic,
  the low ones), and the share of the period's first answers that have been rated.
* **Trend**: per week (periods up to `WEEKLY_UP_TO` days) or per month, received, closed and the
  open backlog at the end of each; a *spike* is a topic in a kecamatan whose count in a bucket is
  at least twice its average over the three buckets before, and at least 3.

A whistleblower's case counts in totals and per agency only: it has no kecamatan and no topic
here, is never listed by ticket, and is left out of a weekly trend (its dates are known to the day
only inside the case; the figures never show it finer than the month).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple

from cases.calendar import WorkCalendar
from cases.model import OPEN_STATUSES, Status
from cases.workflow import Policy

SMALL_SAMPLE = 5
WEEKLY_UP_TO = 92  # days: a period up to a quarter is shown per week, a longer one per month
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (("0-5", 0, 5), ("6-14", 6, 14), ("15-60", 15, 60), (">60", 61, None))
SPIKE_FACTOR, SPIKE_MIN, SPIKE_LOOKBACK = 2, 3, 3
LOW_RATING = 2


# -- what storage gives ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # included

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period ends on or after it starts ({self.start} .. {self.end})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Scope:
    """Which cases: the whole regency, or one agency, kecamatan or topic (a parent code takes its children)."""

    agency: str | None = None
    kecamatan: str | None = None
    topic: str | None = None

    @property
    def regency(self) -> bool:
        return self.agency is None and self.kecamatan is None and self.topic is None


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One case with its milestones: the first time each happened (from the audit trail)."""

    id: int
    ticket: str
    report_class: str
    topic: str
    agency: str | None  # where the case is now (or was last)
    kecamatan: str | None  # None for a whistleblower's case, or when not given
    privacy: str
    anonymous: bool
    status: str
    created_at: datetime
    verification_due: date
    response_due: date | None
    verified_at: datetime | None = None  # the first verification decision: routed, rejected or merged
    first_routed_at: datetime | None = None
    first_response_at: datetime | None = None
    response_routed_at: datetime | None = None  # the routing that the first response answered
    first_response_due: date | None = None  # the agency's deadline when it first answered
    closed_at: datetime | None = None
    rating: int | None = None
    rated_at: datetime | None = None
    reopen_count: int = 0
    maladministration: str | None = None
    lapor_number: str | None = None
    reminders: int = 0  # reminders to the agency's officers about this case, in the period
    escalations: int = 0  # to its head or the admins, in the period


@dataclass(frozen=True, slots=True)
class Event:
    """A decision in the period: verify_and_route, reject, mark_duplicate, not_ours, respond,
    reopen. `agency` is the agency concerned (routed to, returning, answering); `first` says a
    routing was the case's first."""

    case_id: int
    action: str
    at: datetime
    agency: str | None = None
    due: date | None = None
    code: str | None = None
    first: bool = False


@dataclass(frozen=True, slots=True)
class Pause:
    """The clock stood still: a question to the reporter (`agency` False: Diskominfo's) until the
    answer (`end`, None while unanswered)."""

    case_id: int
    start: datetime
    end: datetime | None
    agency: bool


@dataclass
class Dataset:
    cases: Sequence[CaseRow]
    events: Sequence[Event] = ()
    pauses: Sequence[Pause] = ()
    agencies: dict[str, str] = field(default_factory=dict)  # code -> name, inactive ones included


# -- what the figures say -------------------------------------------------------------------------


@dataclass(frozen=True)
class Duration:
    """Working days taken by `n` cases: median, p90 (nearest rank), and how many met the deadline."""

    n: int = 0
    median: float | None = None
    p90: int | None = None
    within: int = 0

    @property
    def share_within(self) -> float | None:
        return self.within / self.n if self.n else None


@dataclass(frozen=True)
class Intake:
    received: int = 0
    by_class: dict[str, int] = field(default_factory=dict)
    by_topic: dict[str, int] = field(default_factory=dict)  # as filed (a child code, or a parent without children)
    by_parent_topic: dict[str, int] = field(default_factory=dict)
    by_kecamatan: dict[str, int] = field(default_factory=dict)
    by_privacy: dict[str, int] = field(default_factory=dict)
    anonymous: int = 0
    verified: int = 0  # first routings in the period
    rejected: dict[str, int] = field(default_factory=dict)  # per reason code
    duplicates: int = 0
    returned: int = 0  # *bukan wewenang*
    rerouted: int = 0
    reopened: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass(frozen=True)
class OpenCase:
    id: int
    ticket: str
    agency: str | None
    age: int  # working days since filing
    waiting: str  # "verification" | "agency" | "reporter"
    due: date | None
    late: int  # working days past the deadline (0: not late, or late since a day off only)


@dataclass(frozen=True)
class Speed:
    verification: Duration = Duration()
    first_response: Duration = Duration()
    close: Duration = Duration()
    overdue: tuple[OpenCase, ...] = ()  # named cases, most late first
    overdue_count: int = 0  # whistleblowers' included
    ageing: dict[str, tuple[OpenCase, ...]] = field(default_factory=dict)  # bucket -> named cases, oldest first
    ageing_count: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AgencyScore:
    code: str
    name: str
    cases: int  # distinct cases the agency had in the period (routed, answered, returned, reopened)
    routed: int
    answered: int
    on_time: int
    median_response: float | None
    returned: int
    reopened: int
    reminders: int
    escalations: int
    rated: int
    average_rating: float | None
    overdue_now: int
    small: bool
    rank: int | None = None  # 1 = best share on time; None for a small sample

    @property
    def share_on_time(self) -> float | None:
        return self.on_time / self.answered if self.answered else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.answered if self.answered else None


@dataclass(frozen=True)
class Maladministration:
    total: int = 0
    by_form: dict[str, int] = field(default_factory=dict)
    by_agency: dict[str, dict[str, int]] = field(default_factory=dict)  # agency -> form -> count
    by_month: dict[str, dict[str, int]] = field(default_factory=dict)  # "2026-11" -> form -> count


@dataclass(frozen=True)
class LowRating:
    id: int
    ticket: str
    agency: str | None
    rating: int


@dataclass(frozen=True)
class Satisfaction:
    distribution: dict[int, int] = field(default_factory=lambda: {n: 0 for n in range(1, 6)})
    rated: int = 0
    average: float | None = None
    by_agency: dict[str, tuple[int, float]] = field(default_factory=dict)  # agency -> (n, average)
    by_topic: dict[str, tuple[int, float]] = field(default_factory=dict)  # parent topic -> (n, average)
    answered: int = 0  # first answers in the period
    answered_rated: int = 0  # ... of which rated since
    low: tuple[LowRating, ...] = ()  # named cases rated 1 or 2 in the period

    @property
    def share_rated(self) -> float | None:
        return self.answered_rated / self.answered if self.answered else None


@dataclass(frozen=True)
class Bucket:
    label: str  # "2026-11" or "2026-W47"
    start: date
    end: date
    received: int
    closed: int
    backlog: int  # open at the bucket's end


@dataclass(frozen=True)
class Spike:
    bucket: str
    topic: str  # parent code
    kecamatan: str
    count: int
    baseline: float  # average of the previous three buckets


@dataclass(frozen=True)
class Trend:
    unit: str = "month"  # "week" | "month"
    buckets: tuple[Bucket, ...] = ()
    spikes: tuple[Spike, ...] = ()


@dataclass(frozen=True)
class TopicGrid:
    """Received cases per (parent topic, kecamatan): the heat table."""

    cells: dict[tuple[str, str], int] = field(default_factory=dict)
    topics: tuple[str, ...] = ()  # most cases first
    kecamatan: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figures:
    period: Period
    scope: Scope
    as_of: datetime
    intake: Intake
    speed: Speed
    agencies: tuple[AgencyScore, ...]  # ranked first, then the small samples, by name
    maladministration: Maladministration
    satisfaction: Satisfaction
    trend: Trend
    grid: TopicGrid


# -- working days, fast ---------------------------------------------------------------------------


class WorkdayIndex:
    """Working days between dates as a difference of prefix sums: `between(a, b)` equals
    `WorkCalendar.working_days_between(a, b)` (working days in (a, b]), in constant time."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        self.calendar = calendar
        self.first = first - timedelta(days=1)
        self._sums = [0]
        day, total = self.first, 0
        while day < last:
            day += timedelta(days=1)
            total += calendar.is_working_day(day)
            self._sums.append(total)

        self._base = self.first.toordinal()

    def _at(self, day: date) -> int:
        offset = day.toordinal() - self._base
        if 0 <= offset < len(self._sums):
            return self._sums[offset]
        # Outside the prepared range (a stray date): count it the slow way.
        edge = self.first if offset < 0 else self.first + timedelta(days=len(self._sums) - 1)
        return self._at(edge) + self.calendar.working_days_between(edge, day)

    def between(self, start: date, end: date) -> int:
        sums, base = self._sums, self._base
        a, b = start.toordinal() - base, end.toordinal() - base
        if 0 <= a < len(sums) and 0 <= b < len(sums):  # the usual case, without a call
            return sums[b] - sums[a]
        return self._at(end) - self._at(start)


# -- helpers --------------------------------------------------------------------------------------


def parent_topic(code: str) -> str:
    return code.split(".", 1)[0]


def _median(values: Sequence[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _p90(values: Sequence[int]) -> int | None:
    """Nearest rank: the smallest value with at least 90% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _duration(samples: Sequence[tuple[int, bool]]) -> Duration:
    days = [d for d, _ in samples]
    return Duration(len(samples), _median(days), _p90(days), sum(1 for _, ok in samples if ok))


def in_scope(case: CaseRow, scope: Scope) -> bool:
    if scope.agency is not None and case.agency != scope.agency:
        return False
    if scope.kecamatan is not None and (case.anonymous or case.kecamatan != scope.kecamatan):
        return False
    if scope.topic is not None:
        if case.anonymous:
            return False
        if case.topic != scope.topic and parent_topic(case.topic) != scope.topic:
            return False
    return True


def _bucket_edges(period: Period, unit: str, extra_before: int = 0) -> list[tuple[str, date, date]]:
    """The period's buckets (the first and last clipped to it), plus `extra_before` whole buckets
    before it for the spike baseline."""
    edges: list[tuple[str, date, date]] = []
    if unit == "week":
        start = period.start - timedelta(days=period.start.weekday())
        start -= timedelta(weeks=extra_before)
        while start <= period.end:
            end = start + timedelta(days=6)
            year, week, _ = start.isocalendar()
            edges.append((f"{year}-W{week:02d}", start, end))
            start = end + timedelta(days=1)
    else:
        year, month = period.start.year, period.start.month
        for _ in range(extra_before):
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        while date(year, month, 1) <= period.end:
            nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
            edges.append((f"{year}-{month:02d}", date(year, month, 1), nxt - timedelta(days=1)))
            year, month = nxt.year, nxt.month
    first, last = edges[extra_before], edges[-1]
    edges[extra_before] = (first[0], max(first[1], period.start), first[2])
    edges[-1] = (last[0], edges[-1][1], min(last[2], period.end))
    return edges


def lookback_start(period: Period) -> date:
    """The first day storage must load cases from, for the spike baseline."""
    unit = "week" if period.days <= WEEKLY_UP_TO else "month"
    return _bucket_edges(period, unit, SPIKE_LOOKBACK)[0][1]


# -- one case ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timings:
    """How long a case took at each stage, in working days less its pauses, and whether in time."""

    verification_days: int | None = None
    verification_in_time: bool | None = None
    response_days: int | None = None
    response_in_time: bool | None = None
    close_days: int | None = None
    close_in_time: bool | None = None


def timings(case: CaseRow, policy: Policy, index: WorkdayIndex, spans: Mapping[bool, Sequence[tuple[date, date]]]) -> Timings:
    """`spans`: the case's pauses as local dates, by whose question (True: the agency's)."""
    return _timings_of(case, _days_of(case, policy.calendar.local_date), policy, index, spans)


@dataclass(frozen=True, slots=True)
class DataRow:
    """One case as an export's Data sheet shows it. A whistleblower's has its month only: no exact
    date, no kecamatan, no title, and no ticket (tickets are numbered in order: the neighbours'
    dates would date it)."""

    ticket: str
    report_class: str
    topic: str
    agency: str | None
    kecamatan: str | None
    status: str
    month: str  # "2026-11", the month it was filed
    title: str | None
    submitted: date | None
    verified: date | None
    routed: date | None
    first_response: date | None
    closed: date | None
    verification_due: date | None
    response_due: date | None
    timings: Timings
    reminders: int
    rating: int | None
    lapor_number: str | None
    anonymous: bool


def data_row(case: CaseRow, title: str | None, policy: Policy, index: WorkdayIndex,
             spans: Mapping[bool, Sequence[tuple[date, date]]]) -> DataRow:
    local = policy.calendar.local_date

    def day(moment: datetime | None) -> date | None:
        return None if moment is None or case.anonymous else local(moment)

    taken = timings(case, policy, index, spans)
    return DataRow(
        ticket="" if case.anonymous else case.ticket, report_class=case.report_class, topic=case.topic, agency=case.agency,
        kecamatan=None if case.anonymous else case.kecamatan, status=case.status,
        month=local(case.created_at).strftime("%Y-%m"), title=None if case.anonymous else title,
        submitted=day(case.created_at), verified=day(case.verified_at), routed=day(case.first_routed_at),
        first_response=day(case.first_response_at), closed=day(case.closed_at),
        verification_due=None if case.anonymous else case.verification_due,
        response_due=None if case.anonymous else case.response_due,
        timings=taken, reminders=case.reminders, rating=case.rating, lapor_number=case.lapor_number,
        anonymous=case.anonymous,
    )  # fmt: skip


def spans_of(pauses: Iterable[Pause], local, today: date) -> dict[int, dict[bool, list[tuple[date, date]]]]:  # type: ignore[no-untyped-def]
    """Per case, its pauses as (start, end) local dates by whose question; an open one runs to today."""
    spans: dict[int, dict[bool, list[tuple[date, date]]]] = defaultdict(lambda: defaultdict(list))
    for pause in pauses:
        end = local(pause.end) if pause.end is not None else today
        spans[pause.case_id][pause.agency].append((local(pause.start), end))
    return spans


# -- the computation ------------------------------------------------------------------------------


def local_dates(calendar: WorkCalendar, first: date, last: date) -> Callable[[datetime], date]:
    """`calendar.local_date`, fast for UTC instants when the zone keeps one offset over [first,
    last] (WITA has no daylight saving): a year's figures convert a million instants."""
    tz = calendar.tz
    offsets = {tz.utcoffset(datetime.combine(first + timedelta(days=d), time(12))) for d in range(0, (last - first).days + 8, 7)}
    if len(offsets) != 1 or None in offsets:
        return calendar.local_date
    offset = offsets.pop()
    assert offset is not None

    def convert(moment: datetime) -> date:
        if moment.tzinfo is timezone.utc:
            return (moment + offset).date()
        return calendar.local_date(moment)

    return convert


class _Days(NamedTuple):
    """A case's moments as local dates, converted once for all the passes below."""

    filed: date
    verified: date | None
    routed: date | None  # the routing its first answer answered
    answered: date | None
    closed: date | None
    rated: date | None


def _days_of(case: CaseRow, local: Callable[[datetime], date]) -> _Days:
    filed = local(case.created_at)
    return _Days(
        filed,
        local(case.verified_at) if case.verified_at else None,
        local(case.response_routed_at) if case.response_routed_at else filed,
        local(case.first_response_at) if case.first_response_at else None,
        local(case.closed_at) if case.closed_at else None,
        local(case.rated_at) if case.rated_at else None,
    )


def _timings_of(case: CaseRow, d: _Days, policy: Policy, index: WorkdayIndex,
                spans: Mapping[bool, Sequence[tuple[date, date]]]) -> Timings:
    """As `timings`, from dates already converted."""
    verification_days = response_days = close_days = None
    verification_in_time = response_in_time = close_in_time = None
    if d.verified is not None:
        verification_days = _taken(index, d.filed, d.verified, spans.get(False, ()))
        verification_in_time = d.verified <= case.verification_due
    if d.answered is not None:
        response_days = _taken(index, d.routed or d.filed, d.answered, spans.get(True, ()))
        response_in_time = case.first_response_due is not None and d.answered <= case.first_response_due
    if d.closed is not None and case.status == Status.CLOSED:
        close_days = _taken(index, d.filed, d.closed, [*spans.get(False, ()), *spans.get(True, ())])
        # Closing is measured against the national app's whole path: verification, the agency's
        # answer, and the silent days before *Selesai*.
        close_in_time = close_days <= policy.verification_days + policy.response_days + policy.auto_close_days
    return Timings(verification_days, verification_in_time, response_days, response_in_time, close_days, close_in_time)


def compute(data: Dataset, period: Period, scope: Scope, policy: Policy, as_of: datetime) -> Figures:
    """The figures of `period` for `scope`, as of `as_of` (the open cases' state is now's)."""
    calendar = policy.calendar
    today = calendar.local_date(as_of)
    cases = [c for c in data.cases if in_scope(c, scope)]
    first = min([lookback_start(period), today, *(c.created_at.date() - timedelta(days=1) for c in cases)])
    local = local_dates(calendar, first, max(today, period.end))
    by_id = {c.id: c for c in cases}
    events = [e for e in data.events if period.holds(local(e.at))
              and (e.case_id in by_id or (scope.agency is not None and e.agency == scope.agency))]
    # Deadlines run a little past today: the index covers them too.
    index = WorkdayIndex(calendar, first, max(today, period.end) + timedelta(days=120))
    paused = spans_of((p for p in data.pauses if p.case_id in by_id), local, today)

    days = {c.id: _days_of(c, local) for c in cases}
    received = [c for c in cases if period.holds(days[c.id].filed)]
    intake = _intake(received, events)  # in an agency scope, its own decisions on cases that moved on too
    memo: dict[int, Timings] = {}

    def timed(case: CaseRow) -> Timings:  # once per case, though two passes ask
        found = memo.get(case.id)
        if found is None:
            found = memo[case.id] = _timings_of(case, days[case.id], policy, index, paused.get(case.id, {}))
        return found

    speed = _speed(cases, period, index, days, today, timed)
    agencies = _scorecard(data, cases, events, period, days, today, scope, timed)
    return Figures(
        period=period, scope=scope, as_of=as_of, intake=intake, speed=speed, agencies=agencies,
        maladministration=_maladministration(received, days),
        satisfaction=_satisfaction(cases, period, days),
        trend=_trend(cases, period, days),
        grid=_grid(received),
    )  # fmt: skip


def _taken(index: WorkdayIndex, start: date, end: date, spans: Sequence[tuple[date, date]]) -> int:
    """Working days in (start, end] less those inside a pause (as the deadlines are extended)."""
    days = index.between(start, end)
    if not spans:
        return max(0, days)
    for pause_start, pause_end in spans:
        lo, hi = max(pause_start, start), min(pause_end, end)
        if hi > lo:
            days -= index.between(lo, hi)
    return max(0, days)


def _intake(received: Sequence[CaseRow], events: Sequence[Event]) -> Intake:
    named = [c for c in received if not c.anonymous]
    rejected: Counter[str] = Counter()
    verified = duplicates = returned = rerouted = reopened = 0
    for event in events:
        if event.action == "verify_and_route":
            if event.first:
                verified += 1
            else:
                rerouted += 1
        elif event.action == "reject":
            rejected[event.code or "other"] += 1
        elif event.action == "mark_duplicate":
            duplicates += 1
        elif event.action == "not_ours":
            returned += 1
        elif event.action == "reopen":
            reopened += 1
    return Intake(
        received=len(received),
        by_class=dict(Counter(c.report_class for c in named).most_common()),
        by_topic=dict(Counter(c.topic for c in named).most_common()),
        by_parent_topic=dict(Counter(parent_topic(c.topic) for c in named).most_common()),
        by_kecamatan=dict(Counter(c.kecamatan for c in named if c.kecamatan).most_common()),
        by_privacy=dict(Counter(c.privacy for c in received).most_common()),
        anonymous=len(received) - len(named),
        verified=verified, rejected=dict(rejected.most_common()), duplicates=duplicates,
        returned=returned, rerouted=rerouted, reopened=reopened,
    )  # fmt: skip


def _open_state(case: CaseRow) -> tuple[str, date | None]:
    status = case.status
    if status in (Status.SUBMITTED, Status.RETURNED):
        return "verification", case.verification_due
    if status == Status.VERIFIED:
        return "agency", case.response_due
    return "reporter", None  # answered, or waiting for the reporter's information


def _speed(cases: Sequence[CaseRow], period: Period, index: WorkdayIndex, days: dict[int, _Days], today: date,
           timed: Callable[[CaseRow], Timings]) -> Speed:
    verification: list[tuple[int, bool]] = []
    response: list[tuple[int, bool]] = []
    close: list[tuple[int, bool]] = []
    overdue: list[OpenCase] = []
    overdue_count = 0
    ageing: dict[str, list[OpenCase]] = {label: [] for label, _, _ in AGE_BUCKETS}
    ageing_count = {label: 0 for label, _, _ in AGE_BUCKETS}
    for case in cases:
        d = days[case.id]
        filed = d.filed
        if period.holds(d.verified) or period.holds(d.answered) or period.holds(d.closed):
            taken = timed(case)
            if taken.verification_days is not None and period.holds(d.verified):
                verification.append((taken.verification_days, bool(taken.verification_in_time)))
            if taken.response_days is not None and period.holds(d.answered):
                response.append((taken.response_days, bool(taken.response_in_time)))
            if taken.close_days is not None and period.holds(d.closed):
                close.append((taken.close_days, bool(taken.close_in_time)))
        if case.status not in OPEN_STATUSES:
            continue
        waiting, due = _open_state(case)
        age = index.between(filed, today)
        overdue_now = due is not None and due < today  # past its deadline, even on a day off
        item = OpenCase(case.id, case.ticket, case.agency, age, waiting, due, index.between(due, today) if overdue_now else 0)  # type: ignore[arg-type]
        label = next(name for name, lo, hi in AGE_BUCKETS if age >= lo and (hi is None or age <= hi))
        ageing_count[label] += 1
        if overdue_now:
            overdue_count += 1
        if case.anonymous:
            continue  # counted, never listed
        ageing[label].append(item)
        if overdue_now:
            overdue.append(item)
    overdue.sort(key=lambda o: (-o.late, o.ticket))
    return Speed(
        verification=_duration(verification), first_response=_duration(response), close=_duration(close),
        overdue=tuple(overdue), overdue_count=overdue_count,
        ageing={k: tuple(sorted(v, key=lambda o: (-o.age, o.ticket))) for k, v in ageing.items()},
        ageing_count=ageing_count,
    )  # fmt: skip


def _scorecard(data: Dataset, cases: Sequence[CaseRow], events: Sequence[Event], period: Period,
               days: dict[int, _Days], today: date, scope: Scope, timed: Callable[[CaseRow], Timings]) -> tuple[AgencyScore, ...]:
    touched: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    response_days: dict[str, list[int]] = defaultdict(list)
    for event in events:
        if event.agency is None or event.action not in ("verify_and_route", "not_ours", "respond", "reopen"):
            continue
        if scope.agency is not None and event.agency != scope.agency:
            continue
        touched[event.agency].add(event.case_id)
        counts[event.agency][event.action] += 1
    for case in cases:
        if case.agency is None or not period.holds(days[case.id].answered):
            continue
        taken = timed(case)
        counts[case.agency]["answered"] += 1
        counts[case.agency]["on_time"] += int(bool(taken.response_in_time))
        if taken.response_days is not None:
            response_days[case.agency].append(taken.response_days)
        touched[case.agency].add(case.id)
    ratings: dict[str, list[int]] = defaultdict(list)
    for case in cases:
        if case.agency is None:
            continue
        counts[case.agency]["reminders"] += case.reminders
        counts[case.agency]["escalations"] += case.escalations
        if case.rating is not None and period.holds(days[case.id].rated):
            ratings[case.agency].append(case.rating)
        if case.status == Status.VERIFIED and case.response_due is not None and case.response_due < today:
            counts[case.agency]["overdue"] += 1
    scores = []
    active = {a for a, c in counts.items() if c["overdue"] or c["reminders"] or c["escalations"]}
    for code in sorted(set(touched) | active | set(ratings)):
        if scope.agency is not None and code != scope.agency:
            continue
        c = counts[code]
        rated = ratings.get(code, [])
        scores.append(AgencyScore(
            code=code, name=data.agencies.get(code, code), cases=len(touched.get(code, ())),
            routed=c["verify_and_route"], answered=c["answered"], on_time=c["on_time"],
            median_response=_median(response_days.get(code, [])), returned=c["not_ours"], reopened=c["reopen"],
            reminders=c["reminders"], escalations=c["escalations"], rated=len(rated),
            average_rating=sum(rated) / len(rated) if rated else None, overdue_now=c["overdue"],
            small=len(touched.get(code, ())) < SMALL_SAMPLE,
        ))  # fmt: skip
    return _rank(scores)


def _rank(scores: list[AgencyScore]) -> tuple[AgencyScore, ...]:
    """Best share on time first (then faster, then more answers); small samples and agencies that
    answered nothing are not ranked and follow, by name."""
    from dataclasses import replace

    ranked = [s for s in scores if not s.small and s.answered]
    rest = [s for s in scores if s.small or not s.answered]
    ranked.sort(key=lambda s: (-(s.share_on_time or 0.0), s.median_response if s.median_response is not None else math.inf, -s.answered, s.name))
    rest.sort(key=lambda s: s.name)
    return tuple([replace(s, rank=n) for n, s in enumerate(ranked, start=1)] + rest)


def _maladministration(received: Sequence[CaseRow], days: dict[int, _Days]) -> Maladministration:
    by_form: Counter[str] = Counter()
    by_agency: dict[str, Counter[str]] = defaultdict(Counter)
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    for case in received:
        if not case.maladministration:
            continue
        by_form[case.maladministration] += 1
        by_agency[case.agency or ""][case.maladministration] += 1
        by_month[days[case.id].filed.strftime("%Y-%m")][case.maladministration] += 1
    return Maladministration(
        total=sum(by_form.values()), by_form=dict(by_form.most_common()),
        by_agency={k: dict(v.most_common()) for k, v in sorted(by_agency.items())},
        by_month={k: dict(v.most_common()) for k, v in sorted(by_month.items())},
    )  # fmt: skip


def _satisfaction(cases: Sequence[CaseRow], period: Period, days: dict[int, _Days]) -> Satisfaction:
    rated = [c for c in cases if c.rating is not None and period.holds(days[c.id].rated)]
    distribution = {n: 0 for n in range(1, 6)}
    per_agency: dict[str, list[int]] = defaultdict(list)
    per_topic: dict[str, list[int]] = defaultdict(list)
    for case in rated:
        assert case.rating is not None
        distribution[case.rating] += 1
        per_agency[case.agency or ""].append(case.rating)
        if not case.anonymous:
            per_topic[parent_topic(case.topic)].append(case.rating)
    answered = [c for c in cases if period.holds(days[c.id].answered)]
    low = sorted((LowRating(c.id, c.ticket, c.agency, c.rating) for c in rated
                  if c.rating is not None and c.rating <= LOW_RATING and not c.anonymous),
                 key=lambda r: (r.rating, r.ticket))  # fmt: skip
    scores = [c.rating for c in rated if c.rating is not None]
    return Satisfaction(
        distribution=distribution, rated=len(scores), average=sum(scores) / len(scores) if scores else None,
        by_agency={k: (len(v), sum(v) / len(v)) for k, v in sorted(per_agency.items())},
        by_topic={k: (len(v), sum(v) / len(v)) for k, v in sorted(per_topic.items())},
        answered=len(answered), answered_rated=sum(1 for c in answered if c.rating is not None), low=tuple(low),
    )  # fmt: skip


def _trend(cases: Sequence[CaseRow], period: Period, days: dict[int, _Days]) -> Trend:
    unit = "week" if period.days <= WEEKLY_UP_TO else "month"
    edges = _bucket_edges(period, unit, SPIKE_LOOKBACK)
    counted = [c for c in cases if unit == "month" or not c.anonymous]
    filed = sorted(days[c.id].filed for c in counted)
    closed = sorted(d for c in counted if (d := days[c.id].closed) is not None and c.status in (Status.CLOSED, Status.REJECTED, Status.DUPLICATE))

    def upto(sorted_days: list[date], end: date) -> int:
        return bisect_right(sorted_days, end)

    def within(sorted_days: list[date], start: date, end: date) -> int:
        return upto(sorted_days, end) - upto(sorted_days, start - timedelta(days=1))

    buckets = tuple(Bucket(label, start, end, within(filed, start, end), within(closed, start, end), upto(filed, end) - upto(closed, end))
                    for label, start, end in edges[SPIKE_LOOKBACK:])  # fmt: skip
    grid: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    starts = [start for _, start, _ in edges]
    for case in counted:
        if case.anonymous or not case.kecamatan:
            continue
        day = days[case.id].filed
        position = bisect_right(starts, day) - 1
        if position >= 0 and day <= edges[position][2]:
            grid[edges[position][0]][(parent_topic(case.topic), case.kecamatan)] += 1
    spikes = []
    labels = [label for label, _, _ in edges]
    for position in range(SPIKE_LOOKBACK, len(labels)):
        before = labels[position - SPIKE_LOOKBACK:position]
        for key, count in grid[labels[position]].items():
            baseline = sum(grid[b][key] for b in before) / SPIKE_LOOKBACK
            if count >= SPIKE_MIN and count >= SPIKE_FACTOR * baseline:
                spikes.append(Spike(labels[position], key[0], key[1], count, baseline))
    spikes.sort(key=lambda s: (s.bucket, -s.count, s.topic, s.kecamatan))
    return Trend(unit, buckets, tuple(spikes))


def _grid(received: Sequence[CaseRow]) -> TopicGrid:
    cells: Counter[tuple[str, str]] = Counter()
    for case in received:
        if not case.anonymous and case.kecamatan:
            cells[(parent_topic(case.topic), case.kecamatan)] += 1
    topics = Counter[str]()
    places = Counter[str]()
    for (topic, kecamatan), n in cells.items():
        topics[topic] += n
        places[kecamatan] += n
    return TopicGrid(dict(cells), tuple(t for t, _ in topics.most_common()), tuple(k for k, _ in places.most_common()))
