"""Nobody sees or touches a case that is not theirs: guessed tickets, forged button data, stale
buttons and revoked officers, through the Bot API emulator and the real bot."""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from cases import workflow
from storage import cases, roles
from storage.db import Database
from storage.repo import Repository, new_complaint
from tests.e2e.chat import Chat
from tests.e2e.harness import query, wait_until
from tests.e2e.test_case_lifecycle import join


@pytest.fixture
def bot_env() -> dict[str, str]:
    # These tests press many forged buttons in a row; the flood gate is tested elsewhere.
    return {"FLOOD_MAX_MESSAGES": "200"}


def seed_case(database_url: str, citizen_id: int, n: int, agency: str | None, verify_by: date | None = None,
              suggested: str | None = None) -> tuple[int, str]:
    """A filed complaint (routed to `agency` by an admin when given, else suggesting `suggested`);
    returns (id, ticket)."""
    async def run() -> tuple[int, str]:
        db = Database(database_url)
        now = datetime.now(timezone.utc)
        try:
            async with db.write() as session, session.begin():
                repo = Repository(session)
                # A reporter: the bot keeps their row from their first report on.
                await repo.remember_user(citizen_id, "Warga", None, "id", now)
                complaint = await repo.add_complaint(new_complaint(
                    ticket=await repo.next_ticket(now.year), citizen_id=citizen_id, source_update_id=-n,
                    report_class="pengaduan", topic="infra.jalan", agency_code=agency or suggested, title=f"Rahasia kasus {n}",
                    description="Uraian yang hanya boleh dibaca petugas yang berwenang " * 2,
                    event_date=date.today() - timedelta(days=1), privacy="biasa", language="id",
                    status="submitted", created_at=now, verification_due=verify_by or date.today() + timedelta(days=5)), [],
                    actor=f"citizen:{citizen_id}")  # fmt: skip
                if agency is not None:
                    admin = workflow.Actor("admin", 1)
                    step = workflow.verify_and_route(cases.case_view(complaint), admin, now, workflow.Policy(), agency)
                    await cases.record(session, complaint, step, admin, now)
                return complaint.id, complaint.ticket
        finally:
            await db.dispose()

    return asyncio.run(run())


def revoke(database_url: str, agency: str, telegram_id: int) -> None:
    async def run() -> None:
        db = Database(database_url)
        try:
            async with db.write() as session, session.begin():
                await roles.revoke_officer(session, agency, telegram_id, datetime.now(timezone.utc))
        finally:
            await db.dispose()

    asyncio.run(run())


def answered(emulator, query_id: str) -> str:  # type: ignore[no-untyped-def]
    wait_until(lambda: emulator.callback_answer(query_id) is not None, message="the press answered")
    return (emulator.callback_answer(query_id) or {}).get("text", "")


def snapshot(database_url: str) -> list[tuple]:
    return query(database_url, "SELECT id, status, agency_code FROM complaints ORDER BY id") + query(database_url, "SELECT count(*) FROM audit_log")


