"""`aduan retention run --at ...` (bot/cli/retention.py, bot/retention.py, storage.personal_data):
cases closed more than RETENTION_MONTHS before the instant lose their reporter's personal data and
their files; recent and open cases keep theirs; the figures do not move; each erasure is an audit
row; a second run erases nothing. On SQLite, or PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import fields
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cases.figures import Period, Scope
from cases.workflow import Policy
from storage import statistics
from storage.agencies import DEFAULT_CSV
from storage.db import Database
from storage.models import (
    AnonFile,
    AnonReport,
    Attachment,
    AuditEntry,
    Complaint,
    Conversation,
    Officer,
    OutboxMessage,
    User,
)
from tests.database_scan import found
from tests.e2e.harness import fresh_database
from tests.unit.cli.support import cli, query

WITA = ZoneInfo("Asia/Makassar")
AT = "2028-03-01T09:00"  # the cutoff is then 1 March 2026, 09:00 WITA
ADMIN = 730_009_001
OLD, RECENT, OPEN, IDLE, OFFICER = 730_001_501, 730_001_502, 730_001_503, 730_001_504, 730_001_505
OLD_NAME, OLD_USERNAME, OLD_PHONE = "Bambang Sutrisno", "bambang_lama", "+6281111111111"
PERIOD = Period(date(2025, 12, 1), date(2028, 2, 29))


def wita(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime.combine(date(year, month, day), time(hour), WITA)


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))
        monkeypatch.setenv("ADMIN_TELEGRAM_IDS", str(ADMIN))
        monkeypatch.chdir(tmp_path)  # no stray .env
        yield url


def figures(url: str):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        database = Database(url)
        try:
            as_of = wita(2028, 2, 29, 16)
            return (await statistics.tallies(database.read, PERIOD, Scope(), Policy().calendar, as_of),
                    await statistics.figures(database.read, PERIOD, Scope(), Policy(), as_of))
        finally:
            await database.dispose()

    return asyncio.run(go())


def unordered(tallies: object) -> dict[str, object]:
    """The tallies with each list as a multiset: SQL gives grouped rows in no fixed order (on
    PostgreSQL an UPDATE moves a row, and a GROUP BY may then list it elsewhere)."""
    return {f.name: sorted(map(repr, v)) if isinstance(v := getattr(tallies, f.name), list) else v for f in fields(tallies)}  # type: ignore[arg-type]


def _file(root: Path, name: str, content: bytes) -> str:
    path = root / name[:2] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return str(path)


def _case(n: int, citizen: int | None, status: str, created: datetime, closed: datetime | None, **extra: object) -> Complaint:
    return Complaint(id=n, ticket=f"KKR-{created.year}-{n:06d}", citizen_id=citizen, source_update_id=n, report_class="pengaduan",
                     topic="infrastruktur.jalan", agency_code="DPU", title=f"Jalan rusak {n}", description="Lubang besar di jalan " * 3,
                     event_date=created.date(), kecamatan="Tenggarong", privacy="biasa", language="id", status=status,
                     created_at=created, verification_due=created.date(), verified_at=created, first_routed_at=created,
                     routed_at=created, first_response_at=closed, closed_at=closed, rated_at=closed,
                     rating=4 if closed else None, **extra)  # fmt: skip


def plant(url: str, files: Path) -> dict[str, str]:
    """An old closed case (its reporter seen no more), a whistleblower's old closed case, a recent
    closed case and an old case still open; a person idle for years and an idle officer; the
    admins' cards of them in the outbox; the files on disk (one shared by an old and a recent case)."""
    only_old = _file(files, "a" * 64, b"old photo")
    shared = _file(files, "b" * 64, b"the same photo, sent twice")
    (files / "anon").mkdir(parents=True, exist_ok=True)
    (files / "anon" / "evid1.bin").write_bytes(b"sealed evidence")

    async def work(session):  # type: ignore[no-untyped-def]
        session.add_all([
            User(telegram_id=OLD, display_name=OLD_NAME, username=OLD_USERNAME, created_at=wita(2026, 1, 5), last_seen_at=wita(2026, 1, 20)),
            User(telegram_id=RECENT, display_name="Ratna Wijaya", username="ratna_w", created_at=wita(2027, 10, 1), last_seen_at=wita(2027, 11, 1)),
            User(telegram_id=OPEN, display_name="Dedi Prasetyo", username="dedi_p", created_at=wita(2025, 12, 1), last_seen_at=wita(2025, 12, 1)),
            User(telegram_id=IDLE, display_name="Lama Sekali", username="idle_one", language_chosen=True, created_at=wita(2025, 6, 1), last_seen_at=wita(2025, 6, 1)),
            User(telegram_id=OFFICER, display_name="Petugas PU", created_at=wita(2025, 6, 1), last_seen_at=wita(2025, 6, 1)),
        ])  # fmt: skip
        await session.flush()
        session.add(Officer(telegram_id=OFFICER, agency_code="DPU", joined_at=wita(2025, 6, 1)))
        old = _case(1, OLD, "closed", wita(2026, 1, 5), wita(2026, 1, 20), phone=OLD_PHONE, rating_comment="Terima kasih")
        anon = _case(2, None, "closed", wita(2026, 1, 6), wita(2026, 2, 10), anonymous=True, pseudonym="7QK")
        recent = _case(3, RECENT, "closed", wita(2027, 10, 1), wita(2027, 11, 1), phone="+6282222222222")
        still_open = _case(4, OPEN, "verified", wita(2025, 12, 1), None, phone="+6283333333333")
        session.add_all([old, anon, recent, still_open])
        await session.flush()
        session.add_all([
            Attachment(complaint_id=1, position=0, kind="photo", file_id="AgOld-file-id", file_unique_id="uOld", file_name="rumah_bambang.jpg",
                       mime_type="image/jpeg", file_size=9, fetch_status="stored", sha256="a" * 64, stored_path=only_old),
            Attachment(complaint_id=1, position=1, kind="photo", file_id="AgShared-1", file_unique_id="uS1", fetch_status="stored",
                       sha256="b" * 64, stored_path=shared),
            Attachment(complaint_id=3, position=0, kind="photo", file_id="AgShared-3", file_unique_id="uS3", fetch_status="stored",
                       sha256="b" * 64, stored_path=shared),
            AnonReport(complaint_id=2, content=b"sealed content", identity=b"sealed identity", push=b"sealed chat", push_index="p" * 64),
            AnonFile(complaint_id=2, name="evid1", ref=b"sealed ref", status="stored"),
        ])  # fmt: skip
        for case_id, citizen, at in ((1, OLD, wita(2026, 1, 5)), (3, RECENT, wita(2027, 10, 1)), (4, OPEN, wita(2025, 12, 1))):
            session.add(AuditEntry(complaint_id=case_id, actor=f"citizen:{citizen}", action="submit", to_status="submitted", at=at))
            session.add(AuditEntry(complaint_id=case_id, actor=f"admin:{ADMIN}", action="verify_and_route", from_status="submitted",
                                   to_status="verified", at=at, agency_code="DPU", due=at.date()))  # fmt: skip
        session.add(AuditEntry(complaint_id=1, actor=f"citizen:{OLD}", action="rate", from_status="responded", to_status="closed",
                               reason="Terima kasih", at=wita(2026, 1, 20)))  # fmt: skip
        session.add(Conversation(user_id=IDLE, state={"answers": {"title": "draf lama"}}, updated_at=wita(2025, 6, 1), expires_at=wita(2025, 6, 8)))
        card = "📄 <b>{ticket}</b>\n<b>Pelapor:</b> {who}\n<b>Judul:</b> Jalan rusak"
        session.add_all([
            OutboxMessage(chat_id=ADMIN, method="sendMessage", status="sent", created_at=wita(2026, 1, 5),
                          payload={"chat_id": ADMIN, "text": card.format(ticket=old.ticket, who=f"{OLD_NAME} (@{OLD_USERNAME}), {OLD_PHONE}")}),
            OutboxMessage(chat_id=OLD, method="sendMessage", status="sent", created_at=wita(2026, 1, 5),
                          payload={"chat_id": OLD, "text": f"Laporan Anda {old.ticket} diterima, {OLD_NAME}"}),
            OutboxMessage(chat_id=ADMIN, method="sendMessage", status="sent", created_at=wita(2027, 10, 1),
                          payload={"chat_id": ADMIN, "text": card.format(ticket=recent.ticket, who="Ratna Wijaya (@ratna_w), +6282222222222")}),
        ])  # fmt: skip
        return {"old": old.ticket, "recent": recent.ticket, "open": still_open.ticket}

    return query(url, work)


