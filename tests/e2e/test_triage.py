"""Triage before the form, end to end: an emergency gets its contacts at once, outside a form with
the button that starts a report, inside /lapor and /anonim beside the description — and the report
goes on to be filed."""

from __future__ import annotations

import re

from tests.e2e.chat import Chat
from tests.e2e.harness import query, wait_until
from tests.e2e.test_whistleblower import bot_env, keys  # noqa: F401  (fixtures: the vault is set up)

FLOOD = "Banjir setinggi pinggang di RT 04 sejak subuh, air masuk rumah warga dan anak-anak belum dievakuasi."


def test_an_emergency_outside_a_form_gets_the_contacts_at_once_and_a_way_to_report(emulator, bot) -> None:  # type: ignore[no-untyped-def]
    citizen = emulator.user(first_name="Rina", language_code="id")
    chat = Chat(citizen)
    chat.say("Tolong!! Rumah tetangga saya KEBAKARAN 🔥 di Jl. Mangkurawang")
    reply = chat.expect("Pemadam Kebakaran")
    assert citizen.messages()[0].message_id == reply.message_id, "the contacts are the first answer"
    assert "113" in reply.text and "112" in reply.text and "bukan layanan darurat" in reply.text
    assert any("Buat laporan" in text for row in reply.buttons for text, _ in row)
    chat.press("Buat laporan")
    chat.expect("Langkah 1 dari 11")  # the report can still be made

    # A crime and another region in English: where to go instead, and still the way to report.
    other = Chat(emulator.user(first_name="Tom", language_code="en"))
    other.say("My motorbike was stolen in Samarinda")
    answer = other.expect("handled by the police")
    assert "110" in answer.text and "lapor.go.id" in answer.text and "Another region?" in answer.text
    assert any("Make a report" in text for row in answer.buttons for text, _ in row)

    # An ordinary message gets the usual pointer, no notice.
    plain = Chat(emulator.user(first_name="Ani", language_code="id"))
    plain.say("Halo, saya mau tanya soal KTP")
    pointer = plain.expect("Untuk membuat laporan")
    assert "darurat" not in pointer.text


def test_an_emergency_in_the_lapor_description_gets_the_notice_and_the_report_is_filed(emulator, bot, database_url) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(emulator.user(first_name="Dedi", language_code="id"))
    for line in ["/lapor", "Pengaduan", "Lainnya", "DPU", "Drainase tersumbat di RT 04"]:
        chat.say(line)
    chat.expect("Langkah 5 dari 11")
    chat.say(FLOOD)
    ack = chat.expect("Banjir, longsor atau bencana lain")
    assert "117" in ack.text and "tidak menghentikan laporan" in ack.text
    assert "Banjir setinggi pinggang" in ack.text  # the description was accepted as usual
    chat.expect("Langkah 6 dari 11")
    for line in ["Kemarin", "Tenggarong", "Jl. Patin RT 04", "Lewati", "Biasa", "Lewati"]:
        chat.say(line)
    chat.expect("Periksa sekali lagi")
    chat.press("Kirim laporan")
    chat.expect("KKR-")
    assert query(database_url, "SELECT description FROM complaints") == [(FLOOD,)], "only the description is stored"


def test_the_whistleblower_description_gets_the_same_notice_and_nothing_extra_is_kept(emulator, bot, database_url) -> None:  # type: ignore[no-untyped-def]
    wb = Chat(emulator.user(first_name="Saksi", language_code="en"), timeout=30)
    wb.say("/anonim")
    wb.press("Continue")
    wb.say("pekerjaan umum")
    wb.press("Pekerjaan Umum")
    wb.say("Seorang staf dipukul oleh atasannya di ruang kerja karena menolak memalsukan laporan proyek.")
    ack = wb.expect("Violence or threats")
    assert "110" in ack.text and "129" in ack.text and "does not stop your report" in ack.text
    wb.press("Yesterday")
    wb.press("Tenggarong")
    wb.expect("evidence")
    wb.say("Skip")
    wb.expect("Final check")
    wb.press("Send report")
    received = wb.expect("anonymous report")
    assert re.search(r"KKR-\d{4}-\d{6}", received.text)
    wb.expect("Your token")
    assert query(database_url, "SELECT count(*) FROM complaints WHERE anonymous") == [(1,)]
    # The notice went out like every message to a whistleblower: wiped from the outbox once sent.
    wait_until(lambda: query(database_url, "SELECT count(*) FROM outbox WHERE status = 'pending'") == [(0,)], message="the outbox drained")
    kept = query(database_url, "SELECT count(*) FROM outbox WHERE CAST(payload AS TEXT) LIKE '%Violence or threats%'")
    assert kept == [(0,)], "the notice to a whistleblower stayed in the outbox"
