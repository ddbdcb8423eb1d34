"""The problem-mapping figures (`cases.figures.compute`) on small hand-made histories.

Each test builds a `Dataset` by hand (cases with their milestones, the period's decisions, the
pauses) and checks the figures against values worked out by hand from the definitions in the
module docstring of `cases.figures`: intake, speed (verification, first response, closing,
overdue now, ageing), the agency scorecard and its ranking, maladministration, satisfaction, the
trend with its spikes, the topic × kecamatan grid, scopes, and what a whistleblower's case may
and may not show. Also: `WorkdayIndex` against `WorkCalendar` (hypothesis), `timings`,
`spans_of` and `data_row`.

Working days are WITA Monday–Friday minus Indonesian holidays and cuti bersama: around
Christmas 2026, Thursday 24 (cuti bersama) and Friday 25 December are days off; October and
November 2026 have no holiday on a weekday (checked in the first test).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cases.calendar import WorkCalendar
from cases.figures import (
    AgencyScore,
    Bucket,
    CaseRow,
    DataRow,
    Duration,
    Figures,
    LowRating,
    OpenCase,
    Pause,
    Period,
    Scope,
    Spike,
    Timings,
    WorkdayIndex,
    data_row,
    spans_of,
    timings,
)
from cases.workflow import Policy
from tests.figures_history import Event, figures_of, history  # noqa: F401 (history: the database fixture)

WITA = ZoneInfo("Asia/Makassar")
POLICY = Policy()
CALENDAR = POLICY.calendar
DECEMBER = Period(date(2026, 12, 1), date(2026, 12, 31))
AS_OF = datetime(2026, 12, 31, 16, 0, tzinfo=WITA)  # Thursday 31 December, 16:00 WITA
NAMES = {
    "DPU": "Dinas Pekerjaan Umum", "DINKES": "Dinas Kesehatan", "DISDIK": "Dinas Pendidikan",
    "DLH": "Dinas Lingkungan Hidup", "DISHUB": "Dinas Perhubungan",
}  # fmt: skip


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in WITA."""
    return datetime.combine(day, time(hour, minute), WITA)


def dec(day: int, hour: int = 10) -> datetime:
    return at(date(2026, 12, day), hour)


def nov(day: int, hour: int = 10) -> datetime:
    return at(date(2026, 11, day), hour)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def ticket(case_id: int) -> str:
    return f"KKR-2026-{case_id:06d}"


def case(case_id: int, filed: datetime, **fields: Any) -> CaseRow:
    """A named case filed at `filed`; `verification_due` defaults to a week later (set it where a
    test looks at it)."""
    values: dict[str, Any] = {
        "ticket": ticket(case_id), "report_class": "pengaduan", "topic": "infra.jalan", "agency": None,
        "kecamatan": "Tenggarong", "privacy": "biasa", "anonymous": False, "status": "submitted",
        "created_at": filed, "verification_due": filed.astimezone(WITA).date() + timedelta(days=7),
        "response_due": None,
    }  # fmt: skip
    values.update(fields)
    return CaseRow(id=case_id, **values)


def whistleblower(case_id: int, filed: datetime, **fields: Any) -> CaseRow:
    """A whistleblower's case as storage gives it: no kecamatan, topic "anonim"."""
    return case(case_id, filed, **{"topic": "anonim", "kecamatan": None, "privacy": "anonim", "anonymous": True, **fields})


def figures(cases: Iterable[CaseRow], events: Iterable[Event] = (), pauses: Iterable[Pause] = (), *,
            period: Period = DECEMBER, scope: Scope = Scope(), as_of: datetime = AS_OF) -> Figures:
    return figures_of(cases, events, pauses, names=NAMES, period=period, scope=scope, policy=POLICY, as_of=as_of)


def score(result: Figures, code: str) -> AgencyScore:
    found = [a for a in result.agencies if a.code == code]
    assert len(found) == 1, f"{code} appears {len(found)} times in {[a.code for a in result.agencies]}"
    return found[0]


# -- the calendar these tests count on -------------------------------------------------------------


def test_the_calendar_these_tests_count_on() -> None:
    off = [d(12, 24), d(12, 25), d(1, 1, 2027), d(1, 5, 2027), d(12, 5), d(12, 6), d(12, 19)]
    working = [d(12, 23), d(12, 28), d(12, 29), d(12, 30), d(12, 31), d(11, 30), d(1, 4, 2027)]
    assert [day for day in off if CALENDAR.is_working_day(day)] == []
    assert [day for day in working if not CALENDAR.is_working_day(day)] == []
    weekdays = [d(10, 1) + timedelta(days=n) for n in range(61)]
    assert [day for day in weekdays if day.weekday() < 5 and not CALENDAR.is_working_day(day)] == []
    # Closing is measured against the national app's whole path: 3 + 5 + 10 working days.
    assert POLICY.verification_days + POLICY.response_days + POLICY.auto_close_days == 18


# -- intake ------------------------------------------------------------------------------------------


def test_intake_counts_the_received_cases_by_class_topic_kecamatan_and_privacy() -> None:
    cases = [
        case(1, dec(1), report_class="pengaduan", topic="infra.jalan", kecamatan="Tenggarong"),
        case(2, dec(3), report_class="aspirasi", topic="infra.drainase", kecamatan="Tenggarong", privacy="rahasia"),
        case(3, dec(10), report_class="informasi", topic="kes.puskesmas", kecamatan="Loa Kulu"),
        case(4, dec(15), topic="izin", kecamatan="Samboja"),  # a parent topic without children
        whistleblower(5, dec(16)),
        # Tuesday 1 December 00:30 WITA is still 30 November in UTC: received in December.
        case(6, datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc), kecamatan=None),
        # Monday 30 November 23:30 WITA and Friday 1 January 00:10 WITA: not December's.
        case(7, datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)),
        case(8, at(d(1, 1, 2027), 0, 10)),
    ]
    intake = figures(cases).intake
    assert intake.received == 6 and intake.anonymous == 1
    # The named cases 1, 2, 3, 4, 6 (the whistleblower's has no topic or kecamatan here).
    assert intake.by_class == {"pengaduan": 3, "aspirasi": 1, "informasi": 1}
    assert intake.by_topic == {"infra.jalan": 2, "infra.drainase": 1, "kes.puskesmas": 1, "izin": 1}
    assert intake.by_parent_topic == {"infra": 3, "kes": 1, "izin": 1}
    assert intake.by_kecamatan == {"Tenggarong": 2, "Loa Kulu": 1, "Samboja": 1}  # case 6 gave none
    # Privacy is a total: every received case, the whistleblower's as "anonim".
    assert intake.by_privacy == {"biasa": 4, "rahasia": 1, "anonim": 1}


