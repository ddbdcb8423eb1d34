"""Personal data rights through Telegram (UU 27/2022): /privasi, /dataku's copy, and /hapusdata —
its warning, a stale and a forged confirmation that change nothing, the erasure, the cards that
then say "Pelapor (data dihapus)", silence towards the erased reporter, and no trace of their
name, username, phone or id anywhere in the database."""

from __future__ import annotations

import json
import time

from tests.database_scan import found
from tests.e2e.chat import Chat, typed_answers
from tests.e2e.harness import query, wait_until
from tests.e2e.test_case_lifecycle import join
from tests.e2e.test_citizen_flow import TITLE, file_complaint, jpeg

FIRST, LAST, USERNAME, PHONE = "Wulandari", "Kusumawati", "wulan_kukar_77", "6281234567890"


def file_typed(chat: Chat, n: int) -> str:
    """A report typed answer by answer (no phone, no files); returns its ticket."""
    for answer in typed_answers(n):
        chat.say(answer)
    chat.expect("Periksa sekali lagi")
    chat.press("Kirim laporan")
    receipt = chat.expect("KKR-")
    return next(word.strip(".,") for word in receipt.text.split() if word.startswith("KKR-"))


def settled(database_url: str) -> None:
    """Every update processed and every message sent (so wiped rows are wiped)."""
    wait_until(lambda: query(database_url, "SELECT count(*) FROM inbox_updates WHERE status = 'pending'")[0][0] == 0
               and query(database_url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")[0][0] == 0,
               timeout=30, message="the bot to settle")  # fmt: skip


def answer_of(chat: Chat, query_id: str) -> dict:
    wait_until(lambda: chat.user.callback_answer(query_id) is not None, message="the button's answer")
    return chat.user.callback_answer(query_id) or {}


def test_a_citizen_sees_and_erases_their_data_and_staff_see_only_the_case(emulator, bot, admin, database_url):
    officer = join(emulator, database_url, "DPU", "Petugas PU", "en")
    citizen = Chat(emulator.user(first_name=FIRST, last_name=LAST, username=USERNAME, language_code="id"), timeout=30)
    other = Chat(emulator.user(first_name="Joko", last_name="Santoso", username="joko_lain", language_code="id"), timeout=30)
    boss = Chat(admin, timeout=30)

    ticket = file_complaint(citizen, jpeg())
    first_card = boss.expect(f"Laporan baru {ticket}")
    assert f"{FIRST} {LAST}" in first_card.text
    other_ticket = file_typed(other, 2)

    # /privasi: what, why, how long, who; in Indonesian.
    citizen.say("/privasi")
    notice = citizen.expect("Data pribadi Anda di Kanal Aduan")
    assert "24 bulan" in notice.text and "/hapusdata" in notice.text

    # /dataku: a summary and the JSON copy, with this citizen's report and nobody else's.
    citizen.say("/dataku")
    summary = citizen.expect("Data Anda di Kanal Aduan")
    assert ticket in summary.text and FIRST in summary.text
    wait_until(lambda: any(m.kind == "document" for m in citizen.user.messages()), message="the JSON copy")
    document = next(m for m in citizen.user.messages() if m.kind == "document")
    assert document.file_name.endswith(".json")
    copy = json.loads(emulator.file_bytes(document.file_id))
    assert copy["profile"]["name"] == f"{FIRST} {LAST}" and copy["profile"]["username"] == USERNAME
    assert [r["ticket"] for r in copy["reports"]] == [ticket]
    mine = copy["reports"][0]
    assert mine["title"] == TITLE and mine["phone"].endswith(PHONE) and mine["agency"] == "Dinas Pekerjaan Umum"
    assert [(f["kind"], f["sent_with"]) for f in mine["files"]] == [("photo", "report")]
    text = json.dumps(copy, ensure_ascii=False)
    assert other_ticket not in text and "Joko" not in text and "nomor 2" not in text
    assert str(admin.id) not in text and str(officer.user.id) not in text, "no staff account ids"
    settled(database_url)
    assert not query(database_url, "SELECT id FROM outbox WHERE CAST(payload AS TEXT) LIKE '%' || :name || '%' AND chat_id = :chat",
                     name=FIRST, chat=citizen.user.id), "the copy's messages were wiped from the outbox once sent"  # fmt: skip

    # /hapusdata: the warning names the open case; the case then moves on (routed), so that
    # confirmation is stale; a forged one is refused too. Nothing is deleted by either.
    citizen.say("/hapusdata")
    prompt = citizen.expect("Hapus data pribadi Anda?")
    assert ticket in prompt.text and "masih ditangani" in prompt.text and "tidak akan mendapat kabar lagi" in prompt.text
    boss.user.press(first_card.message_id, text="Verifikasi dan teruskan ke Dinas Pekerjaan Umum")
    boss.expect("Periksa sebelum mengirim")
    boss.press("Teruskan")
    citizen.expect("diteruskan ke")
    assert f"{FIRST} {LAST}" in officer.expect(f"New case for Dinas Pekerjaan Umum: {ticket}").text
    stale = citizen.user.press(prompt.message_id, text="Ya, hapus data saya")
    assert "tidak berlaku" in answer_of(citizen, stale).get("text", "")
    forged = citizen.user.press_data(prompt, "pd:del:" + str(int(time.time() // 60)) + ":000000000000")
    assert "tidak berlaku" in answer_of(citizen, forged).get("text", "")
    for junk in ("pd:del", "pd:del:x:y", "pd:zap:1:2"):
        answer_of(citizen, citizen.user.press_data(prompt, junk))
    assert query(database_url, "SELECT display_name FROM users WHERE telegram_id = :id", id=citizen.user.id) == [(f"{FIRST} {LAST}",)]
    assert query(database_url, "SELECT citizen_id FROM complaints WHERE ticket = :t", t=ticket) == [(citizen.user.id,)]

    citizen.say("/hapusdata")
    fresh = citizen.expect("Hapus data pribadi Anda?")
    citizen.user.press(fresh.message_id, text="Ya, hapus data saya")
    done = citizen.expect("Data pribadi Anda telah dihapus")
    assert "1 laporan tetap tercatat" in done.text
    assert query(database_url, "SELECT count(*) FROM audit_log WHERE action = 'erase_reporter'")[0][0] == 1

    # Staff see the case, not the reporter.
    boss.say(f"/kasus {ticket}")
    card = boss.expect("Pelapor (data dihapus)")
    assert ticket in card.text and FIRST not in card.text and PHONE not in card.text
    officer.say(f"/kasus {ticket}")
    assert FIRST not in officer.expect("Reporter (data erased)").text

    # A later step tells the citizen nothing.
    heard = len(citizen.user.messages())
    officer.press("Answer the reporter")
    officer.expect("Write")
    officer.say("Sudah kami perbaiki hari ini.")
    officer.press("Send the answer")
    wait_until(lambda: query(database_url, "SELECT status FROM complaints WHERE ticket = :t", t=ticket) == [("responded",)], message="answered")
    settled(database_url)
    assert len(citizen.user.messages()) == heard, "an erased reporter hears nothing"
    assert not [c for c in emulator.calls_of("sendMessage") if str(c.params.get("chat_id")) == str(citizen.user.id)
                and "Sudah kami perbaiki" in str(c.params.get("text"))]  # fmt: skip

    # Nowhere in the database: not the name, the username, the phone or the account id; the
    # other citizen's are all still there (the scan finds what is there).
    assert found(database_url, [FIRST, LAST, USERNAME, PHONE, citizen.user.id]) == []
    assert found(database_url, ["Joko", "joko_lain", other.user.id]), "the scan sees the other citizen"
    assert query(database_url, "SELECT title FROM complaints WHERE ticket = :t", t=ticket) == [(TITLE,)], "the report stays"

    # Pressing the used confirmation again changes nothing either.
    again = citizen.user.press(fresh.message_id, text="Ya, hapus data saya")
    assert "tidak berlaku" in answer_of(citizen, again).get("text", "")
    settled(database_url)
    assert found(database_url, [FIRST, USERNAME, citizen.user.id]) == []
