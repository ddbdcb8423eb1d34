"""A complaint's whole life in Telegram: a citizen, a Diskominfo admin and officers of two agencies.

Filed → asked for information → answered → routed to the wrong agency → returned as not its
authority → re-routed → the agency asks → the citizen answers with a photo → answered with a file →
a reply each way → reopened → answered again → rated and closed. Every message is checked for the
recipient's language, escaping, and that it arrived exactly once; the audit trail for who, from, to.
"""

from __future__ import annotations

from datetime import datetime, timezone

from babel.dates import format_date

from cases.calendar import WorkCalendar
from tests.e2e.chat import Chat
from tests.e2e.harness import query, wait_until
from tests.e2e.test_citizen_flow import TITLE, file_complaint, jpeg
from tests.e2e.test_officer_join import invite

QUESTION = "Di RT berapa tepatnya? <i>mohon</i> & terima kasih"
ANSWER = "RT 05 & RT 06, depan <b>masjid</b> 🕌"
NOT_OURS = "Jalan kabupaten: urusan <DPU>, bukan Dinkes"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def join(emulator, database_url, agency: str, name: str, language: str) -> Chat:  # type: ignore[no-untyped-def]
    chat = Chat(emulator.user(first_name=name, language_code=language), timeout=30)
    chat.say(f"/start {invite(database_url, agency)}")
    chat.expect("✅")
    return chat


def pick_agency(chat: Chat, code: str, next_label: str) -> None:
    """Page through the agency picker until `code` shows, then press it."""
    for _ in range(12):
        picker = chat.user.messages()[-1]
        labels = [b.text for row in picker.buttons for b in row]
        if any(label.startswith(f"{code} ·") for label in labels):
            chat.user.press(picker.message_id, text=f"{code} ·")
            return
        chat.user.press(picker.message_id, text=next_label)
        wait_until(lambda: [b.text for row in chat.user.messages()[-1].buttons for b in row] != labels, message="the next page")
    raise AssertionError(f"{code} not in the picker")


def count(chat: Chat, fragment: str) -> int:
    return sum(1 for text in chat.texts() if fragment in text)


def status(database_url: str) -> str:
    return query(database_url, "SELECT status FROM complaints")[0][0]