def test_intake_counts_the_periods_decisions() -> None:
    cases = [case(n, nov(27)) for n in range(11, 19)] + [whistleblower(19, nov(27))]
    events = [
        Event(11, "verify_and_route", dec(2), "DPU", d(12, 2), first=True),
        Event(12, "verify_and_route", dec(2), "DPU", d(12, 2), first=True),
        Event(12, "not_ours", dec(3), "DPU", d(12, 9)),
        Event(12, "verify_and_route", dec(4), "DINKES", d(12, 2)),  # a re-route, not a verification
        Event(13, "reject", dec(2), code="vague"),
        Event(14, "reject", dec(2), code=None),  # a reason written by hand, stored before codes
        Event(15, "reject", dec(2), code="other"),
        Event(16, "reject", dec(3), code="notgov"),
        Event(17, "mark_duplicate", dec(3)),
        Event(18, "respond", dec(7), "DPU", d(12, 9)),
        Event(18, "reopen", dec(9), "DPU"),
        Event(19, "verify_and_route", dec(2), "DINKES", d(12, 2), first=True),  # the whistleblower's
    ]
    intake = figures(cases, events).intake
    assert intake.received == 0  # all filed in November
    assert intake.verified == 3  # cases 11, 12, 19
    assert intake.rerouted == 1
    assert intake.rejected == {"vague": 1, "other": 2, "notgov": 1} and intake.rejected_total == 4
    assert (intake.duplicates, intake.returned, intake.reopened) == (1, 1, 1)


def test_intake_leaves_out_decisions_outside_the_period() -> None:
    cases = [case(21, nov(27)), case(22, nov(27)), case(23, nov(27))]
    events = [
        Event(21, "verify_and_route", at(d(11, 30), 23, 30), "DPU", d(12, 2), first=True),  # 30 Nov, WITA
        Event(21, "reopen", at(d(11, 30), 23, 45), "DPU"),
        Event(22, "reject", at(d(12, 1), 0, 5), code="vague"),  # 1 December 00:05 WITA: in
        Event(23, "reject", at(d(1, 1, 2027), 0, 10), code="vague"),  # 1 January: out
    ]
    intake = figures(cases, events).intake
    assert (intake.verified, intake.reopened, intake.rejected) == (0, 0, {"vague": 1})


# -- speed -------------------------------------------------------------------------------------------


def test_verification_time_skips_weekends_holidays_and_the_reporters_pause() -> None:
    cases = [
        # Filed Fri 4 Dec, routed Tue 8 Dec: Mon 7, Tue 8 = 2 days; due Fri 4 + 3 = Wed 9: in time.
        case(1, dec(4), status="verified", agency="DPU", verified_at=dec(8), first_routed_at=dec(8),
             verification_due=d(12, 9)),
        # Filed Tue 22 Dec, routed Mon 28 Dec: Wed 23, (Thu 24, Fri 25 off), Mon 28 = 2; due Tue 29.
        case(2, dec(22), status="verified", agency="DPU", verified_at=dec(28), first_routed_at=dec(28),
             verification_due=d(12, 29)),
        # Filed Tue 1 Dec, asked Wed 2, answered Mon 7, routed Wed 9: (1, 9] = 6 working days less
        # the pause (2, 7] = Thu 3, Fri 4, Mon 7 = 3 -> 3. The deadline Fri 4 moved by the 3 paused
        # days to Wed 9 (verification_due): in time. Counting the pause or the first deadline
        # would give 6 days, or late.
        case(3, dec(1), status="verified", agency="DPU", verified_at=dec(9), first_routed_at=dec(9),
             verification_due=d(12, 9)),
        # Filed Mon 14, rejected Mon 21: Tue 15 .. Fri 18, Mon 21 = 5; due Thu 17: late.
        case(4, dec(14), status="rejected", verified_at=dec(21), closed_at=dec(21), verification_due=d(12, 17)),
        # Verified in November: not December's.
        case(5, nov(25), status="verified", agency="DPU", verified_at=nov(30), first_routed_at=nov(30),
             verification_due=d(11, 30)),
    ]
    pauses = [Pause(3, dec(2), dec(7), agency=False)]
    # [2, 2, 3, 5]: median (2 + 3) / 2; p90 the 4th of 4 (nearest rank: ceil(3.6)); 3 in time.
    assert figures(cases, pauses=pauses).speed.verification == Duration(n=4, median=2.5, p90=5, within=3)


def test_first_response_time_from_the_routing_it_answered_less_the_agency_pause() -> None:
    cases = [
        # Routed Wed 2, answered Wed 9: Thu 3, Fri 4, Mon 7, Tue 8, Wed 9 = 5; due Wed 9: in time.
        case(1, dec(1), status="responded", agency="DPU", verified_at=dec(2), first_routed_at=dec(2),
             response_routed_at=dec(2), first_response_at=dec(9), first_response_due=d(12, 9)),
        # Routed Wed 2 to DPU, returned, re-routed Mon 7 to DINKES, answered Thu 10: measured from
        # the second routing, Tue 8, Wed 9, Thu 10 = 3 (not 6 from the first); due Mon 14: in time.
        case(2, dec(1), status="responded", agency="DINKES", verified_at=dec(2), first_routed_at=dec(2),
             response_routed_at=dec(7), first_response_at=dec(10), first_response_due=d(12, 14)),
        # Routed Mon 14, the agency asked Tue 15, the reporter answered Fri 18, answered Tue 22:
        # (14, 22] = 6 less (15, 18] = Wed 16, Thu 17, Fri 18 = 3 -> 3; the deadline Mon 21 moved
        # by 3 working days to Mon 28 (Thu 24, Fri 25 off): in time.
        case(3, dec(11), status="responded", agency="DPU", verified_at=dec(14), first_routed_at=dec(14),
             response_routed_at=dec(14), first_response_at=dec(22), first_response_due=d(12, 28)),
        # Routed Wed 16, answered Wed 30: Thu 17, Fri 18, Mon 21, Tue 22, Wed 23, Mon 28, Tue 29,
        # Wed 30 = 8; due Wed 23: late.
        case(4, dec(15), status="responded", agency="DPU", verified_at=dec(16), first_routed_at=dec(16),
             response_routed_at=dec(16), first_response_at=dec(30), first_response_due=d(12, 23)),
        # Answered in November: not December's.
        case(5, nov(25), status="responded", agency="DPU", verified_at=nov(27), first_routed_at=nov(27),
             response_routed_at=nov(27), first_response_at=nov(30), first_response_due=d(12, 4)),
        # A whistleblower's, answered the day it was routed: 0 days, in time; counted.
        whistleblower(6, dec(4), status="responded", agency="DINKES", verified_at=dec(7), first_routed_at=dec(7),
                      response_routed_at=dec(7), first_response_at=dec(7, 15), first_response_due=d(12, 14)),
    ]
    pauses = [Pause(3, dec(15), dec(18), agency=True)]
    # [0, 3, 3, 5, 8]: median 3; p90 the 5th of 5 (ceil(4.5)); 4 in time.
    assert figures(cases, pauses=pauses).speed.first_response == Duration(n=5, median=3.0, p90=8, within=4)


