"""The reminder rules (cases.reminders): what is due on which day, for whom, and when not at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.calendar import WorkCalendar
from cases.model import Status
from cases.reminders import (
    ADMINS,
    CITIZEN,
    HEAD,
    OFFICERS,
    Kind,
    ReminderRules,
    due_for,
    may_remind,
)
from cases.workflow import CaseView, Policy

WITA = ZoneInfo("Asia/Makassar")
CAL = WorkCalendar(WITA, extra_days_off=[date(2026, 12, 30)])  # a declared day off
POLICY = Policy(calendar=CAL)
RULES = ReminderRules()


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), WITA)


def routed(due: date) -> CaseView:
    return CaseView(status=Status.VERIFIED, citizen_id=1, created_at=at(date(2026, 12, 14)),
                    verification_due=date(2026, 12, 17), agency_code="DPU", response_due=due)  # fmt: skip


def kinds(case: CaseView, day: date, rules: ReminderRules = RULES) -> list[tuple[str, int, int]]:
    return [(d.kind.value, d.tier, d.days) for d in due_for(7, case, at(day), POLICY, rules)]


@pytest.mark.parametrize("moment, allowed", [
    (at(date(2026, 12, 22), 6), False), (at(date(2026, 12, 22), 7), True), (at(date(2026, 12, 22), 19), True),
    (datetime.combine(date(2026, 12, 22), time(19, 59), WITA), True), (at(date(2026, 12, 22), 20), False),
    (at(date(2026, 12, 19), 10), False),  # Saturday
    (at(date(2026, 12, 24), 10), False),  # cuti bersama for Christmas
    (at(date(2026, 12, 25), 10), False),  # Christmas
    (at(date(2026, 12, 30), 10), False),  # the declared day off
    (at(date(2027, 1, 1), 10), False),  # New Year
    (at(date(2026, 12, 31), 10), True),  # the last working day of the year
])  # fmt: skip
def test_reminders_only_on_working_days_outside_quiet_hours(moment: datetime, allowed: bool) -> None:
    assert may_remind(moment, CAL, RULES) is allowed


def test_quiet_hours_are_in_wita_whatever_the_servers_zone() -> None:
    utc_evening = datetime(2026, 12, 22, 12, 30, tzinfo=ZoneInfo("UTC"))  # 20:30 WITA
    assert not may_remind(utc_evening, CAL, RULES)
    assert may_remind(utc_evening - timedelta(hours=1), CAL, RULES)


def test_the_day_before_the_day_of_and_every_day_after_a_deadline() -> None:
    case = routed(date(2026, 12, 23))  # Wednesday before Christmas
    assert kinds(case, date(2026, 12, 21)) == []
    assert kinds(case, date(2026, 12, 22)) == [("before", OFFICERS, 1)]
    assert kinds(case, date(2026, 12, 23)) == [("due", OFFICERS, 0)]
    # Christmas leave, Christmas and the weekend do not count: Monday is one working day late.
    assert kinds(case, date(2026, 12, 28)) == [("overdue", OFFICERS, 1), ("overdue", HEAD, 1)]
    assert kinds(case, date(2026, 12, 29)) == [("overdue", OFFICERS, 2), ("overdue", HEAD, 2)]
    # The declared day off does not count either; New Year's Eve is the third late day.
    assert kinds(case, date(2026, 12, 31)) == [("overdue", OFFICERS, 3), ("overdue", HEAD, 3), ("overdue", ADMINS, 3)]
    assert kinds(case, date(2027, 1, 4)) == [("overdue", OFFICERS, 4), ("overdue", HEAD, 4), ("overdue", ADMINS, 4)]


def test_the_day_before_skips_weekends_and_holidays() -> None:
    # Due Monday 28 December: the working day before is Wednesday the 23rd (24–27 are off).
    case = routed(date(2026, 12, 28))
    assert kinds(case, date(2026, 12, 23)) == [("before", OFFICERS, 1)]
    assert kinds(case, date(2026, 12, 22)) == []


def test_thresholds_are_configurable() -> None:
    case = routed(date(2026, 12, 23))
    slow = ReminderRules(head_after=2, admins_after=5)
    assert kinds(case, date(2026, 12, 28), slow) == [("overdue", OFFICERS, 1)]
    assert kinds(case, date(2026, 12, 29), slow) == [("overdue", OFFICERS, 2), ("overdue", HEAD, 2)]
    assert [t for _, t, _ in kinds(case, date(2027, 1, 4), slow)] == [OFFICERS, HEAD]
    assert [t for _, t, _ in kinds(case, date(2027, 1, 6), slow)] == [OFFICERS, HEAD, ADMINS]


def test_verification_reminders_go_to_the_admins() -> None:
    case = CaseView(status=Status.SUBMITTED, citizen_id=1, created_at=at(date(2026, 12, 14)), verification_due=date(2026, 12, 17))
    assert kinds(case, date(2026, 12, 16)) == []
    assert kinds(case, date(2026, 12, 17)) == [("verify_due", ADMINS, 0)]
    assert kinds(case, date(2026, 12, 21)) == [("verify_late", ADMINS, 2)]
    returned = replace(case, status=Status.RETURNED, verification_due=date(2027, 1, 8))
    assert kinds(returned, date(2027, 1, 4)) == [("verify_late", ADMINS, 0)], "a returned case waits for re-routing"


@pytest.mark.parametrize("status", [Status.INFO_REQUESTED, Status.AGENCY_INFO_REQUESTED, Status.CLOSED, Status.REJECTED, Status.DUPLICATE])
def test_paused_and_finished_cases_remind_nobody(status: Status) -> None:
    case = replace(routed(date(2026, 12, 1)), status=status)
    assert kinds(case, date(2026, 12, 28)) == []


def test_closing_soon_then_closed_counted_in_working_days() -> None:
    answered = replace(routed(date(2026, 12, 18)), status=Status.RESPONDED, responded_at=at(date(2026, 12, 15), 10))
    # Working days after the 15th: 16 17 18 21 22 23 28 29 (30 declared off) 31, 4 January.
    assert kinds(answered, date(2026, 12, 28)) == []
    assert kinds(answered, date(2026, 12, 29)) == [("closing_soon", CITIZEN, 2)]
    assert kinds(answered, date(2026, 12, 31)) == []
    assert [k for k, _, _ in kinds(answered, date(2027, 1, 4))] == [Kind.AUTO_CLOSE.value]
    replied = replace(answered, citizen_replied_at=at(date(2026, 12, 16)))
    assert kinds(replied, date(2027, 1, 4)) == [], "the citizen's reply stops the closing clock"


def test_keys_tell_case_kind_tier_and_day_apart() -> None:
    case = routed(date(2026, 12, 23))
    monday = due_for(7, case, at(date(2026, 12, 28)), POLICY, RULES)
    tuesday = due_for(7, case, at(date(2026, 12, 29)), POLICY, RULES)
    keys = [d.key for d in monday + tuesday]
    assert len(set(keys)) == len(keys) == 4
    assert monday[0].key == "7:overdue:0:2026-12-28"
    assert due_for(7, case, at(date(2026, 12, 28), 16), POLICY, RULES)[0].key == monday[0].key, "the same day, the same key"


# -- the window the sweep's query applies -------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cases.reminders import STAGE_KINDS, Window, window  # noqa: E402

DAYS = st.dates(min_value=date(2026, 11, 20), max_value=date(2027, 2, 10))


def inside(case: CaseView, w: Window) -> bool:
    """What storage.reminders.due_candidates selects, as a predicate."""
    if case.status == Status.SUBMITTED:
        return case.verification_due < w.verify_before
    if case.status == Status.RETURNED:
        return True
    if case.status == Status.VERIFIED:
        return case.response_due is not None and case.response_due <= w.respond_by
    if case.status == Status.RESPONDED:
        return case.responded_at is not None and case.responded_at < w.responded_before
    return False


@settings(max_examples=600, deadline=None)
@given(status=st.sampled_from([Status.SUBMITTED, Status.RETURNED, Status.VERIFIED, Status.RESPONDED]),
       today=DAYS, deadline=st.integers(-12, 12), answered=st.integers(0, 25), hour=st.integers(7, 19),
       answered_hour=st.integers(0, 23), replied=st.booleans(), warning=st.integers(0, 4),
       auto_close=st.integers(1, 12))  # fmt: skip
def test_every_case_with_something_due_is_inside_the_window(status: Status, today: date, deadline: int, answered: int,
                                                            hour: int, answered_hour: int, replied: bool,
                                                            warning: int, auto_close: int) -> None:
    """The sweep reads only the cases inside the window; if one outside had something due, its
    reminder would never be sent. Random cases (deadlines and answers around the day), days and
    settings: none with a `due_for` answer falls outside."""
    policy = Policy(calendar=CAL, auto_close_days=auto_close)
    rules = ReminderRules(closing_warning_days=warning)
    responded = datetime.combine(today - timedelta(days=answered), time(answered_hour), WITA)
    due = today + timedelta(days=deadline)
    case = CaseView(status=status, citizen_id=1, created_at=at(date(2026, 11, 1)), verification_due=due,
                    agency_code="DPU", response_due=due, responded_at=responded,
                    citizen_replied_at=responded - timedelta(hours=1) if not replied else responded + timedelta(hours=1))  # fmt: skip
    now = at(today, hour)
    dues = due_for(7, case, now, policy, rules)
    if dues:
        assert inside(case, window(now, policy, rules)), (case, now)
    assert all(due.kind in STAGE_KINDS[status] for due in dues), "the sweep's check of today's reminders knows every kind"


def test_the_window_leaves_out_what_is_not_due_yet() -> None:
    """It is also narrow: a deadline next week, an answer from yesterday are outside."""
    now = at(date(2026, 12, 21))  # Monday
    w = window(now, POLICY, RULES)
    assert not inside(routed(date(2026, 12, 28)), w)
    assert inside(routed(date(2026, 12, 22)), w)  # due tomorrow: the day-before reminder
    answered = CaseView(status=Status.RESPONDED, citizen_id=1, created_at=at(date(2026, 12, 1)),
                        verification_due=date(2026, 12, 4), responded_at=at(date(2026, 12, 18)))  # fmt: skip
    assert not inside(answered, w)
