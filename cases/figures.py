"""Problem mapping: the figures Diskominfo, the Bupati and agency heads read, for a period and a scope.

Pure functions, like the case rules beside them: no Telegram, no SQL. `storage.statistics.tallies`
counts the period's cases in SQL, grouped by what the figures split them by (`Tallies`: a few
thousand rows for a year of a province's reports); `compute` adds them up, takes medians and
percentiles from the counts per number of working days, and ranks. Nothing reads a counter that
could drift: every figure is counted afresh from complaint rows and their audit trail. The
exports' one-case-per-row Data sheet uses `CaseRow`, `timings` and `data_row` below, by the same
definitions.

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
* **Agency scorecard**: per agency, its cases (those it was routed, answered, returned or
  reopened in the period), routings, first answers (and how many on time, the median time),
  returns, reopenings, the reminders and escalations sent about its cases, the ratings given
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
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import NamedTuple

from cases.calendar import WorkCalendar
from cases.model import Status
from cases.workflow import Policy

SMALL_SAMPLE = 5
WEEKLY_UP_TO = 92  # days: a period up to a quarter is shown per week, a longer one per month
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (("0-5", 0, 5), ("6-14", 6, 14), ("15-60", 15, 60), (">60", 61, None))
SPIKE_FACTOR, SPIKE_MIN, SPIKE_LOOKBACK = 2, 3, 3
LOW_RATING = 2
STAGES = ("verification", "response", "close")
AGENCY_ACTIONS = ("verify_and_route", "not_ours", "respond", "reopen")  # what an agency's scorecard counts


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
class Pause:
    """The clock stood still: a question to the reporter (`agency` False: Diskominfo's) until the
    answer (`end`, None while unanswered)."""

    case_id: int
    start: datetime
    end: datetime | None
    agency: bool


# What storage tallies for a period and a scope (`storage.statistics.tallies`): counts grouped by
# what the figures split them by, so that a year of a province's reports is a few thousand rows.
# Moments are local (WITA) dates; "in the period" means a local date in it.


@dataclass(frozen=True, slots=True)
class Received:
    """Cases filed in the period of a topic in a kecamatan, a report class and a privacy choice."""

    topic: str  # "anonim" for a whistleblower's case
    kecamatan: str | None  # None for a whistleblower's case, or when not given
    report_class: str
    privacy: str
    anonymous: bool
    n: int


@dataclass(frozen=True, slots=True)
class Finding:
    """Cases filed in the period that an admin classified as a form of maladministration."""

    agency: str | None
    form: str
    month: str  # "2026-11", the month filed
    n: int


@dataclass(frozen=True, slots=True)
class Decided:
    """The period's decisions (verify_and_route, reject, mark_duplicate, not_ours, respond,
    reopen) about an agency (routed to, returning, answering), with the reason code of a
    rejection."""

    action: str
    agency: str | None
    code: str | None
    n: int


@dataclass(frozen=True, slots=True)
class Taken:
    """Cases of `agency` whose `stage` ended in the period after `days` working days (less the
    pauses), and whether that met the deadline (None for "close": the figures judge it)."""

    stage: str  # "verification" (filing → verified), "response" (routing → first answer), "close"
    agency: str | None
    days: int
    in_time: bool | None
    n: int
    rated: int = 0  # of which rated since


@dataclass(frozen=True, slots=True)
class Load:
    """Reminders and escalations sent in the period about an agency's cases, and how many of its
    cases are past the agency's deadline now."""

    agency: str
    reminders: int
    escalations: int
    overdue: int


@dataclass(frozen=True, slots=True)
class Rated:
    """Ratings given in the period."""

    agency: str | None
    topic: str | None  # None for a whistleblower's case
    rating: int
    n: int


@dataclass(frozen=True, slots=True)
class OpenRow:
    """A case open now."""

    id: int
    ticket: str
    agency: str | None
    status: str
    anonymous: bool
    filed: date
    verification_due: date
    response_due: date | None


@dataclass(frozen=True, slots=True)
class DayCount:
    """Cases filed and closed (or rejected, or merged) on a day."""

    day: date
    anonymous: bool
    filed: int
    closed: int