@pytest.mark.parametrize(("verified_on", "expected"), [
    # Filed Mon 30 Nov; working days after it: Tue 1 = 1, Wed 2 = 2, Thu 3 = 3, Fri 4 = 4,
    # Mon 7 = 5, Tue 8 = 6, Wed 9 = 7, Thu 10 = 8, Fri 11 = 9, Mon 14 = 10. Due Thu 3 Dec.
    ([1, 2, 3, 4, 14], Duration(5, 3.0, 10, 3)),  # 1, 2, 3, 4, 10: median 3, p90 the 5th (ceil 4.5)
    ([1, 2, 3, 4], Duration(4, 2.5, 4, 3)),  # 1..4: median (2 + 3) / 2, p90 the 4th (ceil 3.6)
    ([1, 2, 3, 4, 7, 8, 9, 10, 11, 14], Duration(10, 5.5, 9, 3)),  # 1..10: p90 the 9th (ceil 9.0)
    ([4], Duration(1, 4.0, 4, 0)),
], ids=["odd", "even", "ten", "one"])
def test_median_and_p90_nearest_rank(verified_on: list[int], expected: Duration) -> None:
    cases = [case(n, nov(30), status="rejected", verified_at=dec(day), closed_at=dec(day), verification_due=d(12, 3))
             for n, day in enumerate(verified_on, start=1)]  # fmt: skip
    assert figures(cases).speed.verification == expected


def test_no_sample_has_no_median() -> None:
    speed = figures([case(1, dec(1))]).speed
    assert speed.verification == Duration() and speed.verification.share_within is None
    assert (speed.first_response.median, speed.close.p90) == (None, None)


def test_closing_time_against_the_whole_path_of_18_working_days() -> None:
    cases = [
        # Tue 1 -> Fri 18 Dec: Wed 2 .. Fri 4 (3), Mon 7 .. Fri 11 (5), Mon 14 .. Fri 18 (5) = 13.
        case(1, dec(1), status="closed", agency="DPU", closed_at=dec(18)),
        # Mon 30 Nov -> Wed 30 Dec: Dec 1 .. 23 = 17, Mon 28, Tue 29, Wed 30 = 20 > 18: late.
        case(2, nov(30), status="closed", agency="DPU", closed_at=dec(30)),
        # Mon 30 Nov -> Mon 28 Dec: 17 + 1 = 18 = the limit: in time.
        case(3, nov(30), status="closed", agency="DPU", closed_at=dec(28)),
        # Mon 30 Nov -> Tue 29 Dec = 19, less both pauses: Diskominfo's (1, 3] = Wed 2, Thu 3 and
        # the agency's (14, 16] = Tue 15, Wed 16: 19 - 2 - 2 = 15.
        case(4, nov(30), status="closed", agency="DPU", closed_at=dec(29)),
        # A rejection closes too, but it is not a case's closing (Selesai); nor one in November.
        case(5, dec(1), status="rejected", verified_at=dec(10), closed_at=dec(10)),
        case(6, nov(2), status="closed", agency="DPU", closed_at=nov(30)),
    ]
    pauses = [Pause(4, dec(1), dec(3), agency=False), Pause(4, dec(14), dec(16), agency=True)]
    # [13, 15, 18, 20]: median 16.5, p90 20, 3 within 18.
    assert figures(cases, pauses=pauses).speed.close == Duration(n=4, median=16.5, p90=20, within=3)


def test_open_cases_overdue_now_and_by_age() -> None:
    as_of = at(d(12, 30), 15)  # Wednesday 30 December
    cases = [
        # Waiting for DPU since its deadline Tue 22: late Wed 23, Mon 28, Tue 29, Wed 30 = 4.
        # Filed Mon 14: age Tue 15 .. Fri 18 (4), Mon 21 .. Wed 23 (3), Mon 28 .. Wed 30 (3) = 10.
        case(1, dec(14), status="verified", agency="DPU", response_due=d(12, 22)),
        # Waiting for verification since Mon 28: late Tue 29, Wed 30 = 2. Filed Tue 22: age 4.
        case(2, dec(22), status="submitted", verification_due=d(12, 28)),
        # Due today: not late. Filed Mon 21: Tue 22, Wed 23, Mon 28, Tue 29, Wed 30 = age 5.
        case(3, dec(21), status="verified", agency="DINKES", response_due=d(12, 30)),
        # Answered, waiting for the reporter: never late. Filed Mon 2 Nov: Nov 3 .. 30 = 20,
        # Dec 1 .. 30 = 20: age 40.
        case(4, nov(2), status="responded", agency="DPU", response_due=d(11, 9)),
        # Waiting for the reporter's information. Filed Fri 2 Oct: Oct 5 .. 30 = 20, Nov = 21,
        # Dec 1 .. 30 = 20: age 61, the first day past 60.
        case(5, at(d(10, 2)), status="agency_info_req", agency="DPU", response_due=d(10, 9)),
        # A whistleblower's, late 2 (Tue 29, Wed 30) at age 10: counted, never listed.
        whistleblower(6, dec(14), status="verified", agency="DINKES", response_due=d(12, 28)),
        # Closed: not open.
        case(7, dec(1), status="closed", agency="DPU", closed_at=dec(9)),
        # Returned (bukan wewenang), Diskominfo's turn; due tomorrow. Filed Mon 28: age 2.
        case(8, dec(28), status="returned", agency="DPU", verification_due=d(12, 31)),
        # Diskominfo asked the reporter: the clock stands still, not late. Filed Tue 1: age 19.
        case(9, dec(1), status="info_requested", verification_due=d(12, 4)),
    ]
    speed = figures(cases, as_of=as_of).speed
    p = OpenCase(1, ticket(1), "DPU", 10, "agency", d(12, 22), 4)
    q = OpenCase(2, ticket(2), None, 4, "verification", d(12, 28), 2)
    r = OpenCase(3, ticket(3), "DINKES", 5, "agency", d(12, 30), 0)
    t = OpenCase(4, ticket(4), "DPU", 40, "reporter", None, 0)
    u = OpenCase(5, ticket(5), "DPU", 61, "reporter", None, 0)
    x = OpenCase(8, ticket(8), "DPU", 2, "verification", d(12, 31), 0)
    y = OpenCase(9, ticket(9), None, 19, "reporter", None, 0)
    assert speed.overdue == (p, q)  # most late first; the whistleblower's not listed
    assert speed.overdue_count == 3  # ... but counted
    assert speed.ageing_count == {"0-5": 3, "6-14": 2, "15-60": 2, ">60": 1}
    assert speed.ageing == {"0-5": (r, q, x), "6-14": (p,), "15-60": (t, y), ">60": (u,)}  # oldest first


