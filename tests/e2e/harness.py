"""Start the real bot process against the Bot API emulator, and a fresh database per test."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:TEST-e2e-secret-token-value"


class BotProcess:
    """`python -m bot run` as a child process; its log is kept for assertions."""

    def __init__(self, base_url: str, database_url: str, workdir: Path, admins: tuple[int, ...] = (), extra_env: dict[str, str] | None = None) -> None:
        self.log_path = workdir / "bot.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_"))},
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": base_url,
            # The runtime under test: TEST_TELEGRAM_RUNTIME=aiogram runs the suite on aiogram.
            "TELEGRAM_RUNTIME": os.environ.get("TEST_TELEGRAM_RUNTIME", "ptb"),
            "DATABASE_URL": database_url,
            "ADMIN_TELEGRAM_IDS": ",".join(str(a) for a in admins),
            "FILES_DIR": str(workdir / "files"),
            "LOG_LEVEL": "DEBUG",
            "POLLING_TIMEOUT_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.workdir, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT)
        return self

    def stop(self, timeout: float = 15) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _admin_url(url: str) -> str:
    parsed = make_url(url)
    return str(parsed.set(drivername="postgresql+asyncpg"))


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """SQLite file under tmp_path, or a new PostgreSQL database when TEST_DATABASE_URL is set."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite+aiosqlite:///{tmp_path / 'aduan.sqlite3'}"
        return
    import asyncpg

    parsed = make_url(base)
    name = f"aduan_e2e_{uuid.uuid4().hex[:12]}"
    dsn = f"postgresql://{parsed.username or 'postgres'}@{parsed.host or '127.0.0.1'}:{parsed.port or 5432}/{parsed.database or 'postgres'}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _admin_url(str(parsed.set(database=name)))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05, message: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def query(database_url: str, sql: str, **params: object) -> list[tuple]:
    """Read the bot's database from the test (a separate connection; the bot may be running)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> list[tuple]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return [tuple(row) for row in await connection.execute(text(sql), params)]
        finally:
            await engine.dispose()

    return asyncio.run(run())
