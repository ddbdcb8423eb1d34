"""The reliability core: restarts, kill -9, redelivered updates. Nothing lost, nothing twice."""

from __future__ import annotations

import random
import threading
import time

from tests.e2e.chat import Chat
from tests.e2e.conftest import wait_for_polling
from tests.e2e.harness import query, wait_until

# The whole form answered by typing only (the privacy and date steps accept their labels).
def script(n: int) -> list[str]:
    return [
        "/lapor",
        "Pengaduan",
        "Lainnya",
        "DPU",
        f"Judul laporan nomor {n} untuk uji",
        f"Uraian kejadian laporan nomor {n}: lampu jalan mati sejak seminggu, gelap dan rawan.",
        "Kemarin",
        "Tenggarong",
        f"Alamat {n}",
        "Lewati",
        "Biasa",
        "Lewati",
    ]


def test_draft_survives_a_restart_and_is_offered_again(emulator, bot, database_url):
    chat = Chat(emulator.user(first_name="Rina", language_code="id"))
    chat.say("/lapor")
    chat.expect("Langkah 1 dari 11")
    chat.press("Pengaduan")
    chat.press("Lainnya")
    chat.expect("Langkah 3 dari 11")
    polls = len(emulator.calls_of("getUpdates"))
    assert bot.stop() == 0
    bot.start()
    wait_for_polling(emulator, bot, after=polls)
    # Answering where we were just carries on...
    chat.press("Tidak tahu")
    chat.expect("Langkah 4 dari 11")
    # ...and /lapor offers the open draft instead of silently starting over.
    chat.say("/lapor")
    chat.expect("Langkah 4 dari 11")
    chat.press("Lanjutkan")
    chat.expect("Langkah 4 dari 11")
    (state,) = query(database_url, "SELECT state FROM conversations")[0]
    assert '"report_class": "pengaduan"' in state if isinstance(state, str) else state["answers"]["report_class"] == "pengaduan"


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(emulator, bot, database_url):
    citizens = [emulator.user(first_name=f"Warga{n}", language_code="id") for n in range(4)]
    for n, citizen in enumerate(citizens):
        for line in script(n):
            citizen.send(line)
    rng = random.Random(20261129)
    kills = 0
    interrupted: list[int] = []
    stop_killing = threading.Event()

    def killer() -> None:
        nonlocal kills
        while not stop_killing.is_set() and kills < 4:
            time.sleep(rng.uniform(0.3, 1.2))
            polls = len(emulator.calls_of("getUpdates"))
            bot.kill()
            kills += 1
            # With the process dead, the database shows what the kill interrupted.
            unfinished = query(database_url, "SELECT (SELECT count(*) FROM inbox_updates WHERE status = 'pending') + (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending'))")[0][0]
            interrupted.append(unfinished)
            bot.start()
            wait_for_polling(emulator, bot, after=polls)

    thread = threading.Thread(target=killer)
    thread.start()
    chats = [Chat(c, timeout=90) for c in citizens]
    try:
        for chat in chats:
            chat.expect("Periksa sekali lagi")
        for chat in chats:
            chat.press("Kirim laporan")
    finally:
        stop_killing.set()
        thread.join()
    for chat in chats:
        chat.expect("KKR-")
    assert kills >= 1
    assert any(interrupted), f"no kill hit unfinished work: {interrupted}"
    wait_until(lambda: query(database_url, "SELECT count(*) FROM inbox_updates WHERE status <> 'done'") == [(0,)], timeout=60, message="inbox drained")
    rows = query(database_url, "SELECT citizen_id, title, description, address FROM complaints ORDER BY citizen_id")
    assert len(rows) == len(citizens), rows
    for citizen, n, (owner, title, description, address) in zip(citizens, range(4), rows):
        # Each answer applied exactly once, in order: a replayed text would land in the wrong field.
        assert owner == citizen.id
        assert title == f"Judul laporan nomor {n} untuk uji"
        assert description.startswith(f"Uraian kejadian laporan nomor {n}:")
        assert address == f"Alamat {n}"
    tickets = query(database_url, "SELECT count(DISTINCT ticket), count(*) FROM complaints")
    assert tickets == [(len(citizens), len(citizens))]
    # Every committed message was delivered: nothing is left in the outbox.
    wait_until(lambda: query(database_url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')") == [(0,)], timeout=90, message="outbox drained")
    assert query(database_url, "SELECT count(*) FROM outbox WHERE status = 'failed'") == [(0,)]


def test_a_redelivered_update_is_a_no_op(emulator, bot, database_url):
    citizen = emulator.user(first_name="Dewi", language_code="id")
    chat = Chat(citizen)
    chat.say("/lapor")
    chat.expect("Langkah 1 dari 11")
    chat.say("Pengaduan")
    chat.expect("Langkah 2 dari 11")
    first = query(database_url, "SELECT update_id FROM inbox_updates ORDER BY update_id")
    (nonce_before,) = query(database_url, "SELECT state FROM conversations")[0]
    sent_before = len(citizen.messages())
    polls = len(emulator.calls_of("getUpdates"))
    bot.stop()
    # Telegram delivers the same updates again (say our confirmation was lost).
    for (update_id,) in first:
        emulator.redeliver(update_id)
    bot.start()
    wait_for_polling(emulator, bot, after=polls)
    emulator.wait_until_confirmed(timeout=20)
    time.sleep(1.0)
    assert len(citizen.messages()) == sent_before, "a redelivered update produced new messages"
    assert query(database_url, "SELECT state FROM conversations")[0] == (nonce_before,)
    assert query(database_url, "SELECT update_id FROM inbox_updates ORDER BY update_id") == first