@pytest.mark.parametrize(("due", "as_of"), [
    (d(12, 23), at(d(12, 24), 10)),  # due Wed 23 Dec, seen on Thu 24 (cuti bersama)
    (d(12, 18), at(d(12, 19), 10)),  # due Fri 18 Dec, seen on Saturday 19
], ids=["cuti-bersama", "saturday"])
def test_overdue_now_is_the_same_figure_in_speed_and_in_the_scorecard(due: date, as_of: datetime) -> None:
    cases = [case(1, dec(7), status="verified", agency="DPU", verified_at=dec(8), first_routed_at=dec(8),
                  response_due=due)]
    events = [Event(1, "verify_and_route", dec(8), "DPU", d(12, 10), first=True)]
    result = figures(cases, events, as_of=as_of)
    # One figure, "overdue now", counted once per view: the agency's row and the regency's list
    # must agree (whichever of "past the date" or "a working day past it" is chosen).
    assert score(result, "DPU").overdue_now == result.speed.overdue_count == len(result.speed.overdue)


# -- agency scorecard --------------------------------------------------------------------------------


def scorecard_history() -> tuple[list[CaseRow], list[Event]]:
    """December: DPU (5 cases, 3 of 4 answers on time), DINKES (5 cases, 5 of 5 on time), two
    small samples at 100% and 0%, and DISHUB with only a case overdue from November."""
    routed = {"verified_at": dec(2), "first_routed_at": dec(2), "response_routed_at": dec(2), "first_response_due": d(12, 9)}
    cases = [
        # DPU, all filed Tue 1, routed Wed 2, due Wed 9 (Thu 3, Fri 4, Mon 7, Tue 8, Wed 9).
        case(1, dec(1), status="closed", agency="DPU", first_response_at=dec(4), closed_at=dec(7), rating=5,
             rated_at=dec(7), **routed),  # answered in 2 (Thu 3, Fri 4)
        case(2, dec(1), status="closed", agency="DPU", first_response_at=dec(9), closed_at=dec(10), rating=2,
             rated_at=dec(10), reminders=1, **routed),  # 5, on the deadline
        case(3, dec(1), status="responded", agency="DPU", first_response_at=dec(14), reminders=3, escalations=2,
             **routed),  # 8 (Thu 3 .. Mon 14), late
        case(4, dec(1), status="verified", agency="DPU", first_response_at=dec(3), reopen_count=1,
             response_due=d(12, 14), **routed),  # 1; reopened Mon 7, due again Mon 14: overdue now
        # Routed to DPU, returned, re-routed Fri 4 to DINKES, answered Mon 7 (1 day; due Fri 11).
        case(5, dec(1), status="responded", agency="DINKES", verified_at=dec(2), first_routed_at=dec(2),
             response_routed_at=dec(4), first_response_at=dec(7), first_response_due=d(12, 11)),
        # DINKES: 2 (Thu 3, Fri 4), 3 (.. Mon 7), 5 (.. Wed 9), 4 (.. Tue 8): all in time.
        case(6, dec(1), status="closed", agency="DINKES", first_response_at=dec(4), closed_at=dec(7), rating=4,
             rated_at=dec(7), **routed),
        case(7, dec(1), status="responded", agency="DINKES", first_response_at=dec(7), **routed),
        case(8, dec(1), status="responded", agency="DINKES", first_response_at=dec(9), **routed),
        case(9, dec(1), status="responded", agency="DINKES", first_response_at=dec(8), **routed),
        # DISDIK: one case, answered in 1 day. DLH: one case, 7 days (Thu 3 .. Fri 11), late.
        case(10, dec(1), status="responded", agency="DISDIK", first_response_at=dec(3), **routed),
        case(11, dec(1), status="responded", agency="DLH", first_response_at=dec(11), **routed),
        # DISHUB: routed in November, due 10 Nov, never answered; nothing happened in December.
        case(12, nov(2), status="verified", agency="DISHUB", verified_at=nov(3), first_routed_at=nov(3),
             response_due=d(11, 10)),
    ]
    events = [Event(n, "verify_and_route", dec(2), c.agency if n != 5 else "DPU", d(12, 4), first=True)
              for n, c in enumerate(cases, start=1) if n != 12]  # fmt: skip
    events += [
        Event(5, "not_ours", dec(3), "DPU", d(12, 9)),
        Event(5, "verify_and_route", dec(4), "DINKES", d(12, 4)),
        Event(4, "reopen", dec(7), "DPU"),
    ]
    events += [Event(c.id, "respond", c.first_response_at, c.agency, c.first_response_due)
               for c in cases if c.first_response_at is not None]  # fmt: skip
    return cases, events