def test_retention_erases_old_cases_personal_data_and_files_and_nothing_else(db_url: str, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert cli(capsys, "opd", "import", str(DEFAULT_CSV))[0] == 0
    files = tmp_path / "files"
    tickets = plant(db_url, files)
    before = figures(db_url)
    assert found(db_url, [OLD_NAME, OLD_USERNAME, OLD_PHONE, OLD, "rumah_bambang", "AgOld-file-id"])  # planted, so the scan sees it

    code, out, err = cli(capsys, "retention", "run", "--at", AT)
    assert code == 0, err
    assert "cases closed before 2026-03-01 09:00 WITA" in out
    counts = {line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1]) for line in out.splitlines()[1:]}
    assert counts["cases erased"] == 2 and counts["people forgotten"] == 2  # the old reporter and the idle person
    assert counts["attachments emptied"] == 3 and counts["files deleted"] == 2  # the old-only photo and the evidence
    assert counts["drafts deleted"] == 1

    # Nowhere in the database any more: the old reporter, their phone, their files' names and ids.
    assert found(db_url, [OLD_NAME, OLD_USERNAME, OLD_PHONE, OLD, "rumah_bambang", "AgOld-file-id", "Lama Sekali", IDLE]) == []
    # Recent and open cases keep theirs; so does the idle officer.
    assert found(db_url, ["Ratna Wijaya", "ratna_w", "+6282222222222", "Dedi Prasetyo", "+6283333333333", "AgShared-3", "Petugas PU"])
    assert not Path(files / "aa" / ("a" * 64)).exists() and not (files / "anon" / "evid1.bin").exists()
    assert Path(files / "bb" / ("b" * 64)).exists(), "a file a recent case also has stays"

    async def state(session):  # type: ignore[no-untyped-def]
        cases = {c.ticket: c for c in (await session.scalars(select(Complaint))).all()}
        audit = [(e.complaint_id, e.actor, e.action) for e in (await session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_erase"))).all()]
        report = await session.get(AnonReport, 2)
        return cases, audit, (report.push, report.push_index, report.identity, report.content)

    cases, audit, sealed = query(db_url, state)
    old = cases[tickets["old"]]
    assert (old.citizen_id, old.phone, old.title, old.status) == (None, None, "Jalan rusak 1", "closed"), "the report stays, without its reporter"
    assert old.reporter_erased_at is not None and old.files_erased_at is not None
    assert [a for a in old.attachments if a.file_id or a.stored_path or a.file_name] == []
    assert cases[tickets["recent"]].citizen_id == RECENT and cases[tickets["open"]].citizen_id == OPEN
    assert sorted(audit) == [(1, "system", "retention_erase"), (2, "system", "retention_erase")]
    assert sealed == (None, None, b"", b"sealed content"), "a whistleblower's chat and identity go, the report stays"

    after = figures(db_url)
    assert after[1] == before[1], "the figures are the same before and after"
    assert unordered(after[0]) == unordered(before[0]), "and so is every count they are made of"

    code, out, _ = cli(capsys, "retention", "run", "--at", AT)
    assert code == 0
    assert all(line.split()[-1] == "0" for line in out.splitlines()[1:]), "a second run erases nothing:\n" + out
    assert len(query(db_url, state)[1]) == 2


def test_the_running_bot_erases_every_night(tmp_path: Path) -> None:
    """The scheduler wakes the retention run daily at 02:30 WITA, as of its clock."""
    from bot.jobs import Scheduler
    from handlers.core.context import HandlerConfig

    ran: list[datetime] = []

    async def retention(now: datetime) -> None:
        ran.append(now)

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'jobs.sqlite3'}")
    moment = wita(2028, 3, 1, 10)
    scheduler = Scheduler(database, HandlerConfig(), WITA, 8, lambda: moment, lambda: None, retention)
    job = scheduler.scheduler.get_job("retention")
    assert job is not None
    assert job.trigger.get_next_fire_time(None, moment) == datetime(2028, 3, 2, 2, 30, tzinfo=WITA)
    asyncio.run(scheduler.erase())
    assert ran == [moment]
    assert Scheduler(database, HandlerConfig(), WITA, 8, lambda: moment, lambda: None).scheduler.get_job("retention") is None
    asyncio.run(database.dispose())
