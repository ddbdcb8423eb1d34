"""The pure parts of the case screens: button data, cards, queues' order."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from cases import workflow
from cases.calendar import WorkCalendar
from handlers.casework import keyboards
from handlers.casework.cards import CardFacts, citizen_card, due_text, staff_card
from handlers.core.i18n import texts
from handlers.core.topics import load_topics
from storage import agencies, cases
from storage.db import Database, upgrade
from storage.models import AuditEntry, Complaint, User
from storage.repo import Repository, new_complaint

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)  # Wednesday 10:00 WITA


def test_button_data_round_trips() -> None:
    for audience, verb, case_id, argument in [("a", "rt", 12, "DPU"), ("o", "q", None, 3), ("a", "ik", None, "DPU:1"), ("w", "open", 5, None)]:
        press = keyboards.parse(keyboards.data(audience, verb, case_id, argument))
        assert press == keyboards.Press(audience, verb, case_id, "" if argument is None else str(argument))


@pytest.mark.parametrize("raw", ["", "a", "z:open:1", "a:open:x1", "a:open:-1", "a:op3n:1", "a:open:" + "9" * 19, "lang:id", "c:12", "m:lapor", "a:open:１２"])
def test_forged_or_foreign_data_is_not_a_case_button(raw: str) -> None:
    assert keyboards.parse(raw) is None


def test_button_data_never_exceeds_telegrams_64_bytes() -> None:
    with pytest.raises(ValueError):
        keyboards.data("a", "rt", 10**17, "X" * 50)


def test_pager_offers_only_existing_pages() -> None:
    t = texts("en")
    assert keyboards.pager("a", "q", 0, keyboards.PAGE_SIZE, t) == ()
    first = keyboards.pager("a", "q", 0, keyboards.PAGE_SIZE + 1, t)
    assert [b.data for b in first] == ["a:q::1"]
    last = keyboards.pager("a", "q", 1, keyboards.PAGE_SIZE + 1, t)
    assert [b.data for b in last] == ["a:q::0"]


def _complaint(**overrides: object) -> Complaint:
    fields: dict[str, object] = dict(
        id=1, ticket="KKR-2026-000001", citizen_id=9, source_update_id=1, report_class="pengaduan",
        topic="infra.jalan", agency_code="DPU", title="<b>Jalan</b> & lubang", description="Ada <script> di sini",
        event_date=date(2026, 11, 30), privacy="biasa", language="id", status="verified", created_at=NOW,
        verification_due=date(2026, 12, 7), response_due=date(2026, 12, 9), reopen_count=0,
    )  # fmt: skip
    fields.update(overrides)
    complaint = Complaint(**fields)
    complaint.attachments = []
    return complaint


def _facts(thread: tuple[AuditEntry, ...] = ()) -> CardFacts:
    reporter = User(telegram_id=9, display_name="Siti <Aminah>", username="siti", language="id")
    return CardFacts(calendar=WorkCalendar(), today=date(2026, 12, 2), topics=load_topics(),
                     agency_names={"DPU": "Dinas Pekerjaan Umum"}, reporter=reporter, thread=thread)  # fmt: skip


def test_cards_escape_everything_the_users_wrote() -> None:
    note = AuditEntry(actor="officer:DPU:5", action="not_ours", reason="internal <note>", at=NOW)
    answer = AuditEntry(actor="officer:DPU:5", action="respond", reason="Diperbaiki <b>besok</b>", at=NOW)
    facts = _facts((note, answer))
    staff = staff_card(_complaint(), texts("en"), facts)
    assert "&lt;b&gt;Jalan&lt;/b&gt; &amp; lubang" in staff and "&lt;script&gt;" in staff
    assert "Siti &lt;Aminah&gt;" in staff and "internal &lt;note&gt;" in staff
    mine = citizen_card(_complaint(), texts("en"), facts)
    assert "Diperbaiki &lt;b&gt;besok&lt;/b&gt;" in mine
    assert "internal" not in mine, "the agency's note to Diskominfo is not the citizen's"
    assert "Siti" not in mine and "@siti" not in mine


def test_deadlines_read_as_local_dates_and_say_when_late() -> None:
    t = texts("id")
    assert due_text(date(2026, 12, 9), date(2026, 12, 2), t) == "Rabu, 09 Desember 2026"
    assert "lewat tenggat" in due_text(date(2026, 12, 1), date(2026, 12, 2), t)
    card = staff_card(_complaint(), texts("en"), _facts())
    assert "Agency answers by:</b> Wednesday, December 9, 2026" in card


def test_queues_put_the_most_urgent_first(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"
    upgrade(url)

    async def run() -> tuple[list[str], list[str]]:
        db = Database(url)
        admin = workflow.Actor("admin", 1)
        officer = workflow.Actor("officer", 5, "DPU")
        try:
            await agencies.seed_if_empty(db.write)
            async with db.write() as session, session.begin():
                session.add(User(telegram_id=9, display_name="W", language="id", created_at=NOW, last_seen_at=NOW))
                await session.flush()
                repo = Repository(session)
                for n, verify_by in enumerate([date(2026, 12, 8), date(2026, 12, 3), date(2026, 12, 5)], start=1):
                    await repo.add_complaint(new_complaint(
                        ticket=f"KKR-2026-00000{n}", citizen_id=9, source_update_id=n, report_class="pengaduan",
                        topic="infra.jalan", title="t" * 12, description="d" * 40, event_date=date(2026, 12, 1),
                        privacy="biasa", language="id", status="submitted", created_at=NOW, verification_due=verify_by), [], "citizen:9")  # fmt: skip
            async with db.read() as session:
                waiting, total = await cases.admin_queue(session, 10)
                assert total == 3
                admin_order = [c.ticket for c in waiting]
            async with db.write() as session, session.begin():
                repo = Repository(session)
                for n, days in ((1, 5), (2, 2), (3, 9)):
                    c = await repo.complaint_by_ticket(f"KKR-2026-00000{n}")
                    assert c is not None
                    step = workflow.verify_and_route(cases.case_view(c), admin, NOW, workflow.Policy(response_days=days), "DPU")
                    await cases.record(session, c, step, admin, NOW)
                    if n == 2:  # answered: waits for the citizen, so after those still to answer
                        answer = workflow.respond(cases.case_view(c), officer, NOW, workflow.Policy(), "ok")
                        await cases.record(session, c, answer, officer, NOW)
            async with db.read() as session:
                agency, total = await cases.agency_queue(session, "DPU", 10)
                assert total == 3
                assert (await cases.agency_queue(session, "DINKES", 10))[1] == 0
                return admin_order, [c.ticket for c in agency]
        finally:
            await db.dispose()

    admin_order, agency = asyncio.run(run())
    assert admin_order == ["KKR-2026-000002", "KKR-2026-000003", "KKR-2026-000001"]
    # Cases the agency must answer come first, nearest deadline first; answered ones after.
    assert agency == ["KKR-2026-000001", "KKR-2026-000003", "KKR-2026-000002"]