@dataclass(frozen=True, slots=True)
class Cell:
    """Named cases of a topic in a kecamatan filed in a trend bucket (`buckets`)."""

    bucket: str
    topic: str
    kecamatan: str
    n: int


@dataclass
class Tallies:
    received: Sequence[Received] = ()
    findings: Sequence[Finding] = ()
    decided: Sequence[Decided] = ()
    first_routings: int = 0  # of the period's routings, those that were a case's first
    touched: Mapping[str, int] = field(default_factory=dict)  # agency -> distinct cases it had in the period
    taken: Sequence[Taken] = ()
    load: Sequence[Load] = ()
    rated: Sequence[Rated] = ()
    low: Sequence[LowRating] = ()  # named cases rated 1 or 2 in the period
    open: Sequence[OpenRow] = ()
    days: Sequence[DayCount] = ()  # every day a case of the scope was filed or closed, up to the period's end
    cells: Sequence[Cell] = ()
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


# -- one case, converted --------------------------------------------------------------------------


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
        close_in_time = _close_in_time(close_days, policy)
    return Timings(verification_days, verification_in_time, response_days, response_in_time, close_days, close_in_time)


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


# -- the computation, over what storage tallied ---------------------------------------------------


def buckets(period: Period) -> tuple[str, list[tuple[str, date, date]]]:
    """The trend's unit and buckets: the period's, after `SPIKE_LOOKBACK` whole ones before it
    (the spike baseline)."""
    unit = "week" if period.days <= WEEKLY_UP_TO else "month"
    return unit, _bucket_edges(period, unit, SPIKE_LOOKBACK)


def compute(t: Tallies, period: Period, scope: Scope, policy: Policy, as_of: datetime) -> Figures:
    """The figures of `period` for `scope` from what storage tallied for them (`t`), as of `as_of`
    (the open cases' state is now's)."""
    today = policy.calendar.local_date(as_of)
    return Figures(
        period=period, scope=scope, as_of=as_of, intake=_intake(t), speed=_speed(t, policy, today),
        agencies=_scorecard(t, scope), maladministration=_maladministration(t.findings),
        satisfaction=_satisfaction(t), trend=_trend(t, period), grid=_grid(t.received),
    )  # fmt: skip


def _intake(t: Tallies) -> Intake:
    by_class: Counter[str] = Counter()
    by_topic: Counter[str] = Counter()
    by_parent: Counter[str] = Counter()
    by_kecamatan: Counter[str] = Counter()
    by_privacy: Counter[str] = Counter()
    for r in t.received:
        by_privacy[r.privacy] += r.n
        if not r.anonymous:
            by_class[r.report_class] += r.n
            by_topic[r.topic] += r.n
            by_parent[parent_topic(r.topic)] += r.n
            if r.kecamatan:
                by_kecamatan[r.kecamatan] += r.n
    rejected: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    for d in t.decided:
        if d.action == "reject":
            rejected[d.code or "other"] += d.n
        actions[d.action] += d.n
    received = sum(r.n for r in t.received)
    return Intake(
        received=received, by_class=dict(by_class.most_common()), by_topic=dict(by_topic.most_common()),
        by_parent_topic=dict(by_parent.most_common()), by_kecamatan=dict(by_kecamatan.most_common()),
        by_privacy=dict(by_privacy.most_common()), anonymous=sum(r.n for r in t.received if r.anonymous),
        verified=t.first_routings, rejected=dict(rejected.most_common()), duplicates=actions["mark_duplicate"],
        returned=actions["not_ours"], rerouted=actions["verify_and_route"] - t.first_routings, reopened=actions["reopen"],
    )  # fmt: skip


