"""Start-up that rides out a Bot API restarting (502 at getMe) and stops at once, with one line,
on a token Telegram rejects."""

from __future__ import annotations

import time

from tests.e2e.conftest import assert_clean_log, wait_for_polling
from tests.e2e.harness import TOKEN, BotProcess


def test_start_up_rides_out_502_at_getme(emulator, database_url, tmp_path):
    emulator.fail_next("getMe", status=502, count=4, description="Bad Gateway")
    process = BotProcess(emulator.base_url, database_url, tmp_path).start()
    try:
        wait_for_polling(emulator, process)
        getme = emulator.calls_of("getMe")
        assert [c.ok for c in getme] == [False, False, False, False, True]
        assert all(c.error_code == 502 for c in getme[:4])
        # Waited between the tries (1, 2, 4, 8 s), not hammering a restarting server.
        assert getme[4].time - getme[0].time >= 14
    finally:
        process.stop()
    log = process.log()
    assert log.count("Telegram not reachable at start-up") == 4, log[-2000:]
    assert "Traceback" not in log


def test_a_rejected_token_ends_the_process_at_once_with_one_line(emulator, database_url, tmp_path):
    wrong = "123456:not-the-token-the-emulator-knows"
    process = BotProcess(emulator.base_url, database_url, tmp_path, extra_env={"TELEGRAM_BOT_TOKEN": wrong}).start()
    deadline = time.monotonic() + 30
    while process.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not process.alive(), "a rejected token must not be retried"
    assert process.stop() == 2
    log = process.log()
    assert "aduan: Telegram rejected the bot token (check TELEGRAM_BOT_TOKEN)" in log
    assert "Traceback" not in log and wrong not in log and wrong.split(":")[1] not in log and TOKEN not in log
    assert_clean_log(log)  # its HTTP sessions closed on the way out, too
