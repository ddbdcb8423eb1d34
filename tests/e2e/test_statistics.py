"""Problem mapping through Telegram: /statistik for an admin and for an agency's officer, the
monthly report job (summary, charts, workbook) via `aduan jobs run monthly --at …`, the LAPOR!
number recorded and exported, a 1-star rating alerting the admins and the head at once, and a
similar open report named on a new report's card.

A November 2026 is seeded through the case rules with known times (WITA), so the figures the bot
shows can be checked against what happened.
"""

from __future__ import annotations

import asyncio
import io
import re
from datetime import datetime

import openpyxl

from cases.calendar import WITA
from storage.db import Database
from storage.repo import Repository
from tests.e2e.chat import Chat, typed_answers
from tests.e2e.harness import query, wait_until
from tests.e2e.test_case_lifecycle import join
from tests.e2e.test_officer_join import invite
from tests.e2e.test_reminders import run_job
from tests.november import FORMULA, NAME, SECRET, seed_november

PNG = b"\x89PNG\r\n\x1a\n"


def photos(chat: Chat, after: int = 0) -> list:  # type: ignore[type-arg]
    return [m for m in chat.user.messages()[after:] if m.kind == "photo"]


def test_an_admin_reads_november_in_figures_and_charts(emulator, bot, admin, database_url):
    citizen = Chat(emulator.user(first_name="Warga", language_code="id"))
    tickets = seed_november(database_url, citizen.user.id)
    boss = Chat(admin, timeout=40)
    boss.say("/statistik")
    boss.expect("periode")  # the picker: this month, last month, 30 days, this year, or two dates
    before = len(boss.user.messages())
    boss.say("01-11-2026 30-11-2026")
    summary = boss.expect("Laporan masuk")
    text = summary.text
    assert "Laporan masuk: 5" in text and "1 laporan anonim" in text
    assert "Diverifikasi 4 · ditolak 1" in text
    # Verification: A 1, B 1, C 1, D 1, E 0 working days, all within the deadline.
    assert re.search(r"Verifikasi: median 1, p90 1 — 100% .*\(n=5\)", text), text
    # First answers: A 1 working day (on time), B 8 (late): median 4.5, half on time.
    assert re.search(r"Jawaban pertama OPD: median 4,5, p90 8 — 50% .*\(n=2\)", text), text
    assert "rata-rata 1 dari 5 (n=1)" in text
    assert SECRET not in text and "#ABC" not in text

    wait_until(lambda: len(photos(boss, before)) >= 4, timeout=60, message="the four charts")
    charts = photos(boss, before)
    assert len(charts) == 4  # received/closed, on time per agency, topic × kecamatan, maladministration
    for photo in charts:
        assert emulator.file_bytes(photo.file_id).startswith(PNG)

    boss.press("Per OPD")
    listing = boss.expect("OPD")
    assert listing.button("Dinas Pekerjaan Umum") and listing.button("Dinas Kesehatan")
    boss.press("Dinas Pekerjaan Umum")
    card = boss.expect("Dinas Pekerjaan Umum —")
    assert "dialihkan 3" in card.text or "disposisi 3" in card.text, card.text  # A, D and E were routed there
    assert "kurang dari 5 kasus" in card.text.lower()
    assert card.button(tickets["D"]), "the overdue case is a button that opens it"
    boss.press("Nilai rendah")
    low = boss.expect("Nilai rendah")
    assert tickets["A"] in low.text and tickets["B"] not in low.text


def test_an_officer_sees_only_their_agency(emulator, bot, admin, database_url):
    citizen = Chat(emulator.user(first_name="Warga", language_code="id"))
    tickets = seed_november(database_url, citizen.user.id)
    officer = join(emulator, database_url, "DINKES", "Petugas Dinkes", "id")
    officer.say("/statistik 01-11-2026 30-11-2026")
    summary = officer.expect("Laporan masuk")
    assert "Dinas Kesehatan" in summary.text and "Laporan masuk: 1" in summary.text
    assert "kabupaten" in summary.text.lower(), "beside the regency's figures"
    everything = "\n".join(officer.texts())
    for letter in "ACDE":
        assert tickets[letter] not in everything
    assert "Dinas Pekerjaan Umum" not in everything
    # No scorecard of all agencies for an officer; forged admin buttons do nothing.
    forged = officer.user.messages()[-1]
    count = len(officer.user.messages())
    for data in ("a:sg::20261101-20261130/0", "a:sa::20261101-20261130/DPU", "o:sa::20261101-20261130/DPU", "a:sl::20261101-20261130"):
        officer.user.press_data(forged.message_id, data)
    wait_until(lambda: len(emulator.calls_of("answerCallbackQuery")) >= 4, message="the forged presses answered")
    later = "\n".join(m.text or "" for m in officer.user.messages()[count:])
    assert "Dinas Pekerjaan Umum" not in later and tickets["D"] not in later


