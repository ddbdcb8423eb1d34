"""Days off an admin declares (`aduan calendar`), on top of the `holidays` package's calendar."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.calendar import WorkCalendar
from storage.models import DayOff


async def declared(session: AsyncSession) -> list[DayOff]:
    return list(await session.scalars(select(DayOff).order_by(DayOff.day)))


async def add(session: AsyncSession, day: date, reason: str, now: datetime) -> bool:
    """False when the day was already declared (the reason is then updated)."""
    existing = await session.get(DayOff, day)
    if existing is not None:
        existing.reason = reason
        return False
    session.add(DayOff(day=day, reason=reason, added_at=now))
    return True


async def remove(session: AsyncSession, day: date) -> bool:
    existing = await session.get(DayOff, day)
    if existing is None:
        return False
    await session.delete(existing)
    return True


async def load_calendar(session: AsyncSession, tz: ZoneInfo) -> WorkCalendar:
    return WorkCalendar(tz, [d.day for d in await declared(session)])