def test_agency_scorecard_counts_and_ranks() -> None:
    cases, events = scorecard_history()
    agencies = figures(cases, events).agencies

    def row(code: str, **values: Any) -> AgencyScore:
        zero: dict[str, Any] = {"cases": 0, "routed": 0, "answered": 0, "on_time": 0, "median_response": None,
                                "returned": 0, "reopened": 0, "reminders": 0, "escalations": 0, "rated": 0,
                                "average_rating": None, "overdue_now": 0, "small": True, "rank": None}  # fmt: skip
        return AgencyScore(code=code, name=NAMES[code], **{**zero, **values})

    # DINKES: cases 5..9; routed 5 (6, 7, 8, 9 and 5's re-route); [1, 2, 3, 4, 5] -> median 3;
    # rated once (4). DPU: cases 1..5 (5 was routed to it and returned); answers [1, 2, 5, 8] of
    # cases 1..4 -> median 3.5, 3 on time; ratings 5 and 2; reminders 1 + 3, escalations 2;
    # case 4 overdue now (due Mon 14). Ranked: DINKES 100% on time, then DPU 75%. The small
    # samples follow by name, DISDIK's 100% and DLH's 0% unranked: Lingkungan, Pendidikan,
    # Perhubungan.
    assert agencies == (
        row("DINKES", cases=5, routed=5, answered=5, on_time=5, median_response=3.0, rated=1, average_rating=4.0,
            small=False, rank=1),
        row("DPU", cases=5, routed=5, answered=4, on_time=3, median_response=3.5, returned=1, reopened=1,
            reminders=4, escalations=2, rated=2, average_rating=3.5, overdue_now=1, small=False, rank=2),
        row("DLH", cases=1, routed=1, answered=1, on_time=0, median_response=7.0),
        row("DISDIK", cases=1, routed=1, answered=1, on_time=1, median_response=1.0),
        row("DISHUB", overdue_now=1),
    )
    dpu = agencies[1]
    assert (dpu.share_on_time, dpu.reopen_rate) == (0.75, 0.25)
    assert agencies[4].share_on_time is None


def test_a_small_sample_is_never_ranked_first_or_last() -> None:
    cases, events = scorecard_history()
    agencies = figures(cases, events).agencies
    ranked = [a.code for a in agencies if a.rank is not None]
    assert ranked == ["DINKES", "DPU"]  # not DISDIK (100%, 1 case) first, nor DLH (0%, 1 case) last
    assert [a.rank for a in agencies[:2]] == [1, 2]
    assert all(a.small and a.rank is None for a in agencies[2:])


def test_the_smallest_ranked_sample_has_five_cases() -> None:
    # Four cases answered in time and one returned: 5 cases in the period -> ranked; without the
    # returned one, 4 -> small.
    routed = {"status": "responded", "agency": "DLH", "verified_at": dec(2), "first_routed_at": dec(2),
              "response_routed_at": dec(2), "first_response_at": dec(3), "first_response_due": d(12, 9)}  # fmt: skip
    cases = [case(n, dec(1), **routed) for n in range(1, 5)] + [case(5, dec(1), status="returned", agency="DLH")]
    events = [Event(n, "verify_and_route", dec(2), "DLH", d(12, 4), first=True) for n in range(1, 6)]
    events.append(Event(5, "not_ours", dec(3), "DLH", d(12, 9)))
    five = score(figures(cases, events), "DLH")
    assert (five.cases, five.small, five.rank) == (5, False, 1)
    four = score(figures(cases[:4], events[:4]), "DLH")
    assert (four.cases, four.small, four.rank) == (4, True, None)


def test_an_agency_rated_in_the_period_has_a_row() -> None:
    # DISDIK answered on Fri 27 Nov; the reporter rated it 5 on Wed 2 Dec. Nothing else happened.
    cases = [case(1, nov(23), status="closed", agency="DISDIK", verified_at=nov(24), first_routed_at=nov(24),
                  response_routed_at=nov(24), first_response_at=nov(27), first_response_due=d(12, 1),
                  closed_at=dec(2), rating=5, rated_at=dec(2))]
    result = figures(cases)
    assert result.satisfaction.by_agency == {"DISDIK": (1, 5.0)}
    disdik = score(result, "DISDIK")
    assert (disdik.rated, disdik.average_rating) == (1, 5.0)


# -- maladministration ---------------------------------------------------------------------------------


def test_maladministration_by_form_agency_and_month() -> None:
    period = Period(d(11, 1), d(12, 31))
    cases = [
        case(1, nov(10), agency="DPU", maladministration="penundaan"),
        case(2, dec(3), agency="DPU", maladministration="imbalan"),
        case(3, dec(8), agency="DINKES", maladministration="penundaan"),
        whistleblower(4, dec(9), agency="DINKES", maladministration="imbalan"),  # per agency and month: yes
        case(5, at(d(10, 20)), agency="DPU", maladministration="penundaan"),  # filed in October: out
        case(6, dec(10), agency="DPU"),  # no finding
    ]
    found = figures(cases, period=period).maladministration
    assert found.total == 4
    assert found.by_form == {"penundaan": 2, "imbalan": 2}
    assert found.by_agency == {"DPU": {"penundaan": 1, "imbalan": 1}, "DINKES": {"penundaan": 1, "imbalan": 1}}
    assert found.by_month == {"2026-11": {"penundaan": 1}, "2026-12": {"imbalan": 2, "penundaan": 1}}


# -- satisfaction --------------------------------------------------------------------------------------


def test_satisfaction_of_the_periods_ratings() -> None:
    def rated(case_id: int, agency: str, topic: str, answered: datetime, score: int | None, when: datetime | None,
              anonymous: bool = False) -> CaseRow:
        fields = {"status": "closed" if score else "responded", "agency": agency, "topic": topic, "verified_at": answered,
                  "first_routed_at": answered, "response_routed_at": answered, "first_response_at": answered,
                  "first_response_due": answered.date(), "rating": score, "rated_at": when, "closed_at": when}  # fmt: skip
        if anonymous:
            return whistleblower(case_id, answered - timedelta(days=3), **{**fields, "topic": "anonim"})
        return case(case_id, answered - timedelta(days=3), **fields)

    cases = [
        rated(1, "DPU", "infra.jalan", dec(8), 5, dec(10)),
        rated(2, "DPU", "infra.drainase", dec(9), 4, dec(11)),
        rated(3, "DINKES", "kes.puskesmas", dec(10), 1, dec(14)),
        rated(4, "DINKES", "kes.bpjs", dec(11), 2, dec(15)),
        rated(5, "DINKES", "anonim", dec(14), 2, dec(16), anonymous=True),
        rated(6, "DPU", "infra.jalan", dec(15), None, None),  # answered, not rated
        rated(7, "DPU", "infra.jalan", nov(18), 3, nov(20)),  # November's
        rated(8, "DINKES", "kes.lain", nov(25), 1, dec(1)),  # answered in November, rated in December
    ]
    found = figures(cases).satisfaction
    # Ratings given in December: 5, 4, 1, 2, 2 (the whistleblower's), 1 -> 15 / 6.
    assert found.distribution == {1: 2, 2: 2, 3: 0, 4: 1, 5: 1}
    assert (found.rated, found.average) == (6, 2.5)
    assert found.by_agency == {"DINKES": (4, 1.5), "DPU": (2, 4.5)}  # DINKES: (1 + 2 + 2 + 1) / 4
    assert found.by_topic == {"infra": (2, 4.5), "kes": (3, 4 / 3)}  # not the whistleblower's
    # First answers in December: cases 1..6, of which 1..5 rated.
    assert (found.answered, found.answered_rated) == (6, 5) and found.share_rated == 5 / 6
    # Rated 1 or 2, lowest first, by ticket; never the whistleblower's.
    assert found.low == (LowRating(3, ticket(3), "DINKES", 1), LowRating(8, ticket(8), "DINKES", 1),
                         LowRating(4, ticket(4), "DINKES", 2))  # fmt: skip


