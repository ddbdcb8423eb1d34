"""The agency (OPD) directory as data: the shipped Kukar list seeds an empty database."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Agency

DEFAULT_CSV = Path(__file__).parent / "data" / "opd_kukar.csv"


@dataclass(frozen=True)
class AgencyRow:
    code: str
    name: str
    kind: str


def read_csv(path: Path) -> list[AgencyRow]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [AgencyRow(r["code"].strip(), r["name"].strip(), (r.get("kind") or "").strip()) for r in csv.DictReader(handle)]


async def seed_if_empty(sessions: async_sessionmaker[AsyncSession], path: Path = DEFAULT_CSV) -> int:
    async with sessions() as session, session.begin():
        if await session.scalar(select(func.count()).select_from(Agency)):
            return 0
        rows = read_csv(path)
        session.add_all(Agency(code=r.code, name=r.name, kind=r.kind, active=True) for r in rows)
        return len(rows)
