"""The retention rule's run: personal data of cases closed more than RETENTION_MONTHS ago erased
(`storage.personal_data.erase_expired`), and their files removed from disk.

Daily from the scheduler (`bot.jobs`), or `aduan retention run --at ...`. The files are deleted
before the transaction commits: if the commit fails, the rows still name them and the next run
erases the rows (a missing file is no error), so a crash never leaves a file nobody knows of.
Running it again erases nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from handlers.casework.cards import erased_reporter_labels
from storage import personal_data
from storage.db import Database
from storage.personal_data import Erasure

log = logging.getLogger(__name__)

# Daily, at night (WITA): nobody is waiting on the bot then.
HOUR, MINUTE = 2, 30


@dataclass(frozen=True)
class RetentionRun:
    cutoff: datetime
    erasure: Erasure
    files_deleted: int


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _delete(paths: Iterable[Path], root: Path) -> int:
    deleted = 0
    for path in paths:
        if not _inside(path, root):  # a row naming a file elsewhere is not ours to delete
            log.warning("retention: a stored file outside FILES_DIR was left in place")
            continue
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
    return deleted


async def run_retention(db: Database, files_dir: Path, months: int, now: datetime, keep: Iterable[int] = ()) -> RetentionRun:
    """Erase as of `now`; `keep`: ids never forgotten as people (ADMIN_TELEGRAM_IDS)."""
    cutoff = personal_data.months_before(now, months)
    async with db.write() as session, session.begin():
        erasure = await personal_data.erase_expired(session, cutoff, now, months=months, keep=keep,
                                                    labels=erased_reporter_labels())  # fmt: skip
        paths = [Path(p) for p in erasure.files] + [files_dir / "anon" / f"{name}.bin" for name in erasure.anon_files]
        deleted = _delete(paths, files_dir)
    if erasure.cases or erasure.users:
        log.info("retention: %d case(s), %d person(s), %d file(s) erased", erasure.cases, erasure.users, deleted)
    return RetentionRun(cutoff, erasure, deleted)
