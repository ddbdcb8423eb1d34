"""Working days in Kutai Kartanegara (WITA): Monday–Friday minus holidays.

Holidays are Indonesia's public holidays and the government's collective leave (*cuti bersama*)
from the `holidays` package, plus any extra dates an admin declares.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

WITA = ZoneInfo("Asia/Makassar")


class WorkCalendar:
    """Answers "is this a working day?" and counts working days for SLA deadlines."""

    def __init__(self, tz: ZoneInfo = WITA, extra_days_off: Iterable[date] = ()) -> None:
        self.tz = tz
        self.extra_days_off = frozenset(extra_days_off)
        self._holidays = holidays.country_holidays("ID", categories=("public", "government"))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays and day not in self.extra_days_off

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day)

    def holidays_in(self, year: int) -> dict[date, str]:
        """The national holidays and cuti bersama of a year (declared extra days not included)."""
        return {day: name for day, name in holidays.country_holidays("ID", years=year, categories=("public", "government")).items()}

    def local_date(self, moment: datetime) -> date:
        """The calendar date of an aware instant in the regency's zone."""
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass an aware instant")
        return moment.astimezone(self.tz).date()

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself does not count).

        A complaint filed on Friday evening with a 3-day limit is due on Wednesday: the clock
        counts whole working days after the day of filing, as LAPOR! does.
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def deadline(self, filed_at: datetime, working_days: int) -> date:
        return self.add_working_days(self.local_date(filed_at), working_days)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count