def test_the_monthly_report_reaches_the_admin_and_the_head_once_with_its_workbook(emulator, bot, admin, database_url):
    citizen = Chat(emulator.user(first_name="Warga", language_code="id"))
    tickets = seed_november(database_url, citizen.user.id)
    head = Chat(emulator.user(first_name="Kepala PU", language_code="id"), timeout=40)
    head.say(f"/start {invite(database_url, 'DPU', as_head=True)}")
    head.expect("kepala")
    boss = Chat(admin, timeout=40)
    # The LAPOR! number, recorded from the case card, travels into the export.
    boss.say(f"/kasus {tickets['B']}")
    boss.expect(tickets["B"])
    boss.press("Nomor LAPOR!")
    boss.expect("Nomor lacak SP4N-LAPOR!")
    boss.say("#LPR-98765")
    boss.expect("Periksa sebelum mengirim")
    boss.press("Simpan nomor")
    wait_until(lambda: query(database_url, "SELECT lapor_number FROM complaints WHERE ticket = :t", t=tickets["B"]) == [("LPR-98765",)],
               message="the LAPOR! number stored")  # fmt: skip
    assert query(database_url, "SELECT reason FROM audit_log WHERE action = 'link_lapor'") == [("LPR-98765",)], "audited"

    morning = datetime(2026, 12, 1, 8, 5, tzinfo=WITA)  # Tuesday: December's first working morning
    assert "0 message(s)" in run_job(database_url, admin.id, "monthly", datetime(2026, 12, 1, 21, 0, tzinfo=WITA)), "quiet hours"
    first = run_job(database_url, admin.id, "monthly", morning)
    queued = int(re.search(r"(\d+) message\(s\)", first).group(1))  # type: ignore[union-attr]
    assert queued >= 4, first
    assert "0 message(s)" in run_job(database_url, admin.id, "monthly", morning), "a second run sends nothing"

    report = boss.expect("Laporan bulanan")
    assert "November 2026" in report.text and "Laporan masuk: 5" in report.text
    wait_until(lambda: any(m.kind == "document" for m in boss.user.messages()), timeout=60, message="the admin's workbook")
    document = next(m for m in boss.user.messages() if m.kind == "document")
    assert document.file_name == "kanal-aduan-2026-11.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(emulator.file_bytes(document.file_id)))
    assert book.sheetnames == ["Ringkasan", "OPD", "Topik × Kecamatan", "Maladministrasi", "Kepuasan", "Data"]
    data = book["Data"]
    header = [cell.value for cell in data[1]]
    rows = {row[0]: dict(zip(header, row)) for row in data.iter_rows(min_row=2, values_only=True)}
    # A whistleblower's row carries no ticket: tickets are numbered in order, so its neighbours would date it.
    assert set(rows) == {tickets[k] for k in "ABCD"} | {""}
    d_row = next(row for row in data.iter_rows(min_row=2) if row[0].value == tickets["D"])
    title = next(cell for cell in d_row if cell.value == FORMULA)
    assert title.data_type == "s", "a title that looks like a formula stays text"
    assert "LPR-98765" in rows[tickets["B"]].values()
    anonymous = [value for value in rows[""].values() if value not in (None, "")]
    assert "Tenggarong" not in anonymous and not any(isinstance(v, datetime) for v in anonymous)
    assert "2026-11" in anonymous
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(SECRET in str(v) or "#ABC" in str(v) or NAME in str(v) for v in row if v is not None)

    dpu = head.expect("Laporan bulanan")
    assert "Dinas Pekerjaan Umum" in dpu.text and "kabupaten" in dpu.text.lower()
    wait_until(lambda: any(m.kind == "document" for m in head.user.messages()), timeout=60, message="the head's workbook")
    mine = next(m for m in head.user.messages() if m.kind == "document")
    assert mine.file_name == "kanal-aduan-2026-11-DPU.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(emulator.file_bytes(mine.file_id)))["Data"]
    seen = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert seen == [tickets["A"], tickets["D"], ""], "the agency's cases only, the whistleblower's last"
    assert tickets["B"] not in "\n".join(head.texts())


