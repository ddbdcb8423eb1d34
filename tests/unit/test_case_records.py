"""Transitions of the case rules written to the database with their audit trail, and
`aduan case show` printing that history."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from bot.cli import main
from cases import workflow
from cases.model import Status
from storage import agencies, cases
from storage.db import Database, upgrade
from storage.models import User
from storage.repo import Repository, new_complaint

FILED = datetime(2026, 12, 18, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 WITA
ROUTED = datetime(2026, 12, 21, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 WITA
ANSWERED = datetime(2026, 12, 22, 7, 30, tzinfo=timezone.utc)


async def file_and_handle(url: str) -> str:
    database = Database(url)
    policy = workflow.Policy()
    try:
        await agencies.seed_if_empty(database.write)
        async with database.write() as session, session.begin():
            session.add(User(telegram_id=11, display_name="Warga", language="id", created_at=FILED, last_seen_at=FILED))
            repo = Repository(session)
            complaint = await repo.add_complaint(new_complaint(
                ticket=await repo.next_ticket(2026), citizen_id=11, source_update_id=1, report_class="pengaduan",
                topic="infra.jalan", agency_code=None, title="Jalan rusak", description="x" * 40,
                event_date=date(2026, 12, 17), privacy="biasa", language="id", status="submitted",
                created_at=FILED, verification_due=date(2026, 12, 23)), [], actor="citizen:11")
            admin = workflow.Actor("admin", 99)
            step = workflow.verify_and_route(cases.case_view(complaint), admin, ROUTED, policy, "DPU")
            await cases.record(session, complaint, step, admin, ROUTED)
            officer = workflow.Actor("officer", 55, "DPU")
            step = workflow.respond(cases.case_view(complaint), officer, ANSWERED, policy, "Sudah diperbaiki")
            await cases.record(session, complaint, step, officer, ANSWERED)
            return complaint.ticket
    finally:
        await database.dispose()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'cases.sqlite3'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("TELEGRAM_BOT_TOKEN", "ADMIN_TELEGRAM_IDS"):
        monkeypatch.delenv(name, raising=False)
    upgrade(database_url)
    return database_url


def test_transitions_are_stored_with_an_audit_trail(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    ticket = asyncio.run(file_and_handle(url))

    async def reload() -> tuple:  # type: ignore[type-arg]
        database = Database(url)
        try:
            async with database.read() as session:
                complaint = await Repository(session).complaint_by_ticket(ticket)
                assert complaint is not None
                return cases.case_view(complaint), [(e.actor, e.action, e.from_status, e.to_status) for e in await cases.history(session, complaint)]
        finally:
            await database.dispose()

    view, trail = asyncio.run(reload())
    assert view.status is Status.RESPONDED and view.agency_code == "DPU"
    # Monday 21 Dec + 5 working days, skipping 24 (cuti bersama), 25 (Christmas) and the weekend.
    assert view.response_due == date(2026, 12, 30)
    assert view.responded_at == ANSWERED
    assert trail == [
        ("citizen:11", "submit", None, "submitted"),
        ("admin:99", "verify_and_route", "submitted", "verified"),
        ("officer:DPU:55", "respond", "verified", "responded"),
    ]

    assert main(["case", "show", ticket.lower().replace("-", " ")]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("  2026")]
    assert [line.split()[3] for line in lines] == ["citizen:11", "admin:99", "officer:DPU:55"]
    assert "2026-12-21 09:00 WITA" in out and "submitted -> verified" in out and "response due: 2026-12-30" in out


def test_case_show_of_an_unknown_ticket_fails_clearly(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["case", "show", "KKR-2026-999999"]) == 1
    assert "no case KKR-2026-999999" in capsys.readouterr().err
