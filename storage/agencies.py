"""The agency (OPD) directory as data: the shipped Kukar list seeds an empty database."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Agency

DEFAULT_CSV = Path(__file__).parent / "data" / "opd_kukar.csv"


async def seed_if_empty(sessions: async_sessionmaker[AsyncSession], path: Path = DEFAULT_CSV) -> int:
    """Load the shipped directory into an empty database, through the same checks and upsert
    as `aduan opd import`."""
    async with sessions() as session, session.begin():
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            # Processes starting together seed once: the others wait here, then find the rows.
            await session.execute(text("LOCK TABLE agencies IN SHARE ROW EXCLUSIVE MODE"))
        if await session.scalar(select(func.count()).select_from(Agency)):
            return 0
        rows, problems = validate_csv(path)
        if problems:
            raise ValueError(f"{path}:{problems[0].line}: {problems[0].reason}")
        return len((await import_agencies(session, rows)).added)


# --- operator import (`aduan opd import FILE.csv`) -------------------------------------------

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
NAME_MAX = 200
KIND_MAX = 32
REQUIRED_COLUMNS = ("code", "name")


@dataclass(frozen=True)
class CsvProblem:
    line: int
    reason: str


@dataclass(frozen=True)
class ImportRow:
    line: int
    code: str
    name: str
    kind: str | None  # None: the file has no `kind` column, existing kinds are kept


@dataclass
class ImportSummary:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    @property
    def nothing_changed(self) -> bool:
        return not (self.added or self.changed or self.reactivated or self.deactivated)


def validate_csv(path: Path) -> tuple[list[ImportRow], list[CsvProblem]]:
    """Parse and check every row of an agency CSV. Rows are returned only when there are no
    problems; codes are upper-cased; columns other than code, name, kind are ignored; lines that
    are entirely blank (e.g. `,,,` left by a spreadsheet) are skipped."""
    problems: list[CsvProblem] = []
    rows: list[ImportRow] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                return [], [CsvProblem(1, "missing required column(s): " + ", ".join(missing) + " (header must name code,name,kind)")]
            reader.fieldnames = header
            has_kind = "kind" in header
            first_line: dict[str, int] = {}
            for record in reader:
                line = reader.line_num  # the record's (last) physical line; blank lines count
                values = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}
                if not any(values.values()):
                    continue
                code = values.get("code", "").upper()
                name = values.get("name", "")
                kind = values.get("kind", "") if has_kind else None
                reasons: list[str] = []
                if not code:
                    reasons.append("missing code")
                elif not CODE_PATTERN.match(code):
                    reasons.append(f"invalid code {code!r} (2-32 characters A-Z, 0-9 and '-', not starting with '-')")
                elif code in first_line:
                    reasons.append(f"duplicate code {code} (first on line {first_line[code]})")
                else:
                    first_line[code] = line
                if not name:
                    reasons.append("missing name")
                elif len(name) > NAME_MAX:
                    reasons.append(f"name is {len(name)} characters (at most {NAME_MAX})")
                if kind is not None and len(kind) > KIND_MAX:
                    reasons.append(f"kind is {len(kind)} characters (at most {KIND_MAX})")
                if reasons:
                    problems.append(CsvProblem(line, "; ".join(reasons)))
                else:
                    rows.append(ImportRow(line, code, name, kind))
    except UnicodeDecodeError as exc:
        return [], [CsvProblem(0, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except csv.Error as exc:
        return [], [CsvProblem(0, f"unreadable CSV: {exc}")]
    if not problems and not rows:
        problems.append(CsvProblem(1, "no agencies in the file (refusing to deactivate every agency)"))
    return ([] if problems else rows), problems


async def import_agencies(session: AsyncSession, rows: list[ImportRow]) -> ImportSummary:
    """Make the directory match `rows`, inside the caller's transaction: add new codes, update
    changed names/kinds, re-activate listed inactive agencies and deactivate (never delete)
    agencies not listed. Idempotent."""
    summary = ImportSummary()
    existing = {a.code: a for a in (await session.scalars(select(Agency))).all()}
    listed = set()
    for row in rows:
        listed.add(row.code)
        agency = existing.get(row.code)
        if agency is None:
            session.add(Agency(code=row.code, name=row.name, kind=row.kind or "", active=True))
            summary.added.append(row.code)
            continue
        kind = agency.kind if row.kind is None else row.kind
        if agency.name != row.name or agency.kind != kind:
            agency.name, agency.kind = row.name, kind
            summary.changed.append(row.code)
        if not agency.active:
            agency.active = True
            summary.reactivated.append(row.code)
    for code in sorted(existing):
        if code not in listed and existing[code].active:
            existing[code].active = False
            summary.deactivated.append(code)
    await session.flush()
    return summary