# -- trend -------------------------------------------------------------------------------------------


def test_weekly_trend_of_a_month_received_closed_and_backlog() -> None:
    cases = [
        case(1, at(d(10, 1)), status="verified", agency="DPU"),  # an old open case
        case(2, nov(10), status="closed", agency="DPU", closed_at=dec(2)),
        case(3, dec(1), status="closed", agency="DPU", closed_at=dec(8)),
        case(4, dec(3), status="submitted"),
        case(5, dec(9), status="rejected", closed_at=dec(10)),
        case(6, dec(15), status="submitted"),
        case(7, dec(22), status="duplicate", closed_at=dec(22)),
        case(8, dec(29), status="submitted"),
        # Whistleblowers' cases are left out of a weekly trend.
        whistleblower(9, dec(2), status="submitted"),
        whistleblower(10, dec(3), status="rejected", closed_at=dec(9)),
    ]
    trend = figures(cases).trend
    assert trend.unit == "week"
    # ISO weeks: W49 (Mon 30 Nov, clipped to 1–6 Dec), W50, W51, W52, W53 (28 Dec – 3 Jan, clipped).
    # Backlog = filed by the week's end less closed by it: W49 {1, 2, 3, 4} - {2} = 3;
    # W50 + 5 - {3, 5} = 2; W51 + 6 = 3; W52 + 7 - {7} = 3; W53 + 8 = 4.
    assert trend.buckets == (
        Bucket("2026-W49", d(12, 1), d(12, 6), received=2, closed=1, backlog=3),
        Bucket("2026-W50", d(12, 7), d(12, 13), received=1, closed=2, backlog=2),
        Bucket("2026-W51", d(12, 14), d(12, 20), received=1, closed=0, backlog=3),
        Bucket("2026-W52", d(12, 21), d(12, 27), received=1, closed=1, backlog=3),
        Bucket("2026-W53", d(12, 28), d(12, 31), received=1, closed=0, backlog=4),
    )


def test_monthly_trend_of_a_year() -> None:
    year = Period(d(1, 1), d(12, 31))
    cases = [
        case(1, at(d(11, 15, 2025)), status="verified", agency="DPU"),  # open since before the year
        case(2, at(d(1, 10)), status="closed", agency="DPU", closed_at=at(d(3, 5))),
        whistleblower(3, at(d(3, 2)), status="verified", agency="DINKES"),  # counted per month
        case(4, at(d(3, 20)), status="rejected", closed_at=at(d(3, 21))),
        case(5, at(d(12, 1)), status="submitted"),
        case(6, at(d(9, 1, 2025)), status="closed", agency="DPU", closed_at=at(d(12, 20, 2025))),  # all before
    ]
    trend = figures(cases, period=year, as_of=at(d(12, 31), 16)).trend
    assert trend.unit == "month"
    months = [(f"2026-{m:02d}", d(m, 1), (d(m + 1, 1) if m < 12 else d(1, 1, 2027)) - timedelta(days=1)) for m in range(1, 13)]
    # Backlog: January {1, 2}; March filed {1, 2, 3, 4} less closed {2, 4} = {1, 3}; December + 5.
    expected = {1: (1, 0, 2), 3: (2, 2, 2), 12: (1, 0, 3)}
    assert trend.buckets == tuple(Bucket(label, start, end, *expected.get(n, (0, 0, 2)))
                                  for n, (label, start, end) in enumerate(months, start=1))  # fmt: skip


def test_spikes_twice_the_three_weeks_before_and_at_least_three() -> None:
    rows: list[CaseRow] = []

    def filed(when: datetime, topic: str, kecamatan: str) -> None:
        rows.append(case(len(rows) + 1, when, topic=topic, kecamatan=kecamatan))

    # Weeks: W46 9–15 Nov, W47 16–22, W48 23–29 (the baseline of W49), W49 1–6 Dec, W50 7–13, W51 14–20.
    # Infrastructure in Tenggarong: 1, 1, 1, then 3 in W49 (children of one parent): 3 >= 2 x 1.
    for when, topic in ((nov(10), "infra.jalan"), (nov(17), "infra.drainase"), (nov(24), "infra.jalan"),
                        (dec(1), "infra.jalan"), (dec(2), "infra.drainase"), (dec(3), "infra.pju")):
        filed(when, topic, "Tenggarong")
    # Health in Loa Kulu: 2 in W49 from nothing: fewer than 3, no spike.
    for when in (dec(2), dec(3)):
        filed(when, "kes.puskesmas", "Loa Kulu")
    # Education in Samboja: 2, 2, 2, then 3 in W50: at least 3 but below 2 x 2.
    for when in (nov(17), nov(18), nov(24), nov(25), dec(1), dec(2), dec(8), dec(9), dec(10)):
        filed(when, "pend.sekolah", "Samboja")
    # Civil registration in Anggana: 3 a week from W48, then 6 in W51. W49: 3 >= 2 x (0+0+3)/3;
    # W50: 3 < 2 x (0+3+3)/3; W51: 6 >= 2 x (3+3+3)/3 = 6, exactly twice.
    for when in (nov(23), nov(24), nov(25), dec(1), dec(2), dec(3), dec(7), dec(8), dec(9),
                 dec(14), dec(15), dec(16), dec(17), dec(18), dec(18, 14)):
        filed(when, "duk.ktp", "Anggana")
    # Three whistleblowers' cases in one week: never a spike (no topic, no kecamatan here).
    for when in (dec(8), dec(9), dec(10)):
        rows.append(whistleblower(len(rows) + 1, when))
    spikes = figures(rows).trend.spikes
    assert spikes == (
        Spike("2026-W49", "duk", "Anggana", 3, 1.0),
        Spike("2026-W49", "infra", "Tenggarong", 3, 1.0),
        Spike("2026-W51", "duk", "Anggana", 6, 3.0),
    )


# -- the grid and scopes -------------------------------------------------------------------------------


