"""The whole citizen flow through the Bot API emulator and the real bot process."""

from __future__ import annotations

import hashlib
import io
import time
from datetime import datetime, timedelta, timezone

from babel.dates import format_date
from PIL import Image

from cases.calendar import WorkCalendar
from tests.e2e.chat import Chat
from tests.e2e.harness import query, wait_until


def jpeg(color: tuple[int, int, int] = (10, 120, 200), size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


TITLE = "Jalan berlubang <b>parah</b> & licin 🚧"
DESCRIPTION = (
    "Sejak dua minggu lalu jalan di depan SDN 001 berlubang besar. Saat hujan air menggenang "
    "& motor sering jatuh <script>alert(1)</script>. Mohon segera diperbaiki 🙏"
)


def file_complaint(chat: Chat, photo: bytes) -> str:
    """Walk the whole form as a citizen would; returns the ticket number."""
    chat.say("/lapor")
    chat.expect("Langkah 1 dari 11")
    chat.press("Pengaduan")
    chat.expect("Langkah 2 dari 11")
    chat.press("Infrastruktur")
    chat.press("Jalan & jembatan")
    chat.expect("Langkah 3 dari 11")
    chat.say("pekerjaan umum")
    chat.press("Pekerjaan Umum")
    chat.expect("Langkah 4 dari 11")
    chat.say(TITLE)
    chat.expect("Langkah 5 dari 11")
    chat.say(DESCRIPTION)
    chat.expect("Langkah 6 dari 11")
    chat.press("Kemarin")
    chat.expect("Langkah 7 dari 11")
    chat.user.send_location(-0.4219, 116.9853)
    chat.expect("Langkah 8 dari 11")
    chat.say("Jl. Gajah Mada RT 05, dekat masjid")
    chat.expect("Langkah 9 dari 11")
    chat.user.send_photo(photo)
    chat.expect("1 dari 5")
    chat.press("Selesai")
    chat.expect("Langkah 10 dari 11")
    chat.press("Biasa")
    chat.expect("Langkah 11 dari 11")
    chat.user.send_contact(phone_number="6281234567890", own=True)
    summary = chat.expect("Periksa sekali lagi")
    assert "&lt;b&gt;" not in summary.text, "the emulator shows parsed text: escaped tags appear literally"
    assert "<b>parah</b>" in summary.text  # user text shown literally, not as formatting
    chat.press("Kirim laporan")
    receipt = chat.expect("KKR-")
    ticket = next(word.strip(".,") for word in receipt.text.split() if word.startswith("KKR-"))
    return ticket


def test_citizen_files_a_complaint_with_a_photo(emulator, bot, admin, database_url):
    citizen = emulator.user(first_name="Siti", last_name="Aminah", username="siti_a", language_code="id")
    chat = Chat(citizen)
    chat.say("/start")
    chat.expect("Kanal Aduan")
    photo = jpeg()
    ticket = file_complaint(chat, photo)
    year = datetime.now(timezone.utc).astimezone(WorkCalendar().tz).year
    assert ticket == f"KKR-{year}-000001"

    rows = query(database_url, "SELECT ticket, title, description, agency_code, kecamatan, latitude, phone, privacy, status, verification_due, event_date FROM complaints")
    assert len(rows) == 1
    stored = rows[0]
    assert stored[:5] == (ticket, TITLE, DESCRIPTION, "DPU", None)
    assert abs(stored[5] - (-0.4219)) < 1e-6
    assert stored[6] == "+6281234567890" and stored[7] == "biasa" and stored[8] == "submitted"
    calendar = WorkCalendar()
    today = calendar.local_date(datetime.now(timezone.utc))
    due = stored[9] if not isinstance(stored[9], str) else datetime.fromisoformat(stored[9]).date()
    assert due == calendar.add_working_days(today, 3)
    receipt_text = next(text for text in chat.texts() if ticket in text and "KKR-" in text)
    assert format_date(due, format="full", locale="id") in receipt_text
    event_date = stored[10] if not isinstance(stored[10], str) else datetime.fromisoformat(stored[10]).date()
    assert event_date == today - timedelta(days=1)

    # The photo was fetched through getFile and stored byte for byte.
    wait_until(lambda: query(database_url, "SELECT fetch_status FROM attachments") == [("stored",)], message="attachment stored")
    assert emulator.calls_of("getFile"), "the bot must fetch the attachment with getFile"
    (digest,) = query(database_url, "SELECT sha256 FROM attachments")[0]
    assert digest == hashlib.sha256(photo).hexdigest()

    # The admin got the escaped summary and the photo, re-sent, never forwarded.
    admin_chat = Chat(admin)
    card = admin_chat.expect(ticket)
    assert TITLE in card.text and "<script>alert(1)</script>" in card.text
    assert "Siti Aminah" in card.text
    wait_until(lambda: any(m.kind == "photo" for m in admin.messages()), message="photo to admin")
    sent_photo = next(m for m in admin.messages() if m.kind == "photo")
    assert emulator.file_bytes(sent_photo.file_id) == photo
    assert not emulator.calls_of("forwardMessage")

    # Status and history for the owner; nothing for anyone else.
    chat.say(f"/status {ticket.lower().replace('-', ' ')}")
    status = chat.expect(ticket)
    assert "Menunggu verifikasi" in status.text and TITLE in status.text
    chat.say("/riwayat")
    assert TITLE[:20] in chat.expect(ticket).text
    stranger = Chat(emulator.user(first_name="Budi", language_code="id"))
    stranger.say(f"/status {ticket}")
    answer = stranger.expect(ticket)
    assert TITLE not in answer.text and "parah" not in answer.text


def test_english_speaker_gets_english(emulator, bot):
    user = emulator.user(first_name="John", language_code="en-GB")
    chat = Chat(user)
    chat.say("/lapor")
    chat.expect("Step 1 of 11")
    chat.press("Complaint")
    chat.expect("Step 2 of 11")
    chat.say("/bahasa")
    chat.press("Bahasa Indonesia")
    chat.expect("Bahasa Indonesia")
    chat.expect("Langkah 2 dari 11")  # the open draft is brought back, now in Indonesian
    default_menu = {c["command"]: c["description"] for c in emulator.commands()}
    english_menu = {c["command"]: c["description"] for c in emulator.commands(language_code="en")}
    assert set(default_menu) == set(english_menu) == {"lapor", "anonim", "lacak", "status", "riwayat", "batal", "bahasa", "privasi", "bantuan"}
    assert default_menu["lapor"] == "Buat laporan" and english_menu["lapor"] == "Make a report"


def test_a_typed_answer_is_confirmed_at_the_head_of_the_next_question(emulator, bot):
    # One message a step: the title typed, the description question opens with "✅ Judul: …";
    # the description typed, the date question likewise, and a date pressed on it keeps the line.
    chat = Chat(emulator.user(first_name="Rina", language_code="id"))
    chat.say("/lapor")
    chat.expect("Langkah 1 dari 11")
    chat.press("Pengaduan")
    chat.press("Infrastruktur")
    chat.press("Jalan & jembatan")
    chat.expect("Langkah 3 dari 11")
    chat.say("DPU")
    chat.expect("Langkah 4 dari 11")
    before = len(chat.user.messages())
    chat.say(TITLE)
    question = chat.expect("Langkah 5 dari 11")
    assert question.text.startswith(f"✅ Judul: {TITLE}"), question.text
    time.sleep(1.0)  # anything else the bot were to send for this step arrives meanwhile
    assert len(chat.user.messages()) == before + 1, [m.text for m in chat.user.messages()[before:]]
    chat.say(DESCRIPTION)
    dated = chat.expect("Langkah 6 dari 11")
    chat.press("Kemarin")
    chat.expect("Langkah 7 dari 11")
    edited = next(m for m in chat.user.messages() if m.message_id == dated.message_id)
    first, second = edited.text.split("\n")[:2]
    assert first.startswith("✅ Isi laporan: ") and second.startswith("✅ Tanggal kejadian: "), edited.text
