"""Bad input gets a clear answer and loses nothing (through the emulator, which rejects what
Telegram rejects: invalid HTML, over-long texts, over-long callback data)."""

from __future__ import annotations

import time

from tests.e2e.chat import Chat
from tests.e2e.test_citizen_flow import jpeg
from tests.e2e.harness import query, wait_until


def rejected_calls(emulator) -> list:  # type: ignore[no-untyped-def]
    """Calls the emulator refused for a reason that is the bot's fault (not 429 / injected faults)."""
    return [c for c in emulator.calls if not c.ok and c.error_code not in (429,) and c.method != "getUpdates"]


def to_title_step(chat: Chat) -> None:
    chat.say("/lapor")
    chat.expect("Langkah 1 dari 11")
    chat.press("Pengaduan")
    chat.press("Lainnya")
    chat.expect("Langkah 3 dari 11")
    chat.say("DPU")
    chat.expect("Langkah 4 dari 11")


def test_bad_inputs_get_clear_answers_and_lose_nothing(emulator, bot, database_url):
    user = emulator.user(first_name="<b>Tono</b> & Co", username="tono", language_code="id")
    chat = Chat(user)
    to_title_step(chat)

    chat.say("   ")  # empty after trimming
    chat.expect("kosong")
    chat.say("a" * 10_000)  # huge title
    assert "10000" in chat.expect("Langkah 4 dari 11").text
    chat.user.send_photo(jpeg())  # a file where text is expected
    chat.expect("Langkah 4 dari 11")
    title = "Atap <b>Puskesmas</b> bocor & lantai licin 😡🏥"
    chat.say(title)
    chat.expect("Langkah 5 dari 11")
    chat.say("terlalu pendek")
    assert "14" in chat.expect("Langkah 5 dari 11").text  # says how many characters it got
    chat.say("x" * 10_000)
    assert "10000" in chat.expect("Langkah 5 dari 11").text
    description = "Sejak Senin <i>atap</i> bocor, air masuk ke ruang tunggu & pasien terpeleset. " * 3 + "🙏🏽"
    chat.say(description)
    chat.expect("Langkah 6 dari 11")
    chat.say("31-02-2026")
    chat.expect("Langkah 6 dari 11")
    chat.say("01-01-2099")
    chat.expect("Langkah 6 dari 11")
    chat.press("Hari ini")
    chat.expect("Langkah 7 dari 11")

    # A stale button: the title question (answered by typing) still shows its Back button.
    old_prompt = next(m for m in user.messages() if "Langkah 4 dari 11" in (m.text or "") and m.buttons)
    query_id = user.press(old_prompt.message_id, text=old_prompt.button("Kembali").text)
    chat.expect("Langkah 7 dari 11")
    wait_until(lambda: emulator.callback_answer(query_id) is not None, message="the stale press answered")
    assert "tidak berlaku" in (emulator.callback_answer(query_id) or {}).get("text", "")
    # /lapor in the middle of the form offers the draft; nothing is lost.
    chat.say("/lapor")
    chat.press("Lanjutkan")
    chat.expect("Langkah 7 dari 11")
    chat.say("Tenggarong")
    chat.expect("Langkah 8 dari 11")
    chat.press("Lewati")
    chat.expect("Langkah 9 dari 11")
    user.send_document(b"MZ\x90\x00" + b"\x00" * 100, file_name="virus.exe", mime_type="application/x-msdownload")
    assert "virus.exe" in chat.expect("Langkah 9 dari 11").text
    chat.press("Lewati")
    chat.press("Rahasia")
    chat.expect("Langkah 11 dari 11")
    chat.say("Lewati")  # the phone step's skip is a reply-keyboard button: it sends its text
    summary = chat.expect("Periksa sekali lagi")
    assert title in summary.text and "&lt;" not in summary.text
    chat.press("Kirim laporan")
    chat.expect("KKR-")

    rows = query(database_url, "SELECT title, description, privacy FROM complaints")
    assert rows == [(title, description, "rahasia")]
    assert rejected_calls(emulator) == [], "the bot sent something Telegram would reject"


def test_a_forged_button_cannot_touch_another_users_draft(emulator, bot, database_url):
    alice = emulator.user(first_name="Alice", language_code="id")
    mallory = emulator.user(first_name="Mallory", language_code="id")
    alice_chat, mallory_chat = Chat(alice), Chat(mallory)
    alice_chat.say("/lapor")
    prompt = alice_chat.expect("Langkah 1 dari 11")
    data = prompt.buttons[0][0][1]
    mallory_chat.say("/lapor")
    own = mallory_chat.expect("Langkah 1 dari 11")
    before = query(database_url, "SELECT user_id, state FROM conversations ORDER BY user_id")
    mallory.press_data(own.message_id, data)  # Alice's callback data, pressed in Mallory's chat
    mallory_chat.expect("Langkah 1 dari 11")  # told the button is not valid, shown where she is
    time.sleep(0.5)
    assert query(database_url, "SELECT user_id, state FROM conversations ORDER BY user_id") == before
    assert all("Langkah 2" not in (m.text or "") for m in alice.messages())


def test_a_flood_is_survived_and_the_bot_answers_afterwards(emulator, bot, database_url):
    user = emulator.user(first_name="Spammer", language_code="id")
    for n in range(50):
        user.send(f"pesan {n}")
        time.sleep(0.1)
    chat = Chat(user, timeout=60)
    chat.expect("cepat")  # told once to slow down
    wait_until(lambda: query(database_url, "SELECT count(*) FROM inbox_updates WHERE status = 'pending'") == [(0,)], timeout=60, message="flood processed")
    replies = len(user.messages())
    assert replies <= 20, f"{replies} replies to a flood of 50"
    time.sleep(11)  # the flood window passes
    chat.cursor = len(user.messages())
    chat.say("/bantuan")
    chat.expect("/lapor")
    assert bot.alive()
    assert rejected_calls(emulator) == []


def test_an_album_counts_as_one_message_for_the_flood_gate(emulator, bot, database_url):
    """Twelve quick messages and an album of five: seventeen updates in a second, over the gate's
    fifteen, but thirteen things the user did. No "slow down", and every one is answered."""
    user = emulator.user(first_name="Rina", language_code="id")
    for n in range(12):
        user.send(f"halo {n}")
        time.sleep(0.05)
    user.send_album([jpeg((20 * i, 10, 200)) for i in range(5)], caption="Jalan rusak")
    wait_until(lambda: query(database_url, "SELECT count(*) FROM inbox_updates WHERE status = 'pending'") == [(0,)]
               and query(database_url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')") == [(0,)],
               timeout=60, message="all processed and sent")  # fmt: skip
    texts = [m.text or "" for m in user.messages()]
    assert not any("cepat" in text for text in texts), texts
    assert len(texts) >= 13, texts


def test_messages_in_groups_are_declined_politely(emulator, bot, database_url):
    member = emulator.user(first_name="Anggota", language_code="id")
    group = emulator.group(title="Warga RT 05", members=[member])
    for _ in range(3):
        member.send_to_group(group, "/lapor")
    wait_until(lambda: len(group.messages()) >= 1, message="a reply in the group")
    time.sleep(1.0)
    replies = group.messages()
    assert len(replies) == 1, "one notice per group, not one per message"
    assert "kanal_aduan_test_bot" in replies[0].text
    assert query(database_url, "SELECT count(*) FROM conversations") == [(0,)]
