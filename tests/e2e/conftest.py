"""End-to-end fixtures: a Bot API emulator in this process, the real bot as a child process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import TOKEN, BotProcess, fresh_database, wait_until
from tests.emulator import BotApiEmulator

ADMIN_ID = 7_000_001
# The bot's own log lines kept with a failed test's report; the drivers' DEBUG lines are left out.
NOISY_LOGGERS = (" DEBUG sqlalchemy", " DEBUG aiosqlite", " DEBUG asyncio", " DEBUG alembic", " INFO alembic.runtime.plugins")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed end-to-end test's report carries the tail of its bot process's log: in CI that
    log is the only account of what the bot did (the temporary directory is gone afterwards)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    process = getattr(item, "funcargs", {}).get("bot")
    if report.failed and isinstance(process, BotProcess):
        lines = [line for line in process.log().splitlines() if not line.startswith(NOISY_LOGGERS, 23)]
        report.sections.append(("bot log (last 150 lines)", "\n".join(lines[-150:])))


@pytest.fixture
def emulator() -> Iterator[BotApiEmulator]:
    emu = BotApiEmulator(token=TOKEN, bot_username="kanal_aduan_test_bot")
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def admin(emulator: BotApiEmulator):  # type: ignore[no-untyped-def]
    """An admin who has started the bot (Telegram lets bots write only to such users)."""
    return emulator.user(first_name="Admin", last_name="Diskominfo", username="admin_kominfo", language_code="id", user_id=ADMIN_ID)


@pytest.fixture
def bot_env() -> dict[str, str]:
    """Extra settings for the bot process; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def bot(emulator: BotApiEmulator, database_url: str, tmp_path: Path, admin, bot_env: dict[str, str]) -> Iterator[BotProcess]:  # type: ignore[no-untyped-def]
    process = BotProcess(emulator.base_url, database_url, tmp_path, admins=(ADMIN_ID,), extra_env=bot_env).start()
    try:
        wait_for_polling(emulator, process)
        yield process
    finally:
        process.stop()
        assert_clean_log(process.log())


def assert_clean_log(log: str) -> None:
    """What every bot run's log must not hold: the token, a failed job, a library's warning."""
    assert TOKEN not in log and TOKEN.split(":")[1] not in log, "the bot token reached the log"
    assert "its next run will retry" not in log, "a scheduled job failed:\n" + log[-3000:]
    # APScheduler's word for a run cancelled at stop; asyncio's for a connection left half-open
    # and for an HTTP session never closed.
    for sign in ('" raised an exception', "exception was never retrieved", "Unclosed client session", "Unclosed connector"):
        assert sign not in log, f"{sign!r} in the bot's log:\n" + log[-3000:]
    warned = [line for line in log.splitlines() if "Warning" in line]
    assert not warned, "library warnings in the bot's log:\n" + "\n".join(warned[:5])


def wait_for_polling(emulator: BotApiEmulator, process: BotProcess, after: int = 0) -> None:
    """Until `process` polls. After a restart, `after` is the getUpdates calls counted once the
    old process was gone: a poll it made while stopping would pass for the new one's, and the
    test would go on while the new process is still starting (seconds on a loaded machine)."""
    def polling() -> bool:
        if not process.alive():
            raise AssertionError("bot exited:\n" + process.log()[-3000:])
        return len(emulator.calls_of("getUpdates")) > after

    wait_until(polling, timeout=60, message="the bot to start polling")
