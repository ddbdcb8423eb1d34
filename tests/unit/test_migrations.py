"""The Alembic migrations build exactly the schema the models describe, and go both ways."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import alembic_config, at_head, create_engine, head_revision, upgrade
from storage.models import Base

ROOT = Path(__file__).resolve().parents[2]


def differences(url: str) -> list:  # type: ignore[type-arg]
    async def run() -> list:  # type: ignore[type-arg]
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrations_match_the_models_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url)
    assert differences(url) == [], "a model changed without a migration (run alembic revision --autogenerate)"
    command.downgrade(alembic_config(url), "base")
    upgrade(url)
    assert differences(url) == []


def test_0009_gives_existing_cases_their_milestones_and_audit_facts(tmp_path: Path) -> None:
    """A case handled before the figures existed: after the upgrade its row has its milestones and
    its audit rows the agency and deadline of their moment, as if recorded by today's code."""
    import sqlite3

    path = tmp_path / "old.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0008")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO agencies (code, name, kind, active) VALUES ('DPU', 'Dinas PU', 'dinas', 1), ('DINKES', 'Dinas Kesehatan', 'dinas', 1)")
    db.execute("""INSERT INTO complaints (id, ticket, source_update_id, report_class, topic, agency_code, title, description,
                  event_date, privacy, language, status, created_at, verification_due, response_due, reopen_count, anonymous,
                  rating) VALUES (1, 'KKR-2026-000001', 1, 'pengaduan', 'infra.jalan', 'DPU', 'Jalan', 'Uraian', '2026-11-02',
                  'biasa', 'id', 'closed', '2026-11-02 01:00:00.000000', '2026-11-05', '2026-11-17', 0, 0, 4)""")
    trail = [("citizen:1", "submit", None, "submitted", "2026-11-02 01:00:00.000000"),
             ("admin:9", "verify_and_route", "submitted", "verified", "2026-11-03 01:00:00.000000"),
             ("officer:DINKES:5", "not_ours", "verified", "returned", "2026-11-04 01:00:00.000000"),
             ("admin:9", "verify_and_route", "returned", "verified", "2026-11-05 01:00:00.000000"),
             ("officer:DPU:7", "respond", "verified", "responded", "2026-11-09 01:00:00.000000"),
             ("citizen:1", "rate", "responded", "closed", "2026-11-10 01:00:00.000000")]  # fmt: skip
    db.executemany("INSERT INTO audit_log (complaint_id, actor, action, from_status, to_status, at) VALUES (1, ?, ?, ?, ?, ?)", trail)
    db.commit()
    db.close()

    upgrade(url)
    db = sqlite3.connect(path)
    row = db.execute("SELECT verified_at, first_routed_at, routed_at, first_response_at, first_response_routed_at, "
                     "first_response_due, rated_at FROM complaints").fetchone()  # fmt: skip
    assert [value[:10] if value else value for value in row] == [
        "2026-11-03", "2026-11-03", "2026-11-05", "2026-11-09", "2026-11-05", "2026-11-17", "2026-11-10"]
    facts = db.execute("SELECT action, agency_code, due FROM audit_log ORDER BY id").fetchall()
    assert facts[2] == ("not_ours", "DINKES", "2026-11-17"), "the returning agency is read from the actor"
    assert facts[1][2] == "2026-11-05" and facts[4] == ("respond", "DPU", "2026-11-17")


def test_the_newest_revision_by_file_name_is_alembics_head() -> None:
    """`upgrade_async` skips Alembic when the database is at `head_revision`: it must be the
    revision Alembic itself would upgrade to."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///unused.sqlite3"))
    assert head_revision() == script.get_current_head()


def test_a_bot_starting_on_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    """Started on a new database it migrates; started again (every later start) it asks the
    version table and leaves Alembic's modules unloaded."""
    url = f"sqlite+aiosqlite:///{tmp_path / 's.sqlite3'}"
    probe = ("import asyncio, sys\nfrom storage.db import upgrade_async\n"
             f"asyncio.run(upgrade_async({url!r}))\nprint('alembic' in sys.modules)")  # fmt: skip
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
            for _ in range(2)]  # fmt: skip
    assert runs == ["True", "False"]
    assert asyncio.run(at_head(url))
