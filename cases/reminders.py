"""What reminders and escalations are due, from a case's facts and the day: the rules only.

No I/O. The scheduler's sweep asks `due_for` about each open case on a working day inside the
allowed hours (`may_remind`), claims each answer by its `key` (case, kind, tier, day) in the
database, and sends only what it newly claimed — so a doubled, late or concurrent sweep sends
nothing twice. A day that passes with no sweep is not made up later: the next day's reminder says
more (e.g. overdue by two days instead of one).

Tiers: 0 the agency's officers, 1 the agency's head, 2 the Diskominfo admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from cases.calendar import WorkCalendar
from cases.model import Status
from cases.workflow import CaseView, Policy

OFFICERS, HEAD, ADMINS, CITIZEN = 0, 1, 2, 3


class Kind(StrEnum):
    BEFORE = "before"  # the agency's deadline is the next working day
    DUE = "due"  # the agency's deadline is today
    OVERDUE = "overdue"  # the agency's deadline has passed (each working day, tier by tier)
    VERIFY_DUE = "verify_due"  # Diskominfo's verification deadline is today
    VERIFY_OVERDUE = "verify_late"  # ... has passed, or an agency returned the case
    CLOSING_SOON = "closing_soon"  # the citizen: an answered case will close without a reply
    AUTO_CLOSE = "auto_close"  # not a message of its own: the case is closed now


# The reminders each stage of a case can have (`due_for`): a case that had one of its stage's
# today has been swept today.
STAGE_KINDS: dict[Status, tuple[Kind, ...]] = {
    Status.SUBMITTED: (Kind.VERIFY_DUE, Kind.VERIFY_OVERDUE), Status.RETURNED: (Kind.VERIFY_DUE, Kind.VERIFY_OVERDUE),
    Status.VERIFIED: (Kind.BEFORE, Kind.DUE, Kind.OVERDUE), Status.RESPONDED: (Kind.CLOSING_SOON, Kind.AUTO_CLOSE),
}  # fmt: skip


@dataclass(frozen=True)
class ReminderRules:
    """Escalation thresholds in working days overdue, and the hours reminders may be sent."""

    head_after: int = 1
    admins_after: int = 3
    quiet_from: time = time(20, 0)
    quiet_until: time = time(7, 0)
    closing_warning_days: int = 2


@dataclass(frozen=True)
class Due:
    case_id: int
    kind: Kind
    tier: int
    day: date
    days: int = 0  # working days overdue, or left before closing

    @property
    def key(self) -> str:
        """Unique per case, kind, tier and day: the database refuses a second one."""
        return f"{self.case_id}:{self.kind.value}:{self.tier}:{self.day.isoformat()}"


def may_remind(now: datetime, calendar: WorkCalendar, rules: ReminderRules) -> bool:
    """Working days only, and never in the quiet hours (WITA)."""
    local = now.astimezone(calendar.tz)
    if not calendar.is_working_day(local.date()):
        return False
    return rules.quiet_until <= local.time() < rules.quiet_from


@dataclass(frozen=True)
class Window:
    """Which open cases can have anything due today, as bounds the database can apply (indexed)
    before `due_for` looks at each: every case outside them has nothing due, so a sweep over a
    million cases reads only the few that may. See `window`."""

    today: date
    verify_before: date  # submitted: verification due before this day
    respond_by: date  # verified: the answer due on or before this day
    responded_before: datetime  # answered before this instant


def window(now: datetime, policy: Policy, rules: ReminderRules) -> Window:
    """The bounds for `now`, from the rules of `due_for` (a property test holds them to it):

    * submitted: due or late once no working day is left before the verification deadline —
      the deadline is before the next working day;
    * verified: the day before (``BEFORE``), the day of and every day after the deadline — the
      deadline is at most the next working day;
    * answered: the closing warning or the close, once K = auto-close minus warning days have
      passed in working days, so at least K calendar days: answered K or more days ago.
    Returned cases are always due (admins must route them again)."""
    cal = policy.calendar
    today = cal.local_date(now)
    next_working_day = cal.add_working_days(today, 1)
    waits = max(0, policy.auto_close_days - max(0, rules.closing_warning_days))
    answered_by = today - timedelta(days=waits)
    responded_before = datetime.combine(answered_by + timedelta(days=1), time(0), tzinfo=cal.tz)
    return Window(today, next_working_day, next_working_day, responded_before)


def due_for(case_id: int, case: CaseView, now: datetime, policy: Policy, rules: ReminderRules) -> list[Due]:
    """Everything due today for one case (call inside the allowed hours of a working day)."""
    cal = policy.calendar
    today = cal.local_date(now)
    if case.status in (Status.SUBMITTED, Status.RETURNED):
        late = cal.working_days_between(case.verification_due, today)
        if case.status == Status.RETURNED or late > 0:
            return [Due(case_id, Kind.VERIFY_OVERDUE, ADMINS, today, max(late, 0))]
        if late == 0:
            return [Due(case_id, Kind.VERIFY_DUE, ADMINS, today)]
        return []
    if case.status == Status.VERIFIED and case.response_due is not None:
        late = cal.working_days_between(case.response_due, today)
        if late > 0:
            found = [Due(case_id, Kind.OVERDUE, OFFICERS, today, late)]
            if late >= rules.head_after:
                found.append(Due(case_id, Kind.OVERDUE, HEAD, today, late))
            if late >= rules.admins_after:
                found.append(Due(case_id, Kind.OVERDUE, ADMINS, today, late))
            return found
        if late == 0:
            return [Due(case_id, Kind.DUE, OFFICERS, today)]
        if cal.add_working_days(today, 1) == case.response_due:
            return [Due(case_id, Kind.BEFORE, OFFICERS, today, 1)]
        return []
    if case.status == Status.RESPONDED and case.responded_at is not None:
        if case.citizen_replied_at is not None and case.citizen_replied_at > case.responded_at:
            return []  # the citizen replied: the agency's turn, the closing clock stands still
        waited = cal.working_days_between(cal.local_date(case.responded_at), today)
        left = policy.auto_close_days - waited
        if left <= 0:
            return [Due(case_id, Kind.AUTO_CLOSE, CITIZEN, today)]
        if left == rules.closing_warning_days:
            return [Due(case_id, Kind.CLOSING_SOON, CITIZEN, today, left)]
    return []
