"""The dispatcher against Telegram's answers: 429 retry_after, 5xx, 403 (blocked)."""

from __future__ import annotations

import time

from tests.e2e.chat import Chat, typed_answers
from tests.e2e.test_citizen_flow import jpeg
from tests.e2e.harness import query, wait_until


def answers_to(emulator, chat_id: int, method: str = "sendMessage") -> list:  # type: ignore[no-untyped-def]
    return [c for c in emulator.calls_of(method) if str(c.params.get("chat_id")) == str(chat_id)]


def test_429_delays_only_that_chat_and_the_message_still_arrives(emulator, bot, database_url):
    slow = emulator.user(first_name="Lambat", language_code="id")
    other = emulator.user(first_name="Lain", language_code="id")
    emulator.fail_next("sendMessage", status=429, retry_after=5, chat_id=slow.id)
    started = time.monotonic()
    slow.send("/bantuan")
    other.send("/bantuan")
    Chat(other).expect("/lapor")
    other_done = time.monotonic() - started
    Chat(slow).expect("/lapor")
    slow_done = time.monotonic() - started
    assert other_done < 4.0, "another chat waited for the 429 of this one"
    assert slow_done >= 5.0, "retry_after was not honoured"
    failed = [c for c in answers_to(emulator, slow.id) if c.error_code == 429]
    assert len(failed) == 1


def test_server_errors_are_retried_with_backoff(emulator, bot, database_url):
    user = emulator.user(first_name="Sabar", language_code="id")
    emulator.fail_next("sendMessage", status=502, count=2, chat_id=user.id)
    user.send("/bantuan")
    Chat(user).expect("/lapor")
    attempts = answers_to(emulator, user.id)
    assert [c.error_code for c in attempts[:2]] == [502, 502] and attempts[2].ok
    gaps = [b.time - a.time for a, b in zip(attempts, attempts[1:])]
    assert gaps[1] > gaps[0] * 1.2, f"no backoff between retries: {gaps}"
    # The user may see the message a moment before the dispatcher records it as sent. The bot
    # keeps no row for this user (they only asked for help), so the sent message is wiped too.
    wait_until(lambda: query(database_url, "SELECT status, attempts, chat_id, CAST(payload AS TEXT) FROM outbox") == [("sent", 2, 0, "{}")],
               message="the send recorded after two failures, then wiped")


def test_an_admin_who_blocked_the_bot_is_recorded_and_not_retried(emulator, bot, admin, database_url):
    admin.block_bot()
    citizen = emulator.user(first_name="Warga", language_code="id")
    for line in typed_answers(1, address="Lewati")[:9]:
        citizen.send(line)
    chat = Chat(citizen, timeout=40)
    chat.expect("Langkah 9 dari 11")
    citizen.send_photo(jpeg())
    chat.expect("1 dari 5")
    for line in ["Selesai", "Biasa", "Lewati"]:
        citizen.send(line)
    chat.expect("Periksa sekali lagi")
    chat.press("Kirim laporan")
    chat.expect("KKR-")
    wait_until(lambda: query(database_url, "SELECT method, status FROM outbox WHERE chat_id = :c ORDER BY id", c=admin.id)
               == [("sendMessage", "failed"), ("sendPhoto", "failed")], message="the admin's queue failed")
    time.sleep(1.0)
    assert [c.error_code for c in answers_to(emulator, admin.id)] == [403]
    assert answers_to(emulator, admin.id, "sendPhoto") == [], "after a 403 the rest of the queue is dropped"
    (blocked_at,) = query(database_url, "SELECT blocked_at FROM users WHERE telegram_id = :c", c=admin.id)[0]
    assert blocked_at is not None
    # The citizen is unaffected.
    assert query(database_url, "SELECT count(*) FROM complaints") == [(1,)]