def test_a_one_star_rating_alerts_the_admins_and_the_head_at_once(emulator, bot, admin, database_url):
    officer = join(emulator, database_url, "DPU", "Petugas PU", "id")
    head = Chat(emulator.user(first_name="Kepala PU", language_code="id"), timeout=30)
    head.say(f"/start {invite(database_url, 'DPU', as_head=True)}")
    head.expect("kepala")
    citizen = Chat(emulator.user(first_name="Warga", language_code="id"), timeout=30)
    citizen.say("/start")
    citizen.expect("Kanal Aduan")
    from tests.e2e.test_case_access import seed_case

    case_id, ticket = seed_case(database_url, citizen.user.id, 1, "DPU")
    officer.say(f"/kasus {ticket}")
    officer.expect(ticket)
    officer.press("Jawab pelapor")
    officer.expect("Tulis")
    officer.say("Sudah kami perbaiki kemarin.")
    officer.press("Kirim jawaban")
    citizen.expect("menjawab laporan Anda")
    citizen.press("Nilai jawaban")
    stars = citizen.expect("Seberapa puas")
    citizen.user.press(stars.message_id, text="⭐")  # exactly one star
    citizen.expect("Periksa sebelum mengirim")
    citizen.press("Kirim penilaian")
    boss = Chat(admin, timeout=30)
    alert = boss.expect("Nilai rendah")
    assert ticket in alert.text and "1/5" in alert.text
    assert alert.button(ticket), "the alert opens the case"
    warned = head.expect("Nilai rendah")
    assert ticket in warned.text
    officer.expect("memberi penilaian")  # the other officers get the usual note
    wait_until(lambda: query(database_url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')") == [(0,)],
               message="everything sent")  # fmt: skip
    assert not any("memberi penilaian" in text for text in head.texts()), "the head gets the alert instead of the plain note"
    boss.press(ticket)
    assert "dinilai 1/5" in boss.expect(f"{ticket}").text, "the card says so"


def test_a_similar_open_report_is_named_on_the_new_one(emulator, bot, admin, database_url):
    older = Chat(emulator.user(first_name="Warga Lama", language_code="id"))
    older.say("/start")
    older.expect("Kanal Aduan")
    from tests.e2e.test_case_access import seed_case

    _, ticket = seed_case(database_url, older.user.id, 1, None, suggested="DPU")
    # The older one: same kecamatan and topic as the form below, and words much alike.
    asyncio.run(_retext(database_url, ticket))
    citizen = Chat(emulator.user(first_name="Warga Baru", language_code="id"), timeout=40)
    for answer in typed_answers(7):
        citizen.say(answer)
    citizen.expect("Periksa sekali lagi")
    citizen.press("Kirim laporan")
    citizen.expect("Nomor tiket")
    boss = Chat(admin, timeout=30)
    card = boss.expect("Laporan baru")
    assert "Laporan serupa" in card.text and ticket in card.text
    boss.press(f"Duplikat dari {ticket}")
    boss.expect("Periksa sebelum mengirim")
    boss.press("Tandai sebagai duplikat")
    wait_until(lambda: query(database_url, "SELECT count(*) FROM complaints WHERE status = 'duplicate'") == [(1,)], message="marked")


async def _retext(database_url: str, ticket: str) -> None:
    db = Database(database_url)
    try:
        async with db.write() as session, session.begin():
            complaint = await Repository(session).complaint_by_ticket(ticket)
            assert complaint is not None
            complaint.topic, complaint.kecamatan = "lain", "Tenggarong"
            complaint.title = "Lampu jalan mati sejak seminggu"
            complaint.description = "Lampu jalan mati sejak seminggu, gelap dan rawan di malam hari."
    finally:
        await db.dispose()