def scoped_history() -> tuple[list[CaseRow], list[Event]]:
    cases = [
        case(1, dec(1), status="verified", agency="DPU", topic="infra.jalan", kecamatan="Tenggarong"),
        case(2, dec(1), status="verified", agency="DPU", topic="infra.drainase", kecamatan="Loa Kulu"),
        case(3, dec(1), status="verified", agency="DINKES", topic="kes.puskesmas", kecamatan="Tenggarong"),
        # The whistleblower's: routed to DPU, answered, rated 1. Storage gives it no kecamatan and
        # the topic "anonim"; here it carries a place and a topic, which the figures must not use.
        whistleblower(4, dec(1), status="closed", agency="DPU", kecamatan="Tenggarong", topic="infra.jalan", verified_at=dec(3), first_routed_at=dec(3),
                      response_routed_at=dec(3), first_response_at=dec(8), first_response_due=d(12, 10),
                      rating=1, rated_at=dec(10), closed_at=dec(10), maladministration="imbalan"),
        case(5, dec(1), status="verified", agency="DINKES", topic="infra.pju", kecamatan="Tenggarong"),
        # Routed to DPU, returned, re-routed to DINKES.
        case(6, dec(1), status="verified", agency="DINKES", topic="kes.lain", kecamatan="Samboja"),
    ]
    events = [
        Event(1, "verify_and_route", dec(2), "DPU", d(12, 4), first=True),
        Event(2, "verify_and_route", dec(2), "DPU", d(12, 4), first=True),
        Event(3, "verify_and_route", dec(2), "DINKES", d(12, 4), first=True),
        Event(4, "verify_and_route", dec(3), "DPU", d(12, 4), first=True),
        Event(4, "respond", dec(8), "DPU", d(12, 10)),
        Event(5, "verify_and_route", dec(3), "DINKES", d(12, 4), first=True),
        Event(6, "verify_and_route", dec(2), "DPU", d(12, 4), first=True),
        Event(6, "not_ours", dec(3), "DPU", d(12, 9)),
        Event(6, "verify_and_route", dec(4), "DINKES", d(12, 4)),
    ]
    return cases, events


def test_the_regency_with_a_whistleblowers_case() -> None:
    cases, events = scoped_history()
    result = figures(cases, events)
    assert (result.intake.received, result.intake.anonymous, result.intake.verified) == (6, 1, 6)
    # Never in the kecamatan or topic breakdowns, the grid or the low ratings ...
    assert result.intake.by_kecamatan == {"Tenggarong": 3, "Loa Kulu": 1, "Samboja": 1}
    assert result.intake.by_parent_topic == {"infra": 3, "kes": 2}
    assert result.grid.cells == {("infra", "Tenggarong"): 2, ("infra", "Loa Kulu"): 1, ("kes", "Tenggarong"): 1,
                                 ("kes", "Samboja"): 1}  # fmt: skip
    assert (result.grid.topics, result.grid.kecamatan[0]) == (("infra", "kes"), "Tenggarong")
    assert set(result.grid.kecamatan) == {"Tenggarong", "Loa Kulu", "Samboja"}
    assert result.satisfaction.low == () and result.satisfaction.by_topic == {}
    assert result.trend.buckets[0].received == 5  # W49: not in a weekly trend
    # ... but in the totals and per agency: its routing, answer and rating are DPU's.
    assert result.satisfaction.distribution[1] == 1 and result.satisfaction.by_agency == {"DPU": (1, 1.0)}
    dpu = score(result, "DPU")
    # DPU: routed 1, 2, 4, 6; answered 4 (3 Dec -> 8 Dec: Fri 4, Mon 7, Tue 8 = 3 days, in time).
    assert (dpu.cases, dpu.routed, dpu.answered, dpu.on_time, dpu.median_response, dpu.returned, dpu.rated) == (4, 4, 1, 1, 3.0, 1, 1)
    assert result.maladministration.by_agency == {"DPU": {"imbalan": 1}}


def test_an_agency_scope_takes_its_cases_and_its_own_decisions() -> None:
    cases, events = scoped_history()
    result = figures(cases, events, scope=Scope(agency="DPU"))
    # The cases now with DPU: 1, 2 and the whistleblower's 4 (6 went on to DINKES).
    assert (result.intake.received, result.intake.anonymous) == (3, 1)
    assert result.intake.by_kecamatan == {"Tenggarong": 1, "Loa Kulu": 1}
    # Its row only, with the routing and return of case 6 that is DINKES's now.
    assert [a.code for a in result.agencies] == ["DPU"]
    dpu = result.agencies[0]
    assert (dpu.cases, dpu.routed, dpu.returned) == (4, 4, 1)
    assert result.satisfaction.by_agency == {"DPU": (1, 1.0)}


@pytest.mark.parametrize(("scope", "received"), [
    (Scope(kecamatan="Tenggarong"), {1, 3, 5}),
    (Scope(kecamatan="Loa Kulu"), {2}),
    (Scope(topic="infra"), {1, 2, 5}),  # a parent takes its children
    (Scope(topic="infra.jalan"), {1}),
    (Scope(topic="kes"), {3, 6}),
    (Scope(topic="anonim"), set()),  # a whistleblower's case is never in a topic
    (Scope(agency="DINKES"), {3, 5, 6}),
], ids=lambda v: repr(v) if isinstance(v, Scope) else "")
def test_kecamatan_and_topic_scopes_leave_the_whistleblower_out(scope: Scope, received: set[int]) -> None:
    cases, events = scoped_history()
    result = figures(cases, events, scope=scope)
    assert result.intake.received == len(received) and result.intake.anonymous == 0
    assert sum(result.grid.cells.values()) == len(received)
    # The whistleblower's rating is DPU's: it shows only in the regency's and DPU's figures.
    assert result.satisfaction.rated == 0 and result.maladministration.total == 0
    assert result.speed.first_response.n == 0


def test_kecamatan_scope_grid_and_topic_scope_breakdown() -> None:
    cases, events = scoped_history()
    tenggarong = figures(cases, events, scope=Scope(kecamatan="Tenggarong"))
    assert tenggarong.grid.cells == {("infra", "Tenggarong"): 2, ("kes", "Tenggarong"): 1}
    infra = figures(cases, events, scope=Scope(topic="infra"))
    assert infra.intake.by_topic == {"infra.jalan": 1, "infra.drainase": 1, "infra.pju": 1}
    assert infra.intake.by_kecamatan == {"Tenggarong": 2, "Loa Kulu": 1}


# -- working days, fast ----------------------------------------------------------------------------------

