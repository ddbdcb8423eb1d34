"""handlers.core.validation and handlers.citizen.validators: what the forms accept, and the sentences they answer with."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.citizen.validators import validate_address, validate_contact, validate_title
from handlers.core.events import Contact, FileRef
from handlers.core.forms import Invalid
from handlers.core.i18n import texts
from handlers.core.validation import (
    Limits,
    clean_text,
    clock,
    validate_description,
    validate_event_date,
    validate_file,
)

EN = texts("en")
LIMITS = Limits()
TODAY = date(2026, 11, 27)
MB = 1024 * 1024


def invalid_message(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid) as info:
        call(*args)
    assert info.value.message
    return info.value.message


# -- title ----------------------------------------------------------------------------------------


def test_title_too_short_names_the_counts() -> None:
    message = invalid_message(validate_title, "Jalan", EN, LIMITS)
    assert "(5 characters)" in message
    assert str(LIMITS.title_min) in message


def test_title_too_long_names_the_counts() -> None:
    message = invalid_message(validate_title, "a" * 151, EN, LIMITS)
    assert "(151 characters)" in message
    assert str(LIMITS.title_max) in message


def test_title_bounds_inclusive() -> None:
    assert validate_title("a" * LIMITS.title_min, EN, LIMITS) == "a" * LIMITS.title_min
    assert validate_title("a" * LIMITS.title_max, EN, LIMITS) == "a" * LIMITS.title_max


def test_title_whitespace_collapsed() -> None:
    assert validate_title("  Jalan   rusak\n\ndi  Loa Kulu ", EN, LIMITS) == "Jalan rusak di Loa Kulu"


def test_title_padding_does_not_count() -> None:
    message = invalid_message(validate_title, "   abc      ", EN, LIMITS)
    assert "(3 characters)" in message


def test_title_with_emoji_and_markup_is_kept_verbatim() -> None:
    title = "Jalan <b>rusak</b> & berlubang 😡🚧"
    assert validate_title(title, EN, LIMITS) == title  # escaping is the display's job


def test_title_counts_emoji_as_one_character_each() -> None:
    assert validate_title("😡" * 10, EN, LIMITS) == "😡" * 10
    message = invalid_message(validate_title, "😡" * 9, EN, LIMITS)
    assert "(9 characters)" in message


# -- description ----------------------------------------------------------------------------------


def test_description_too_short() -> None:
    message = invalid_message(validate_description, "terlalu pendek", EN, LIMITS)
    assert "14 of at least 30" in message


def test_description_of_10000_characters_rejected_with_the_count() -> None:
    message = invalid_message(validate_description, "x" * 10_000, EN, LIMITS)
    assert "10000" in message
    assert str(LIMITS.description_max) in message
    assert str(10_000 - LIMITS.description_max) in message  # by how much to shorten it


def test_description_bounds_inclusive() -> None:
    for n in (LIMITS.description_min, LIMITS.description_max):
        assert len(validate_description("d" * n, EN, LIMITS)) == n
    invalid_message(validate_description, "d" * (LIMITS.description_max + 1), EN, LIMITS)
    invalid_message(validate_description, "d" * (LIMITS.description_min - 1), EN, LIMITS)


def test_description_keeps_newlines_markup_and_emoji() -> None:
    text = "Baris satu <b>tebal</b> & \"kutipan\"\nBaris dua 🙏🏽 — selesai 👨‍👩‍👧."
    assert validate_description(text, EN, LIMITS) == text


def test_description_limits_are_configurable() -> None:
    limits = Limits(description_min=5, description_max=100)
    assert validate_description("12345", EN, limits) == "12345"
    assert "101" in invalid_message(validate_description, "x" * 101, EN, limits)


# -- cleaning -------------------------------------------------------------------------------------


def test_control_characters_stripped() -> None:
    dirty = "Jalan\x00 rusak\x07 di\x1b[31m depan\x7f sekolah\u0085!"
    assert clean_text(dirty) == "Jalan rusak di[31m depan sekolah!"


def test_bidi_overrides_stripped() -> None:
    # U+202E would show "exe.pdf" reversed to an officer; such format characters go.
    assert clean_text("laporan\u202efdp.exe") == "laporanfdp.exe"


def test_bidi_isolates_stripped_and_invisible_text_is_empty() -> None:
    assert clean_text("\u2066Jalan\u2069 \u202arusak\u202c") == "Jalan rusak"
    for invisible in ("\u200b\u200b", "\u200d", "\u200d \u200d\n", "\u2060\ufeff", "\u202e\u200d"):
        assert clean_text(invisible) == "", repr(invisible)


def test_newlines_and_tabs_kept_carriage_returns_dropped() -> None:
    assert clean_text("a\r\nb\tc") == "a\nb\tc"


def test_clean_text_normalises_to_nfc() -> None:
    assert clean_text("Cafe\u0301") == "Café"


def test_zwj_emoji_sequences_survive() -> None:
    family = "👨\u200d👩\u200d👧"
    assert clean_text(family) == family


@pytest.mark.parametrize(
    "emoji",
    [
        "\U0001fa77",  # 🩷 pink heart (Unicode 15, 2022)
        "\U0001fae8",  # 🫨 shaking face (Unicode 15)
        "\U0001f426\u200d\U0001f525",  # 🐦‍🔥 phoenix (Unicode 15.1)
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # 🏴 England (tag sequence)
    ],
)
def test_newer_emoji_survive(emoji: str) -> None:
    # Emoji newer than Python's Unicode database are "unassigned" (Cn) to unicodedata, and
    # subdivision flags are built from tag characters (Cf). Neither is a control character.
    text = f"Terima kasih {emoji} pak"
    assert clean_text(text) == text


@given(st.text())
def test_clean_text_never_leaves_c0_controls(text: str) -> None:
    cleaned = clean_text(text)
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in cleaned)
    assert "\x7f" not in cleaned
    assert cleaned == cleaned.strip()


# -- event date -----------------------------------------------------------------------------------


def test_today_is_fine() -> None:
    assert validate_event_date("27-11-2026", TODAY, EN, LIMITS) == TODAY


@pytest.mark.parametrize("typed", ["27-11-2026", "27/11/2026", "27.11.2026", " 27-11-2026 "])
def test_date_formats(typed: str) -> None:
    assert validate_event_date(typed, TODAY, EN, LIMITS) == TODAY


def test_single_digit_day_and_month() -> None:
    assert validate_event_date("1/2/2026", TODAY, EN, LIMITS) == date(2026, 2, 1)  # day first


def test_future_rejected() -> None:
    message = invalid_message(validate_event_date, "28-11-2026", TODAY, EN, LIMITS)
    assert "future" in message


def test_older_than_two_years_rejected() -> None:
    oldest = TODAY - timedelta(days=LIMITS.max_event_age_days)
    assert validate_event_date(oldest.strftime("%d-%m-%Y"), TODAY, EN, LIMITS) == oldest
    too_old = oldest - timedelta(days=1)
    message = invalid_message(validate_event_date, too_old.strftime("%d/%m/%Y"), TODAY, EN, LIMITS)
    assert "two years" in message
    invalid_message(validate_event_date, "27-11-2020", TODAY, EN, LIMITS)


@pytest.mark.parametrize("typed", ["31-02-2026", "29-02-2026", "00-01-2026", "15-13-2026"])
def test_impossible_dates_rejected(typed: str) -> None:
    message = invalid_message(validate_event_date, typed, TODAY, EN, LIMITS)
    assert "does not exist" in message


def test_leap_day_accepted() -> None:
    assert validate_event_date("29-02-2024", date(2025, 1, 1), EN, LIMITS) == date(2024, 2, 29)


@pytest.mark.parametrize("typed", ["2026-11-27", "27 November 2026", "kemarin lusa", "27-11-26", "", "27-11-2026x"])
def test_other_formats_ask_for_dd_mm_yyyy_with_an_example(typed: str) -> None:
    message = invalid_message(validate_event_date, typed, TODAY, EN, LIMITS)
    assert "dd-mm-yyyy" in message
    assert "27-11-2026" in message  # today's date as the example


# -- address --------------------------------------------------------------------------------------


def test_address() -> None:
    assert validate_address("  Jl. Mulawarman\nRT 05 ", EN, LIMITS) == "Jl. Mulawarman RT 05"
    invalid_message(validate_address, "a" * 301, EN, LIMITS)
    invalid_message(validate_address, " \x00 ", EN, LIMITS)


# -- files ----------------------------------------------------------------------------------------


def doc(mime: str | None, name: str | None = "bukti.pdf", size: int | None = 1000, uid: str = "u1") -> FileRef:
    return FileRef("document", "file-" + uid, uid, mime, name, size)


def test_pdf_accepted_and_described() -> None:
    stored = validate_file(doc("application/pdf"), 0, EN, LIMITS)
    assert stored == {
        "kind": "document",
        "file_id": "file-u1",
        "file_unique_id": "u1",
        "mime_type": "application/pdf",
        "file_name": "bukti.pdf",
        "file_size": 1000,
        "duration": None,
        "forwarded": False,
    }


def test_voice_note_kept_with_its_length_and_a_long_one_refused() -> None:
    voice = FileRef("voice", "v", "vu", "audio/ogg", None, 40_000, duration=42, forwarded=True)
    stored = validate_file(voice, 0, EN, LIMITS)
    assert (stored["kind"], stored["duration"], stored["forwarded"]) == ("voice", 42, True)
    too_long = FileRef("voice", "v2", "vu2", "audio/ogg", None, 900_000, duration=LIMITS.max_voice_seconds + 1)
    assert "5:01" in invalid_message(validate_file, too_long, 0, EN, LIMITS)


def test_video_up_to_telegrams_download_limit() -> None:
    small = FileRef("video", "m", "mu", "video/mp4", None, 15 * 1048576, duration=30)
    assert validate_file(small, 0, EN, LIMITS)["kind"] == "video"  # above the 10 MB of photos: fine
    big = FileRef("video", "m2", "mu2", "video/mp4", None, 22 * 1048576, duration=90)
    message = invalid_message(validate_file, big, 0, EN, LIMITS)
    assert "22.0 MB" in message and "20 MB" in message and "link" in message


def test_clock() -> None:
    assert [clock(s) for s in (0, 42, 65, 3723)] == ["0:00", "0:42", "1:05", "1:02:03"]


def test_mime_type_case_insensitive() -> None:
    validate_file(doc("Application/PDF"), 0, EN, LIMITS)


def test_photo_gets_jpeg_mime() -> None:
    stored = validate_file(FileRef("photo", "p", "pu", None, None, 5000), 0, EN, LIMITS)
    assert stored["mime_type"] == "image/jpeg"


@pytest.mark.parametrize("mime", ["application/x-msdownload", "application/zip", "text/html", None, ""])
def test_wrong_document_type_rejected(mime: str | None) -> None:
    message = invalid_message(validate_file, doc(mime, "setup.exe"), 0, EN, LIMITS)
    assert "setup.exe" in message
    for allowed in ("PDF", "JPG", "PNG"):
        assert allowed in message


def test_file_name_in_the_message_is_escaped() -> None:
    # The message is HTML (the form sends it in parse mode HTML); a file name is user input.
    message = invalid_message(validate_file, doc("application/x-msdownload", "<b>hadiah</b> & bonus.exe"), 0, EN, LIMITS)
    assert "<b>hadiah" not in message
    assert "&lt;b&gt;hadiah&lt;/b&gt; &amp; bonus.exe" in message


def test_other_kinds_rejected() -> None:
    invalid_message(validate_file, FileRef("other", "x", "xu"), 0, EN, LIMITS)


def test_too_large_rejected() -> None:
    assert validate_file(doc("application/pdf", size=10 * MB), 0, EN, LIMITS)["file_size"] == 10 * MB
    message = invalid_message(validate_file, doc("application/pdf", size=10 * MB + 1), 0, EN, LIMITS)
    assert "10 MB" in message
    message = invalid_message(validate_file, FileRef("photo", "p", "pu", None, None, 25 * MB), 0, EN, LIMITS)
    assert "25.0 MB" in message


def test_unknown_size_is_checked_after_download() -> None:
    validate_file(doc("image/png", size=None), 0, EN, LIMITS)


def test_count_limit() -> None:
    validate_file(doc("image/png"), LIMITS.max_attachments - 1, EN, LIMITS)
    message = invalid_message(validate_file, doc("image/png"), LIMITS.max_attachments, EN, LIMITS)
    assert str(LIMITS.max_attachments) in message


# -- contact --------------------------------------------------------------------------------------


def test_someone_elses_contact_rejected() -> None:
    message = invalid_message(validate_contact, Contact("6281234567890", user_id=999), 42, EN)
    assert "own" in message


def test_contact_without_user_id_rejected() -> None:
    invalid_message(validate_contact, Contact("6281234567890", user_id=None), 42, EN)


@pytest.mark.parametrize("phone", ["6281234567890", "+6281234567890", "+62 812-3456-7890", "62 812 3456 7890"])
def test_own_contact_normalised(phone: str) -> None:
    assert validate_contact(Contact(phone, user_id=42), 42, EN) == "+6281234567890"


@pytest.mark.parametrize("phone", ["", "abc", "+62", "12345", "+6281234567890123456"])
def test_bad_numbers_rejected(phone: str) -> None:
    invalid_message(validate_contact, Contact(phone, user_id=42), 42, EN)