def test_a_complaint_travels_to_the_right_agency_and_back_to_a_rated_close(emulator, bot, admin, database_url):
    dinkes = join(emulator, database_url, "DINKES", "Petugas Dinkes", "id")
    dpu = join(emulator, database_url, "DPU", "Officer PU", "en")
    head = Chat(emulator.user(first_name="Kepala PU", language_code="id"), timeout=30)
    head.say(f"/start {invite(database_url, 'DPU', as_head=True)}")
    head.expect("kepala")
    citizen = Chat(emulator.user(first_name="Siti", last_name="Aminah", language_code="id"), timeout=30)
    boss = Chat(admin, timeout=30)
    calendar = WorkCalendar()

    ticket = file_complaint(citizen, jpeg())
    card = boss.expect(f"Laporan baru {ticket}")
    assert TITLE in card.text, "the admin's card shows the title as typed (escaped, not formatted)"
    assert card.button("Dinas Pekerjaan Umum"), "routing suggests the agency the citizen chose"

    # Diskominfo asks for more: verification pauses until the citizen answers.
    boss.press("Tanya pelapor")
    boss.expect("Tulis")
    boss.say(QUESTION)
    boss.expect("Periksa sebelum mengirim")
    boss.press("Kirim pertanyaan")
    wait_until(lambda: status(database_url) == "info_requested", message="verification paused")
    asked = citizen.expect("memerlukan informasi tambahan")
    assert QUESTION in asked.text and "Diskominfo" in asked.text
    citizen.press("Jawab")
    citizen.expect("Tulis")
    citizen.say(ANSWER)
    citizen.expect("Periksa sebelum mengirim")
    citizen.press("Kirim jawaban saya")
    wait_until(lambda: status(database_url) == "submitted", message="back in verification")
    assert ANSWER in boss.expect("Pelapor telah menjawab").text

    # Routed to the wrong agency first, chosen from the picker.
    boss.say("/antrian")
    queue = boss.expect("Antrean verifikasi")
    assert ticket in queue.text
    boss.press(ticket)
    boss.expect(f"{ticket}")
    boss.press("instansi lain")
    boss.expect("Teruskan")
    pick_agency(boss, "DINKES", "Berikutnya")
    preview = boss.expect("Periksa sebelum mengirim")
    assert "Dinas Kesehatan" in preview.text
    boss.press("Teruskan")
    wait_until(lambda: status(database_url) == "verified", message="routed")
    routed = citizen.expect("diteruskan ke")
    assert "Dinas Kesehatan" in routed.text
    due = query(database_url, "SELECT response_due FROM complaints")[0][0]
    due = due if not isinstance(due, str) else datetime.fromisoformat(due).date()
    assert due == calendar.add_working_days(calendar.local_date(datetime.now(timezone.utc)), 5)
    assert format_date(due, format="full", locale="id") in routed.text, "the deadline as a local date"
    dinkes_card = dinkes.expect("Laporan baru untuk Dinas Kesehatan")
    assert TITLE in dinkes_card.text and "Siti Aminah" in dinkes_card.text
    wait_until(lambda: any(m.kind == "photo" for m in dinkes.user.messages()), message="the photo re-sent to the agency")
    assert not emulator.calls_of("forwardMessage")

    # Not Dinkes' authority: back to Diskominfo with the reason.
    dinkes.press("Bukan kewenangan kami")
    dinkes.expect("Tulis")
    dinkes.say(NOT_OURS)
    dinkes.press("Kembalikan ke Diskominfo")
    wait_until(lambda: status(database_url) == "returned", message="returned")
    returned = boss.expect("mengembalikan")
    assert NOT_OURS in returned.text
    assert not any("<DPU>" in text for text in citizen.texts()), "the agency's internal note is not for the citizen"

    # Re-routed to the agency the citizen chose, with the suggestion on the card.
    boss.press(f"Buka {ticket}")
    boss.press("Verifikasi dan teruskan ke Dinas Pekerjaan Umum")
    boss.expect("Periksa sebelum mengirim")
    boss.press("Teruskan")
    wait_until(lambda: query(database_url, "SELECT status, agency_code FROM complaints") == [("verified", "DPU")], message="re-routed")
    english_card = dpu.expect(f"New case for Dinas Pekerjaan Umum: {ticket}")
    assert "Agency answers by" in english_card.text
    head.expect(f"Laporan baru untuk Dinas Pekerjaan Umum: {ticket}")  # a chat of its own: it may come a moment later
    assert count(head, f"Laporan baru untuk Dinas Pekerjaan Umum: {ticket}") == 1, "the agency head gets the case as well, once"

    # The agency asks; the citizen answers with a photo and a caption.
    dpu.say("/tugas")
    dpu.expect("Cases of Dinas Pekerjaan Umum")
    dpu.press(ticket)
    dpu.press("Ask the reporter")
    dpu.expect("Write")
    dpu.say("Boleh kirim foto lubangnya?")
    dpu.press("Send the question")
    wait_until(lambda: status(database_url) == "agency_info_req", message="the agency waits")
    assert "Dinas Pekerjaan Umum" in citizen.expect("Boleh kirim foto").text
    citizen.press("Jawab")
    citizen.user.send_photo(jpeg((200, 30, 30)), caption="Ini fotonya & lokasinya")
    shown = citizen.expect("1 berkas")
    assert "Ini fotonya & lokasinya" in shown.text
    citizen.press("Kirim jawaban saya")
    wait_until(lambda: status(database_url) == "verified", message="the agency's clock runs again")
    assert "Ini fotonya" in dpu.expect("The reporter answered").text
    wait_until(lambda: any(m.kind == "photo" for m in dpu.user.messages()), message="the citizen's photo to the agency")

    # The answer, with a PDF, previewed and confirmed.
    dpu.say(f"/kasus {ticket}")
    dpu.press("Answer the reporter")
    dpu.expect("Write")
    dpu.user.send_document(PDF, file_name="jadwal.pdf", mime_type="application/pdf", caption="Perbaikan dijadwalkan minggu depan.")
    dpu.expect("1 file")
    dpu.press("Send the answer")
    wait_until(lambda: status(database_url) == "responded", message="answered")
    answer = citizen.expect("menjawab laporan Anda")
    assert "Perbaikan dijadwalkan minggu depan." in answer.text
    wait_until(lambda: any(m.kind == "document" for m in citizen.user.messages()), message="the answer's file")

    # A reply each way: a thread both sides see.
    citizen.press("Balas")
    citizen.say("Terima kasih, kami tunggu.")
    citizen.press("Kirim balasan saya")
    assert "kami tunggu" in dpu.expect("The reporter replied").text
    dpu.press(f"Open {ticket}")
    opened = dpu.expect("Conversation")
    assert "kami tunggu" in opened.text and "Perbaikan dijadwalkan" in opened.text
    dpu.press("Reply to the reporter")
    dpu.say("Sama-sama.")
    dpu.press("Send the reply")
    assert "Sama-sama." in citizen.expect("membalas terkait laporan").text

    # Not satisfied yet: reopened, back to the same agency.
    citizen.press("Buka kembali")
    citizen.say("Sudah lewat seminggu, belum ada perbaikan.")
    citizen.press("Buka kembali laporan")
    wait_until(lambda: query(database_url, "SELECT status, reopen_count FROM complaints") == [("verified", 1)], message="reopened")
    assert "belum ada perbaikan" in dpu.expect("reopened").text
    boss.expect("membuka kembali")

    # Answered again, rated 4 with a comment: closed.
    dpu.say(f"/kasus {ticket}")
    dpu.press("Answer the reporter")
    dpu.say("Sudah diperbaiki hari ini.")
    dpu.press("Send the answer")
    citizen.expect("Sudah diperbaiki hari ini.")
    citizen.press("Nilai jawaban")
    citizen.press("⭐⭐⭐⭐")
    preview = citizen.expect("Periksa sebelum mengirim")
    assert "(4/5)" in preview.text
    citizen.press("Tambah catatan")
    citizen.say("Cepat & ramah <3")
    citizen.expect("Cepat & ramah <3")
    citizen.press("Kirim penilaian saya")
    wait_until(lambda: query(database_url, "SELECT status, rating, rating_comment FROM complaints") == [("closed", 4, "Cepat & ramah <3")], message="rated and closed")
    assert "Cepat & ramah <3" in dpu.expect("rated the answer").text

    # The audit trail: every step, by whom, from which status to which.
    trail = query(database_url, "SELECT actor, action, from_status, to_status FROM audit_log ORDER BY id")
    steps = [(actor.split(":")[0] + (":" + actor.split(":")[1] if actor.startswith("officer") else ""), action, a, b) for actor, action, a, b in trail]
    assert steps == [
        ("citizen", "submit", None, "submitted"),
        ("admin", "request_info", "submitted", "info_requested"),
        ("citizen", "answer_info", "info_requested", "submitted"),
        ("admin", "verify_and_route", "submitted", "verified"),
        ("officer:DINKES", "not_ours", "verified", "returned"),
        ("admin", "verify_and_route", "returned", "verified"),
        ("officer:DPU", "agency_request_info", "verified", "agency_info_req"),
        ("citizen", "answer_info", "agency_info_req", "verified"),
        ("officer:DPU", "respond", "verified", "responded"),
        ("citizen", "citizen_reply", "responded", "responded"),
        ("officer:DPU", "agency_reply", "responded", "responded"),
        ("citizen", "reopen", "responded", "verified"),
        ("officer:DPU", "respond", "verified", "responded"),
        ("citizen", "rate", "responded", "closed"),
    ]

    # Exactly once each, in the recipient's language.
    assert count(citizen, "diteruskan ke") == 2
    assert count(citizen, "memerlukan informasi tambahan") == 2
    assert count(citizen, "menjawab laporan Anda") == 2
    assert count(dpu, "New case for") == 1 and count(dinkes, "Laporan baru untuk") == 1
    assert count(boss, "mengembalikan") == 1 and count(dpu, "The reporter replied") == 1
    assert not any("Kasus baru" in text for text in dpu.texts()), "the English-speaking officer reads English"
    to_citizen = [str(call.params.get("text")) for call in emulator.calls_of("sendMessage") if str(call.params.get("chat_id")) == str(citizen.user.id)]
    routed_texts = [text for text in to_citizen if "diteruskan ke" in text]
    assert len(routed_texts) == len(set(routed_texts)) == 2, "no notification sent twice"
