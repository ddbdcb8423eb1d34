"""SIGTERM finishes the work in hand and leaves nothing claimed; setMyCommands rides out a 502."""

from __future__ import annotations

from tests.e2e.conftest import wait_for_polling
from tests.e2e.harness import BotProcess, query, wait_until


def test_sigterm_during_a_burst_finishes_the_sends_in_flight_and_leaves_nothing_claimed(emulator, bot, database_url):
    citizens = [emulator.user(first_name=f"Warga{n}", language_code="id") for n in range(12)]
    # Slow answers keep sends in flight when the signal comes; without a drain they would be cut
    # off after Telegram had carried them out, left claimed, and sent again at the next start.
    emulator.delay_next("sendMessage", 1.5, count=1000)
    for citizen in citizens:
        citizen.send("/start")
    wait_until(lambda: query(database_url, "SELECT count(*) FROM outbox WHERE status = 'sending'")[0][0] > 0,
               timeout=30, message="sends under way")  # fmt: skip
    assert bot.stop() == 0
    polls = len(emulator.calls_of("getUpdates"))
    assert query(database_url, "SELECT count(*) FROM outbox WHERE status = 'sending'") == [(0,)]
    # What was sent is recorded as sent: each accepted call has its row, none more.
    sent_calls = [c for c in emulator.calls_of("sendMessage") if c.ok]
    assert query(database_url, "SELECT count(*) FROM outbox WHERE status = 'sent' AND method = 'sendMessage'") == [(len(sent_calls),)]
    assert query(database_url, "SELECT count(*) FROM inbox_updates WHERE status = 'failed'") == [(0,)]
    log = bot.log()
    assert "stopping: finishing the work in hand" in log and log.rstrip().endswith("stopped"), log[-2000:]
    assert "still unanswered at stop" not in log

    bot.start()
    wait_for_polling(emulator, bot, after=polls)
    for citizen in citizens:  # the rest arrives after the restart, each welcome exactly once
        citizen.wait_for_text("Kanal Aduan", timeout=60)
    wait_until(lambda: query(database_url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')") == [(0,)],
               timeout=60, message="outbox drained")  # fmt: skip
    for citizen in citizens:
        welcomes = [m for m in citizen.messages() if "Kanal Aduan" in (m.text or "")]
        assert len(welcomes) == 1, [m.text for m in citizen.messages()]


def test_set_my_commands_rides_out_a_502(emulator, database_url, tmp_path):
    emulator.fail_next("setMyCommands", status=502, count=2, description="Bad Gateway")
    process = BotProcess(emulator.base_url, database_url, tmp_path).start()
    try:
        wait_for_polling(emulator, process)
        wait_until(lambda: emulator.commands(), message="the command menu")
        assert [c["command"] for c in emulator.commands()][:2] == ["lapor", "anonim"]
        assert emulator.commands(language_code="en"), "the English menu"
    finally:
        assert process.stop() == 0
    log = process.log()
    assert log.count("Telegram (setMyCommands) not reachable at start-up") == 2, log[-2000:]
    assert "Traceback" not in log