INDEX = WorkdayIndex(CALENDAR, d(1, 1), d(12, 31))  # 2026 prepared; the draws go half a year either side
DAYS = st.dates(min_value=d(7, 1, 2025), max_value=d(6, 30, 2027))


@settings(max_examples=300, deadline=None)
@given(DAYS, DAYS)
@example(d(12, 31, 2025), d(1, 5, 2027))  # both ends outside, across the whole prepared range
@example(d(7, 1, 2025), d(8, 1, 2025))  # both before it
@example(d(2, 1, 2027), d(3, 15, 2027))  # both after it
@example(d(1, 1), d(12, 31))  # its ends
@example(d(12, 23), d(12, 28))  # across Christmas: Mon 28 only
def test_workday_index_equals_the_calendar(start: date, end: date) -> None:
    assert INDEX.between(start, end) == WorkCalendar().working_days_between(start, end)


def test_workday_index_by_hand() -> None:
    assert INDEX.between(d(12, 23), d(12, 28)) == 1  # Thu 24, Fri 25 off, weekend, Mon 28
    assert INDEX.between(d(12, 28), d(12, 23)) == -1
    assert INDEX.between(d(12, 31), d(1, 6, 2027)) == 2  # Fri 1 Jan off, Mon 4, Tue 5 off, Wed 6
    assert INDEX.between(d(12, 4), d(12, 4)) == 0


# -- one case: timings, pauses, the Data row ---------------------------------------------------------------


def test_timings_of_one_case_and_its_data_row() -> None:
    named = case(1, dec(4), status="closed", agency="DPU", kecamatan="Tenggarong", verified_at=dec(8),
                 first_routed_at=dec(8), response_routed_at=dec(8), first_response_at=dec(15),
                 first_response_due=d(12, 15), verification_due=d(12, 9), response_due=d(12, 15),
                 closed_at=dec(23), rating=4, rated_at=dec(23), reminders=2, lapor_number="2612-0001")
    pauses = [Pause(1, dec(9), dec(11), agency=True)]  # the agency asked Wed 9, answered Fri 11
    spans = spans_of(pauses, CALENDAR.local_date, d(12, 31))
    assert spans == {1: {True: [(d(12, 9), d(12, 11))]}}
    index = WorkdayIndex(CALENDAR, d(11, 1), d(12, 31))
    # Verification Fri 4 -> Tue 8: Mon 7, Tue 8 = 2 (due Wed 9). Answer Tue 8 -> Tue 15: Wed 9 ..
    # Fri 11, Mon 14, Tue 15 = 5 less the pause (9, 11] = Thu 10, Fri 11: 3 (due Tue 15). Closing
    # Fri 4 -> Wed 23: 13 less 2 = 11 <= 18.
    expected = Timings(verification_days=2, verification_in_time=True, response_days=3, response_in_time=True,
                       close_days=11, close_in_time=True)  # fmt: skip
    assert timings(named, POLICY, index, spans[1]) == expected
    assert data_row(named, "Jalan rusak", POLICY, index, spans[1]) == DataRow(
        ticket=ticket(1), report_class="pengaduan", topic="infra.jalan", agency="DPU", kecamatan="Tenggarong",
        status="closed", month="2026-12", title="Jalan rusak", submitted=d(12, 4), verified=d(12, 8),
        routed=d(12, 8), first_response=d(12, 15), closed=d(12, 23), verification_due=d(12, 9),
        response_due=d(12, 15), timings=expected, reminders=2, rating=4, lapor_number="2612-0001", anonymous=False,
    )  # fmt: skip


def test_timings_of_unfinished_and_rejected_cases() -> None:
    index = WorkdayIndex(CALENDAR, d(11, 1), d(12, 31))
    assert timings(case(1, dec(1)), POLICY, index, {}) == Timings()
    # Rejected Fri 4 after filing Tue 1: 3 days, within its deadline Fri 4; a rejection is no closing.
    rejected = case(2, dec(1), status="rejected", verified_at=dec(4), closed_at=dec(4), verification_due=d(12, 4))
    assert timings(rejected, POLICY, index, {}) == Timings(verification_days=3, verification_in_time=True)
    # Answered a day late: Routed Wed 2 (due Wed 9), answered Thu 10: 6 days, late.
    late = case(3, dec(1), status="responded", agency="DPU", verified_at=dec(2), first_routed_at=dec(2),
                response_routed_at=dec(2), first_response_at=dec(10), first_response_due=d(12, 9),
                verification_due=d(12, 4))
    assert timings(late, POLICY, index, {}) == Timings(1, True, 6, False)


def test_an_open_pause_runs_to_today() -> None:
    spans = spans_of([Pause(5, dec(28), None, agency=False), Pause(5, dec(1), dec(3), agency=False)],
                     CALENDAR.local_date, d(12, 30))
    assert spans == {5: {False: [(d(12, 28), d(12, 30)), (d(12, 1), d(12, 3))]}}


def test_a_whistleblowers_data_row_has_the_month_only() -> None:
    # Filed Tue 1 December 00:30 WITA (30 November in UTC): the month is the regency's, December.
    filed = datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)
    anon = whistleblower(7, filed, status="closed", agency="DINKES", kecamatan="Loa Kulu", verified_at=dec(3),
                         first_routed_at=dec(3), response_routed_at=dec(3), first_response_at=dec(8),
                         first_response_due=d(12, 10), verification_due=d(12, 4), response_due=d(12, 10),
                         closed_at=dec(10), rating=2, rated_at=dec(10), reminders=1)
    index = WorkdayIndex(CALENDAR, d(11, 1), d(12, 31))
    row = data_row(anon, "Laporan anonim #7QK", POLICY, index, {})
    assert row.month == "2026-12" and row.anonymous
    assert (row.title, row.kecamatan) == (None, None)
    assert (row.submitted, row.verified, row.routed, row.first_response, row.closed) == (None,) * 5
    assert (row.verification_due, row.response_due) == (None, None)
    # No ticket either: tickets are numbered in order, so the neighbours' dates would date it.
    assert row.ticket == ""
    # What dates nothing stays: the agency, status, rating and the working days taken
    # (Tue 1 -> Thu 3 = 2; Thu 3 -> Tue 8 = Fri 4, Mon 7, Tue 8 = 3; Tue 1 -> Thu 10 = 7).
    assert (row.agency, row.topic, row.status, row.rating, row.reminders) == ("DINKES", "anonim", "closed", 2, 1)
    assert row.timings == Timings(2, True, 3, True, 7, True)
