"""The whistleblower channel end to end, then a search for the whistleblower's identity everywhere
an attacker could look: the database file and its WAL (or every PostgreSQL table), the bot's log,
and every message the bot sent to anyone else."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from storage import vault as vaults
from tests.e2e.chat import Chat
from tests.e2e.harness import query, wait_until
from tests.e2e.test_case_lifecycle import join

USER_ID = 864_209_753
USERNAME = "saksi_rahasia_88"
LAST_NAME = "Saksimatakukar"
TOKEN_SHAPE = re.compile(r"(?:[0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    vault, private = vaults.create()
    key_file, private_file = tmp_path / "vault-keys.json", tmp_path / "disclosure.txt"
    vaults.save(vault, key_file)
    private_file.write_text(private[0])
    return key_file, private_file


@pytest.fixture
def bot_env(keys: tuple[Path, Path]) -> dict[str, str]:
    return {"VAULT_KEY_FILE": str(keys[0]), "FLOOD_MAX_MESSAGES": "200"}


def photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # camera make
    exif[0x8825] = {1: "S", 2: (0.0, 25.0, 19.0), 3: "E", 4: (116.0, 59.0, 7.0)}  # GPS: Tenggarong
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 40, 40)).save(buffer, "JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif().get_ifd(0x8825), "the fixture carries GPS"
    return buffer.getvalue()


def token_in(message) -> str:  # type: ignore[no-untyped-def]
    found = TOKEN_SHAPE.search(message.text or "")
    assert found, message.text
    return found.group(0)


def test_an_anonymous_report_is_made_answered_and_followed_without_a_trace(emulator, bot, admin, database_url, tmp_path):
    officer = join(emulator, database_url, "DPU", "Petugas PU", "id")
    wb = Chat(emulator.user(first_name="Rahasia", last_name=LAST_NAME, username=USERNAME, language_code="en", user_id=USER_ID), timeout=30)
    boss = Chat(admin, timeout=30)

    wb.say("/start")
    wb.expect("Kanal Aduan")
    wb.say("/anonim")
    intro = wb.expect("Anonymous report")
    assert "Telegram itself sees" in intro.text
    wb.press("Continue")
    wb.say("pekerjaan umum")
    wb.press("Pekerjaan Umum")
    wb.say("Petugas loket meminta uang Rp 500.000 untuk izin, tanpa kuitansi resmi <script>.")
    wb.press("Yesterday")
    wb.press("Tenggarong")
    wb.user.send_document(photo_with_gps(), file_name="bukti.jpg", mime_type="image/jpeg")
    wb.expect("1 of 5")
    wb.press("Done")
    wb.press("Send report")
    received = wb.expect("anonymous report")
    ticket = re.search(r"KKR-\d{4}-\d{6}", received.text).group(0)  # type: ignore[union-attr]
    token_message = wb.expect("Your token")
    first = token_in(token_message)
    wb.press("I saved it")
    wb.expect("Deleted")
    wait_until(lambda: next(m for m in wb.user.messages() if m.message_id == token_message.message_id).deleted, message="the token message deleted")

    # Diskominfo sees a pseudonym and the content, never the account.
    card = boss.expect(f"Laporan baru {ticket}")
    assert "Pelapor anonim #" in card.text and "meminta uang" in card.text and "<script>" in card.text
    boss.press("Verifikasi dan teruskan ke Dinas Pekerjaan Umum")
    boss.expect("Periksa sebelum mengirim")
    boss.press("Teruskan")
    officer_card = officer.expect(f"Laporan baru untuk Dinas Pekerjaan Umum: {ticket}")
    assert "meminta uang" in officer_card.text

    # The evidence reaches the officer cleaned: uploaded anew, no EXIF, no GPS.
    wait_until(lambda: query(database_url, "SELECT status FROM anon_files") == [("stored",)], message="evidence cleaned")
    officer.press("Lampiran")
    wait_until(lambda: any(m.kind == "photo" for m in officer.user.messages()), message="the cleaned photo")
    photo = next(m for m in officer.user.messages() if m.kind == "photo")
    cleaned = Image.open(io.BytesIO(emulator.file_bytes(photo.file_id)))
    assert not cleaned.getexif() and b"KameraRahasia" not in emulator.file_bytes(photo.file_id)
    assert not emulator.calls_of("forwardMessage") and not emulator.calls_of("copyMessage")

    # The agency asks; the whistleblower follows with the token from the same account.
    officer.press("Tanya pelapor")
    officer.say("Di loket nomor berapa?")
    officer.press("Kirim pertanyaan")
    wait_until(lambda: query(database_url, "SELECT status FROM complaints") == [("agency_info_req",)], message="asked")
    wb.say(f"/lacak {first.lower()}")
    view = wb.expect("Di loket nomor berapa?")
    assert ticket in view.text
    second = token_in(wb.expect("Your new token"))
    assert second != first
    wb.press("Answer")
    wb.say(f"Loket 3. Token saya {first}")  # a token in an answer is refused
    wb.expect("contains your token")
    wb.say("Loket 3, hari Senin pagi.")
    wb.expect("Loket 3, hari Senin pagi.")
    wb.press("Send")
    wait_until(lambda: query(database_url, "SELECT status FROM complaints") == [("verified",)], message="answered")
    assert "Loket 3" in officer.expect("Pelapor telah menjawab").text
    wb.press("Add evidence")
    wb.user.send_photo(photo_with_gps(), caption="Foto loket")
    wb.expect("1 file")
    wb.press("Send")
    assert ticket in officer.expect("menambahkan").text
    wait_until(lambda: query(database_url, "SELECT count(*) FROM anon_files WHERE status = 'stored'") == [(2,)], message="the new evidence cleaned")

    # Guessing: one account's wrong tokens throttle that account only, never the reporter.
    guesser = Chat(emulator.user(first_name="Penebak", language_code="en"), timeout=30)
    for _ in range(5):
        guesser.say("/lacak ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345")
        guesser.expect("not known")
    guesser.say("/lacak ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345")
    guesser.expect("Too many wrong tokens")
    other_phone = Chat(emulator.user(first_name="HP lain", language_code="en"), timeout=30)
    other_phone.say(f"/lacak {second}")  # the reporter, from another account
    third = token_in(other_phone.expect("Your new token"))
    other_phone.press("Send me updates in this chat")
    other_phone.expect("status updates")

    # The agency answers: the opted-in chat hears of it, without buttons to press.
    officer.say(f"/kasus {ticket}")
    officer.press("Jawab pelapor")
    officer.say("Petugas loket sudah kami periksa & diberi sanksi.")
    officer.press("Kirim jawaban")
    pushed = other_phone.expect("answered your report")
    assert "diberi sanksi" in pushed.text and "/lacak" in pushed.text and not pushed.buttons

    # Someone presents a used token: the anonymous thread locks and Diskominfo is told.
    guesser2 = Chat(emulator.user(first_name="Orang lain", language_code="en"), timeout=30)
    guesser2.say(f"/lacak {second}")
    guesser2.expect("already used")
    assert ticket in boss.expect("Token lama").text
    other_phone.say(f"/lacak {third}")
    other_phone.expect("locked")
    other_phone.say("/lupakan")
    other_phone.expect("no more updates")
    assert query(database_url, "SELECT push, push_index FROM anon_reports") == [(None, None)]

    # Wrong secrets for one real lookup id, from several accounts: that lookup is throttled too.
    lookup = third.replace("-", "")[:8]
    wrong = f"{lookup}{'0' * 20}" if not third.replace("-", "").endswith("0" * 20) else f"{lookup}{'1' * 20}"
    for n in range(10):
        attempt = Chat(emulator.user(first_name=f"Penebak {n}", language_code="en"), timeout=30)
        attempt.say(f"/lacak {wrong}")
        attempt.expect("not known")
    last = Chat(emulator.user(first_name="Penebak akhir", language_code="en"), timeout=30)
    last.say(f"/lacak {wrong}")
    last.expect("for this report")

    # Nothing of the whistleblower anywhere an attacker could look.
    bot.stop()
    needles_text = [str(USER_ID), USERNAME, LAST_NAME]
    log = bot.log()
    assert not [n for n in needles_text if n in log], "the log names the whistleblower"
    for call in emulator.calls:
        if str(call.params.get("chat_id")) == str(USER_ID):
            continue
        carried = " ".join(str(call.params.get(k, "")) for k in ("text", "caption"))
        assert not [n for n in needles_text if n in carried], (call.method, carried[:200])
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                raw = file.read_bytes()
                assert not [n for n in needles_text if n.encode() in raw], f"{file.name} holds the whistleblower's identity"
                assert USER_ID.to_bytes(4, "big") not in raw, f"{file.name} holds the whistleblower's id as an integer"
    else:
        tables = [row[0] for row in query(database_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            dump = " ".join(str(row) for row in query(database_url, f'SELECT t::text FROM "{table}" t'))
            assert not [n for n in needles_text if n in dump], f"table {table} holds the whistleblower's identity"


def test_a_report_naming_its_author_is_stopped_before_anything_is_stored(emulator, bot, database_url):
    wb = Chat(emulator.user(first_name="Budi", last_name="Santosowijaya", username="budi_sw", language_code="en"), timeout=30)
    wb.say("/anonim")
    wb.press("Continue")
    wb.press("Not sure")
    wb.say("Saya, santosowijaya, melihat kepala seksi menerima amplop dari kontraktor di ruang rapat.")
    wb.press("Today")
    wb.say("Skip")  # no kecamatan
    wb.expect("evidence")
    wb.say("Skip")  # no evidence
    wb.expect("Final check")
    wb.press("Send report")
    warning = wb.expect("in your Telegram name")
    assert "Santosowijaya" in warning.text
    assert query(database_url, "SELECT count(*) FROM complaints") == [(0,)], "nothing stored while it names its author"
    wb.press("Change what happened")
    wb.say("Seorang staf melihat kepala seksi menerima amplop dari kontraktor di ruang rapat.")
    wb.press("Send report")
    wb.expect("Your token")
    assert query(database_url, "SELECT count(*) FROM complaints WHERE anonymous") == [(1,)]


def test_choosing_anonymous_in_lapor_moves_the_answers_and_drops_what_identifies(emulator, bot, database_url):
    from tests.e2e.chat import typed_answers

    citizen = Chat(emulator.user(first_name="Warga", language_code="id"), timeout=30)
    for line in typed_answers(7)[:10]:  # up to the privacy question
        citizen.say(line)
    citizen.expect("Siapa yang boleh melihat")
    citizen.press("Anonim")
    citizen.expect("Laporan anonim (whistleblowing)")
    summary = citizen.expect("dipindahkan")
    assert "laporan nomor 7" in summary.text and "Tenggarong" in summary.text and "Alamat 7" not in summary.text
    assert query(database_url, "SELECT count(*) FROM conversations") == [(0,)], "the named draft is gone"
    citizen.press("Kirim laporan")
    citizen.expect("Token Anda")
    assert query(database_url, "SELECT anonymous, citizen_id FROM complaints") == [(True, None)]
    assert query(database_url, "SELECT count(*) FROM users") == [(0,)]


def test_a_whistleblower_voice_or_video_is_refused_with_the_reason_and_a_photo_first_waits_for_the_form(emulator, bot, admin, database_url):
    wb = Chat(emulator.user(first_name="Saksi", language_code="id"), timeout=30)
    wb.say("/anonim")
    wb.expect("Laporan anonim")
    wb.user.send_photo(photo_with_gps())  # a photo while the intro is open: kept for the evidence
    wb.expect("1 foto disimpan untuk laporan anonim")
    wb.press("Lanjutkan")
    wb.say("pekerjaan umum")
    wb.press("Pekerjaan Umum")
    wb.user.send_voice(b"OggS\x00\x02" + bytes(64), duration=30)
    refused = wb.expect("Pesan suara tidak bisa diterima dalam laporan anonim")
    assert "suara mengenali orang yang berbicara" in refused.text
    wb.say("Petugas loket meminta uang Rp 500.000 untuk izin, tanpa kuitansi resmi.")
    wb.press("Kemarin")
    wb.press("Tenggarong")
    evidence = wb.expect("1 dari 5")  # the intro's photo is already there
    assert "Selesai" in str(evidence.buttons)
    wb.user.send_video(b"\x00\x00\x00\x18ftypmp42" + bytes(64), duration=9)
    assert "Video tidak bisa diterima dalam laporan anonim" in wb.expect("Video tidak bisa").text
    wb.press("Selesai")
    wb.press("Kirim laporan")
    wb.expect("Token Anda")
    assert query(database_url, "SELECT count(*) FROM anon_files") == [(1,)]
    assert query(database_url, "SELECT count(*) FROM attachments") == [(0,)]
    wait_until(lambda: query(database_url, "SELECT status FROM anon_files") == [("stored",)], message="evidence cleaned")