def test_officers_reach_only_their_agencys_cases(emulator, bot, admin, database_url):
    dpu = join(emulator, database_url, "DPU", "Petugas PU", "id")
    dinkes = join(emulator, database_url, "DINKES", "Petugas Dinkes", "id")
    citizen = Chat(emulator.user(first_name="Warga", language_code="id"))
    citizen.say("/start")
    citizen.expect("Kanal Aduan")
    dpu_id, dpu_ticket = seed_case(database_url, citizen.user.id, 1, "DPU")
    dinkes_id, dinkes_ticket = seed_case(database_url, citizen.user.id, 2, "DINKES")
    new_id, new_ticket = seed_case(database_url, citizen.user.id, 3, None)
    before = snapshot(database_url)

    # The queue holds the agency's own cases only.
    dinkes.say("/tugas")
    listing = dinkes.expect("Dinas Kesehatan")
    assert dinkes_ticket in listing.text and dpu_ticket not in listing.text and new_ticket not in listing.text

    # Guessed ticket numbers: another agency's, an unrouted one, one that does not exist — all alike.
    replies = []
    for ticket in (dpu_ticket, new_ticket, "KKR-2026-999999"):
        dinkes.say(f"/kasus {ticket}")
        replies.append(dinkes.expect(ticket).text.replace(ticket, "T"))
    assert len(set(replies)) == 1 and "Rahasia" not in replies[0]

    # Forged callback data: other agencies' cases, admin and citizen verbs, garbage.
    anchor = dinkes.user.messages()[-1]
    forged = [f"o:open:{dpu_id}", f"o:re:{dpu_id}", f"o:no:{dpu_id}", f"o:files:{dpu_id}", f"o:ask:{new_id}",
              f"a:open:{dpu_id}", f"a:rt:{new_id}:DINKES", f"a:rj:{new_id}", "a:ik::DINKES:1", f"w:rep:{dpu_id}",
              f"w:st:{dinkes_id}:5", "o:open:99999999", "o:re:abc", "o:open:1:2:3", "p:ok::deadbeef", "x" * 64]  # fmt: skip
    for data in forged:
        text = answered(emulator, dinkes.user.press_data(anchor, data))
        assert "tidak" in text.lower(), (data, text)
    assert snapshot(database_url) == before, "a forged button changed a case"
    assert query(database_url, "SELECT count(*) FROM pending_inputs") == [(0,)]
    assert query(database_url, "SELECT count(*) FROM invites WHERE created_by LIKE 'admin:%'") == [(0,)]
    assert not any("Rahasia kasus 1" in text for text in dinkes.texts())

    # A citizen does not even learn that staff commands exist.
    citizen.say("/antrian")
    assert "tidak mengenal perintah" in citizen.expect("/antrian").text

    # Stale buttons: the case moved on (returned to Diskominfo), the card's buttons do nothing.
    dpu.say(f"/kasus {dpu_ticket}")
    card = dpu.expect("Rahasia kasus 1")
    dpu.press("Bukan kewenangan kami")
    dpu.say("Bukan jalan kabupaten.")
    preview = dpu.expect("Periksa sebelum mengirim")
    dpu.press("Kembalikan ke Diskominfo")
    wait_until(lambda: query(database_url, "SELECT status FROM complaints WHERE id = :i", i=dpu_id) == [("returned",)], message="returned")
    for label in ("Jawab pelapor", "Tanya pelapor"):
        text = answered(emulator, dpu.user.press(card.message_id, text=label))
        assert "tidak" in text.lower(), (label, text)
    assert query(database_url, "SELECT count(*) FROM audit_log WHERE complaint_id = :i", i=dpu_id) == [(3,)]
    assert query(database_url, "SELECT count(*) FROM pending_inputs") == [(0,)]
    del preview

    # The admin's card from before is stale for the route it no longer needs.
    boss = Chat(admin)
    boss.say(f"/kasus {new_ticket}")
    admin_card = boss.expect("Rahasia kasus 3")
    boss.press("Tolak")
    boss.press("terlalu umum")
    boss.expect("Periksa sebelum mengirim")
    boss.press("Tolak laporan")
    wait_until(lambda: query(database_url, "SELECT status FROM complaints WHERE id = :i", i=new_id) == [("rejected",)], message="rejected")
    text = answered(emulator, boss.user.press(admin_card.message_id, text="Tanya pelapor"))
    assert "tidak berlaku" in text, text
    assert "terlalu umum" in citizen.expect("tidak dapat ditindaklanjuti").text

    # A revoked officer's open preview and old buttons stop working at once.
    dinkes.say(f"/kasus {dinkes_ticket}")
    dinkes.expect("Rahasia kasus 2")
    dinkes.press("Jawab pelapor")
    dinkes.say("Jawaban dari petugas yang akan dicabut.")
    confirm = dinkes.expect("Periksa sebelum mengirim")
    revoke(database_url, "DINKES", dinkes.user.id)
    text = answered(emulator, dinkes.user.press(confirm.message_id, text="Kirim jawaban"))
    assert "tidak" in text.lower()
    assert query(database_url, "SELECT status FROM complaints WHERE id = :i", i=dinkes_id) == [("verified",)]
    assert not any("akan dicabut" in text for text in citizen.texts()), "a revoked officer reached the citizen"


def test_two_admins_routing_the_same_case_at_once_route_it_once(emulator, bot, admin, database_url):
    from tests.e2e.test_admin_tools import add_admin

    citizen = Chat(emulator.user(first_name="Warga", language_code="id"))
    citizen.say("/start")
    citizen.expect("Kanal Aduan")
    other = Chat(emulator.user(first_name="Admin Dua", language_code="id"))
    add_admin(database_url, other.user.id)
    case_id, ticket = seed_case(database_url, citizen.user.id, 1, None, suggested="DPU")
    previews = []
    for chat in (Chat(admin), other):
        chat.say(f"/kasus {ticket}")
        chat.expect("Rahasia kasus 1")
        chat.press("Verifikasi dan teruskan ke")
        previews.append(chat.expect("Periksa sebelum mengirim"))
    first = Chat(admin).user.press(previews[0].message_id, text="Teruskan")
    second = other.user.press(previews[1].message_id, text="Teruskan")
    answers = [answered(emulator, first), answered(emulator, second)]
    assert sorted(bool(a) for a in answers) == [False, True], answers  # one acted, one was told
    assert "tidak berlaku" in next(a for a in answers if a)
    assert query(database_url, "SELECT count(*) FROM audit_log WHERE complaint_id = :i AND action = 'verify_and_route'", i=case_id) == [(1,)]
    citizen.expect("diteruskan ke")
    time.sleep(1.5)  # room for a second notification, which must not come
    assert sum("diteruskan ke" in text for text in citizen.texts()) == 1
