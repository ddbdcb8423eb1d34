"""The reliability core: restarts, kill -9, redelivered updates. Nothing lost, nothing twice."""

from __future__ import annotations

import random
import threading
import time

from tests.e2e.chat import Chat, typed_answers
from tests.e2e.conftest import wait_for_polling
from tests.e2e.harness import query, wait_until


def hours_ago(hours: float):  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) - timedelta(hours=hours)


def query_update(database_url: str, sql: str, **params: object) -> None:
    """Move time for the bot by editing its rows (the bot reads the clock; we move the data)."""
    import asyncio

    from datetime import datetime

    from sqlalchemy import bindparam, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.models import UTCDateTime

    # Typed like the columns, so each backend stores the instant in its own format.
    statement = text(sql).bindparams(*[bindparam(k, type_=UTCDateTime()) for k, v in params.items() if isinstance(v, datetime)])

    async def run() -> None:
        engine = create_async_engine(database_url)
        try:
            async with engine.begin() as connection:
                await connection.execute(statement, params)
        finally:
            await engine.dispose()

    asyncio.run(run())

def test_draft_survives_a_restart_and_is_offered_again(emulator, bot, database_url):
    chat = Chat(emulator.user(first_name="Rina", language_code="id"))
    chat.say("/lapor")
    chat.expect("Langkah 1 dari 11")
    chat.press("Pengaduan")
    chat.press("Lainnya")
    chat.expect("Langkah 3 dari 11")
    assert bot.stop() == 0
    polls = len(emulator.calls_of("getUpdates"))
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
        for line in typed_answers(n):
            citizen.send(line)
    rng = random.Random(20261129)
    kills = 0
    interrupted: list[int] = []
    stop_killing = threading.Event()

    def killer() -> None:
        nonlocal kills
        while not stop_killing.is_set() and kills < 4:
            time.sleep(rng.uniform(0.3, 1.2))
            bot.kill()
            polls = len(emulator.calls_of("getUpdates"))
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
    bot.stop()
    polls = len(emulator.calls_of("getUpdates"))
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


def test_a_long_pause_offers_the_draft_and_an_old_draft_expires(emulator, bot, database_url):
    chat = Chat(emulator.user(first_name="Lupa", language_code="id"))
    chat.say("/lapor")
    chat.press("Aspirasi")
    chat.expect("Langkah 2 dari 11")
    # Two hours pass (DRAFT_RESUME_AFTER_MINUTES is 30): the next message is not taken as an answer.
    query_update(database_url, "UPDATE conversations SET updated_at = :t", t=hours_ago(2))
    chat.say("halo, masih bisa?")
    chat.expect("Langkah 2 dari 11")  # the offer names where the draft stands
    chat.press("Lanjutkan")
    chat.expect("Langkah 2 dari 11")
    # A week passes (DRAFT_TTL_HOURS is 168): the draft is gone, /lapor starts afresh.
    query_update(database_url, "UPDATE conversations SET updated_at = :t, expires_at = :t", t=hours_ago(1))
    chat.say("/lapor")
    chat.expect("Langkah 1 dari 11")
    assert not any("Lanjutkan" in t for m in chat.user.messages()[-2:] for row in m.buttons for t, _ in row)


def test_cancel_and_free_text_outside_a_form(emulator, bot, database_url):
    chat = Chat(emulator.user(first_name="Batal", language_code="id"))
    chat.say("selamat pagi")
    menu = chat.expect("/lapor")
    assert any("Buat laporan" in t for row in menu.buttons for t, _ in row)
    chat.say("/lapor")
    chat.expect("Langkah 1 dari 11")
    chat.say("/batal")
    chat.expect("dihapus")
    assert query(database_url, "SELECT count(*) FROM conversations") == [(0,)]
    chat.say("/tidakada")
    chat.expect("/tidakada")
