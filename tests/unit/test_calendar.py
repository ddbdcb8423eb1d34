"""WorkCalendar: working days in Kutai Kartanegara (WITA), Indonesian holidays and cuti bersama."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.calendar import WITA, WorkCalendar

CAL = WorkCalendar()

# Dates are checked against the calendar by hand (2026-11-27 is a Friday).
FRIDAY = date(2026, 11, 27)
SATURDAY = date(2026, 11, 28)
SUNDAY = date(2026, 11, 29)
MONDAY = date(2026, 11, 30)


def test_wita_is_asia_makassar() -> None:
    assert CAL.tz == ZoneInfo("Asia/Makassar")
    assert WITA.utcoffset(datetime(2026, 1, 1)) == timedelta(hours=8)


def test_weekdays_and_weekends() -> None:
    assert FRIDAY.weekday() == 4  # guard: the constants above really are what they claim
    assert CAL.is_working_day(FRIDAY)
    assert not CAL.is_working_day(SATURDAY)
    assert not CAL.is_working_day(SUNDAY)
    assert CAL.is_working_day(MONDAY)


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 12, 25), ("Christmas",)),
        (date(2026, 12, 24), ("Christmas", "Joint")),  # cuti bersama, a Thursday
        (date(2026, 8, 17), ("Independence",)),  # a Monday
        (date(2026, 3, 21), ("Eid al-Fitr",)),
        (date(2026, 3, 22), ("Eid al-Fitr",)),
        (date(2026, 3, 20), ("Eid al-Fitr", "Joint")),  # Friday before Lebaran
        (date(2026, 3, 23), ("Eid al-Fitr", "Joint")),  # Monday after
        (date(2026, 3, 24), ("Eid al-Fitr", "Joint")),  # Tuesday after
        (date(2026, 1, 1), ("New Year",)),
    ],
)
def test_indonesian_holidays_and_cuti_bersama_are_not_working_days(day: date, words: tuple[str, ...]) -> None:
    assert not CAL.is_working_day(day)
    name = CAL.holiday_name(day)
    assert name is not None
    for word in words:
        assert word in name


def test_ordinary_weekday_has_no_holiday_name() -> None:
    assert CAL.holiday_name(date(2026, 12, 23)) is None
    assert CAL.is_working_day(date(2026, 12, 23))


def test_add_zero_days_is_the_start() -> None:
    assert CAL.add_working_days(SATURDAY, 0) == SATURDAY


def test_negative_days_rejected() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(FRIDAY, -1)


def test_add_working_days_across_a_weekend() -> None:
    # Fri 27 Nov + 1 → Sat, Sun skipped → Mon 30 Nov.
    assert CAL.add_working_days(FRIDAY, 1) == MONDAY
    # Fri 27 Nov + 3 → Mon 30 (1), Tue 1 Dec (2), Wed 2 Dec (3).
    assert CAL.add_working_days(FRIDAY, 3) == date(2026, 12, 2)
    # Filed on Saturday: the clock starts with Monday.
    assert CAL.add_working_days(SATURDAY, 1) == MONDAY


def test_add_working_days_across_christmas() -> None:
    # Wed 23 Dec 2026 + 3:
    #   Thu 24 cuti bersama, Fri 25 Christmas, Sat 26, Sun 27 weekend → skipped
    #   Mon 28 (1), Tue 29 (2), Wed 30 (3)
    assert CAL.add_working_days(date(2026, 12, 23), 3) == date(2026, 12, 30)


def test_add_working_days_across_year_end() -> None:
    # Mon 28 Dec 2026 + 5:
    #   Tue 29 (1), Wed 30 (2), Thu 31 (3),
    #   Fri 1 Jan 2027 New Year, Sat 2, Sun 3 skipped,
    #   Mon 4 Jan (4), Tue 5 Jan 2027 is Isra' Mi'raj → skipped, Wed 6 Jan (5)
    assert not CAL.is_working_day(date(2027, 1, 5))
    assert CAL.add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 6)


def test_add_working_days_across_lebaran_2026() -> None:
    # Tue 17 Mar 2026 + 1:
    #   Wed 18 cuti bersama Nyepi, Thu 19 Nyepi, Fri 20 cuti Idul Fitri, Sat 21 / Sun 22 Idul Fitri,
    #   Mon 23 and Tue 24 cuti Idul Fitri → the first working day is Wed 25 Mar.
    assert CAL.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)


def test_extra_days_off() -> None:
    cal = WorkCalendar(extra_days_off=[date(2026, 12, 1)])  # e.g. a regency anniversary
    assert not cal.is_working_day(date(2026, 12, 1))
    assert CAL.is_working_day(date(2026, 12, 1))
    # Fri 27 Nov + 2: Mon 30 (1), Tue 1 Dec declared off, Wed 2 Dec (2).
    assert cal.add_working_days(FRIDAY, 2) == date(2026, 12, 2)
    assert CAL.add_working_days(FRIDAY, 2) == date(2026, 12, 1)


def test_local_date_uses_wita() -> None:
    # 2026-11-27 17:00 UTC is 2026-11-28 01:00 in Asia/Makassar (UTC+8): already Saturday.
    instant = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)
    assert CAL.local_date(instant) == SATURDAY
    # 15:59 UTC is 23:59 WITA, still Friday.
    assert CAL.local_date(datetime(2026, 11, 27, 15, 59, tzinfo=timezone.utc)) == FRIDAY


def test_deadline_counts_from_the_wita_date() -> None:
    # Thu 26 Nov 2026 17:00 UTC = Fri 27 Nov 01:00 WITA. One working day after Friday is Monday;
    # counting from the UTC date (Thursday) would wrongly give Friday.
    instant = datetime(2026, 11, 26, 17, 0, tzinfo=timezone.utc)
    assert CAL.deadline(instant, 1) == MONDAY
    # The Friday-17:00-UTC instant (Saturday in WITA) + 3 → Mon 30, Tue 1, Wed 2 Dec.
    assert CAL.deadline(datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc), 3) == date(2026, 12, 2)


def test_deadline_with_other_offsets_is_the_same_instant() -> None:
    jakarta = datetime(2026, 11, 27, 0, 30, tzinfo=ZoneInfo("Asia/Jakarta"))  # = 01:30 WITA Friday
    assert CAL.local_date(jakarta) == FRIDAY
    assert CAL.deadline(jakarta, 1) == MONDAY


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError):
        CAL.local_date(datetime(2026, 11, 27, 17, 0))
    with pytest.raises(ValueError):
        CAL.deadline(datetime(2026, 11, 27, 17, 0), 3)


def test_working_days_between() -> None:
    # (Fri 27 Nov, Wed 2 Dec]: Mon 30, Tue 1, Wed 2 → 3
    assert CAL.working_days_between(FRIDAY, date(2026, 12, 2)) == 3
    assert CAL.working_days_between(date(2026, 12, 2), FRIDAY) == -3
    assert CAL.working_days_between(FRIDAY, FRIDAY) == 0
    # (Wed 23 Dec, Wed 30 Dec]: 28, 29, 30 → 3
    assert CAL.working_days_between(date(2026, 12, 23), date(2026, 12, 30)) == 3


# -- properties -----------------------------------------------------------------------------------

dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))


@settings(max_examples=150, deadline=None)
@given(dates, st.integers(min_value=1, max_value=60))
def test_result_is_a_working_day(start: date, n: int) -> None:
    assert CAL.is_working_day(CAL.add_working_days(start, n))


@settings(max_examples=150, deadline=None)
@given(dates, st.integers(min_value=0, max_value=60))
def test_strictly_increasing(start: date, n: int) -> None:
    assert CAL.add_working_days(start, n + 1) > CAL.add_working_days(start, n)


@settings(max_examples=150, deadline=None)
@given(dates, st.integers(min_value=0, max_value=60))
def test_between_inverts_add(start: date, n: int) -> None:
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@settings(max_examples=150, deadline=None)
@given(dates, dates)
def test_between_is_antisymmetric(a: date, b: date) -> None:
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)


@settings(max_examples=100, deadline=None)
@given(dates, st.integers(min_value=1, max_value=30))
def test_no_working_day_is_skipped(start: date, n: int) -> None:
    # Independent count: walk the days by hand and compare.
    end = CAL.add_working_days(start, n)
    walked = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(1 for d in walked if d.weekday() < 5 and CAL.holiday_name(d) is None) == n