class _Histogram:
    """Working days taken, as counts per value: the median and p90 of many cases without listing them."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()
        self.within = 0

    def add(self, days: int, n: int, within: bool) -> None:
        self.counts[days] += n
        self.within += n if within else 0

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def nth(self, rank: int) -> int:
        """The value at 0-based `rank` of the values in order."""
        seen = 0
        for value in sorted(self.counts):
            seen += self.counts[value]
            if rank < seen:
                return value
        raise IndexError(rank)

    def median(self) -> float | None:
        n = self.n
        if not n:
            return None
        middle = n // 2
        return float(self.nth(middle)) if n % 2 else (self.nth(middle - 1) + self.nth(middle)) / 2

    def p90(self) -> int | None:
        """Nearest rank: the smallest value with at least 90% of the values at or below it."""
        n = self.n
        return self.nth(max(0, math.ceil(0.9 * n) - 1)) if n else None

    def duration(self) -> Duration:
        return Duration(self.n, self.median(), self.p90(), self.within)


def _close_in_time(days: int, policy: Policy) -> bool:
    # Closing is measured against the national app's whole path: verification, the agency's
    # answer, and the silent days before *Selesai*.
    return days <= policy.verification_days + policy.response_days + policy.auto_close_days


def _open_state(case: OpenRow) -> tuple[str, date | None]:
    status = case.status
    if status in (Status.SUBMITTED, Status.RETURNED):
        return "verification", case.verification_due
    if status == Status.VERIFIED:
        return "agency", case.response_due
    return "reporter", None  # answered, or waiting for the reporter's information


def _speed(t: Tallies, policy: Policy, today: date) -> Speed:
    stages = {stage: _Histogram() for stage in STAGES}
    for r in t.taken:
        within = _close_in_time(r.days, policy) if r.stage == "close" else bool(r.in_time)
        stages[r.stage].add(r.days, r.n, within)
    overdue: list[OpenCase] = []
    overdue_count = 0
    ageing: dict[str, list[OpenCase]] = {label: [] for label, _, _ in AGE_BUCKETS}
    ageing_count = {label: 0 for label, _, _ in AGE_BUCKETS}
    first = min([today, *(c.filed for c in t.open), *(c.verification_due for c in t.open)])
    index = WorkdayIndex(policy.calendar, first, today)
    for case in t.open:
        waiting, due = _open_state(case)
        age = index.between(case.filed, today)
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
        verification=stages["verification"].duration(), first_response=stages["response"].duration(),
        close=stages["close"].duration(), overdue=tuple(overdue), overdue_count=overdue_count,
        ageing={k: tuple(sorted(v, key=lambda o: (-o.age, o.ticket))) for k, v in ageing.items()},
        ageing_count=ageing_count,
    )  # fmt: skip


def _scorecard(t: Tallies, scope: Scope) -> tuple[AgencyScore, ...]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for d in t.decided:
        if d.agency is not None and d.action in AGENCY_ACTIONS:
            counts[d.agency][d.action] += d.n
    response: dict[str, _Histogram] = defaultdict(_Histogram)
    for r in t.taken:
        if r.stage == "response" and r.agency is not None:
            response[r.agency].add(r.days, r.n, bool(r.in_time))
    for load in t.load:
        c = counts[load.agency]
        c["reminders"] += load.reminders
        c["escalations"] += load.escalations
        c["overdue"] += load.overdue
    ratings: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # agency -> [n, sum]
    for given in t.rated:
        if given.agency is not None:
            ratings[given.agency][0] += given.n
            ratings[given.agency][1] += given.n * given.rating
    active = {a for a, c in counts.items() if c["overdue"] or c["reminders"] or c["escalations"]}
    scores = []
    for code in sorted(set(t.touched) | active | set(ratings) | set(response)):
        if scope.agency is not None and code != scope.agency:
            continue  # another agency's decisions about the scope's cases
        c = counts[code]
        histogram = response.get(code, _Histogram())
        rated, total = ratings.get(code, (0, 0))
        cases = t.touched.get(code, 0)
        scores.append(AgencyScore(
            code=code, name=t.agencies.get(code, code), cases=cases,
            routed=c["verify_and_route"], answered=histogram.n, on_time=histogram.within,
            median_response=histogram.median(), returned=c["not_ours"], reopened=c["reopen"],
            reminders=c["reminders"], escalations=c["escalations"], rated=rated,
            average_rating=total / rated if rated else None, overdue_now=c["overdue"],
            small=cases < SMALL_SAMPLE,
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


def _maladministration(findings: Sequence[Finding]) -> Maladministration:
    by_form: Counter[str] = Counter()
    by_agency: dict[str, Counter[str]] = defaultdict(Counter)
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        by_form[f.form] += f.n
        by_agency[f.agency or ""][f.form] += f.n
        by_month[f.month][f.form] += f.n
    return Maladministration(
        total=sum(by_form.values()), by_form=dict(by_form.most_common()),
        by_agency={k: dict(v.most_common()) for k, v in sorted(by_agency.items())},
        by_month={k: dict(v.most_common()) for k, v in sorted(by_month.items())},
    )  # fmt: skip


def _satisfaction(t: Tallies) -> Satisfaction:
    distribution = {n: 0 for n in range(1, 6)}
    per_agency: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_topic: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in t.rated:
        distribution[r.rating] += r.n
        for key, table in ((r.agency or "", per_agency), (None if r.topic is None else parent_topic(r.topic), per_topic)):
            if key is not None:
                table[key][0] += r.n
                table[key][1] += r.n * r.rating
    rated = sum(distribution.values())
    total = sum(n * score for score, n in distribution.items())
    return Satisfaction(
        distribution=distribution, rated=rated, average=total / rated if rated else None,
        by_agency={k: (n, s / n) for k, (n, s) in sorted(per_agency.items())},
        by_topic={k: (n, s / n) for k, (n, s) in sorted(per_topic.items())},
        answered=sum(r.n for r in t.taken if r.stage == "response"),
        answered_rated=sum(r.rated for r in t.taken if r.stage == "response"),
        low=tuple(sorted(t.low, key=lambda r: (r.rating, r.ticket))),
    )  # fmt: skip


def _trend(t: Tallies, period: Period) -> Trend:
    unit, edges = buckets(period)
    counted = [r for r in t.days if unit == "month" or not r.anonymous]
    filed: Counter[date] = Counter()
    closed: Counter[date] = Counter()
    for r in counted:
        filed[r.day] += r.filed
        closed[r.day] += r.closed
    days = sorted(set(filed) | set(closed))
    filed_upto, closed_upto = list(accumulate(filed[d] for d in days)), list(accumulate(closed[d] for d in days))

    def upto(sums: list[int], end: date) -> int:
        position = bisect_right(days, end)
        return sums[position - 1] if position else 0

    def within(sums: list[int], start: date, end: date) -> int:
        return upto(sums, end) - upto(sums, start - timedelta(days=1))

    trend = tuple(Bucket(label, start, end, within(filed_upto, start, end), within(closed_upto, start, end),
                         upto(filed_upto, end) - upto(closed_upto, end))
                  for label, start, end in edges[SPIKE_LOOKBACK:])  # fmt: skip
    grid: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for cell in t.cells:
        grid[cell.bucket][(parent_topic(cell.topic), cell.kecamatan)] += cell.n
    spikes = []
    labels = [label for label, _, _ in edges]
    for position in range(SPIKE_LOOKBACK, len(labels)):
        before = labels[position - SPIKE_LOOKBACK:position]
        for key, count in grid[labels[position]].items():
            baseline = sum(grid[b][key] for b in before) / SPIKE_LOOKBACK
            if count >= SPIKE_MIN and count >= SPIKE_FACTOR * baseline:
                spikes.append(Spike(labels[position], key[0], key[1], count, baseline))
    spikes.sort(key=lambda s: (s.bucket, -s.count, s.topic, s.kecamatan))
    return Trend(unit, trend, tuple(spikes))


def _grid(received: Sequence[Received]) -> TopicGrid:
    cells: Counter[tuple[str, str]] = Counter()
    for r in received:
        if not r.anonymous and r.kecamatan:
            cells[(parent_topic(r.topic), r.kecamatan)] += r.n
    topics = Counter[str]()
    places = Counter[str]()
    for (topic, kecamatan), n in cells.items():
        topics[topic] += n
        places[kecamatan] += n
    return TopicGrid(dict(cells), tuple(t for t, _ in topics.most_common()), tuple(k for k, _ in places.most_common()))
