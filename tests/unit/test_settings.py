"""bot.settings: defaults, parsing, and one-line errors that name the setting."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from bot.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAHk3x_Secret-Part-0123456789abcdefXYZ"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the developer's shell or a stray .env leaks into a test."""
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.database_url.startswith("sqlite+aiosqlite:///./data/")
    assert settings.is_sqlite
    assert settings.timezone == "Asia/Makassar"
    assert str(settings.tz) == "Asia/Makassar"
    assert settings.default_language == "id"
    assert settings.token is None
    assert settings.admin_telegram_ids == ()
    assert settings.log_level == "INFO"


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("TIMEZONE", "Asia/Jakarta")
    settings = load_settings()
    assert settings.token == TOKEN
    assert TOKEN not in repr(settings)  # SecretStr
    assert settings.default_language == "en"
    assert settings.log_level == "DEBUG"
    assert settings.timezone == "Asia/Jakarta"


def test_retention_months_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().retention_months == 24
    monkeypatch.setenv("RETENTION_MONTHS", "36")
    assert load_settings().retention_months == 36


def test_dotenv_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ADMIN_TELEGRAM_IDS=5,6\n", encoding="utf-8")
    assert load_settings().admin_telegram_ids == (5, 6)


def test_empty_token_means_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    assert load_settings().token is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1, 2", (1, 2)), ("1,2", (1, 2)), (" 42 ", (42,)), ("1;2; 3", (1, 2, 3)), ("", ()), ("7,", (7,))],
)
def test_admin_ids(monkeypatch: pytest.MonkeyPatch, raw: str, expected: tuple[int, ...]) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", raw)
    assert load_settings().admin_telegram_ids == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://aduan:pw@db.local:5432/aduan", "postgresql+asyncpg://aduan:pw@db.local:5432/aduan"),
        ("postgresql://aduan@db/aduan", "postgresql+asyncpg://aduan@db/aduan"),
        ("postgresql+asyncpg://aduan@db/aduan", "postgresql+asyncpg://aduan@db/aduan"),
        ("sqlite+aiosqlite:////var/lib/aduan.db", "sqlite+aiosqlite:////var/lib/aduan.db"),
    ],
)
def test_database_url_normalised(monkeypatch: pytest.MonkeyPatch, url: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    settings = load_settings()
    assert settings.database_url == expected
    assert settings.is_sqlite == expected.startswith("sqlite")


def _error(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> SettingsError:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    return info.value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIMEZONE", "Mars/Olympus"),
        ("TIMEZONE", "../../etc/passwd"),
        ("TIMEZONE", ""),
        ("ADMIN_TELEGRAM_IDS", "abc"),
        ("ADMIN_TELEGRAM_IDS", "1, two"),
        ("TELEGRAM_BOT_TOKEN", "123:short"),
        ("TELEGRAM_BOT_TOKEN", "not a token at all"),
        ("TELEGRAM_BOT_TOKEN", TOKEN + " "),
        ("DATABASE_URL", "mysql://root:hunter2@localhost/aduan"),
        ("DATABASE_URL", "aduan.sqlite3"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("LOG_LEVEL", "LOUD"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org"),
        ("MAX_ATTACHMENTS", "99"),
        ("RETENTION_MONTHS", "0"),
        ("RETENTION_MONTHS", "two years"),
    ],
)
def test_invalid_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    error = _error(monkeypatch, name, value)
    message = str(error)
    assert "\n" not in message
    assert name in message
    if value.strip():
        assert value.strip() not in message  # the value itself is not echoed


@pytest.mark.parametrize("bad_token", ["123456789:short", "abc:" + "x" * 30, "123456789:" + "ä" * 30])
def test_token_never_in_the_error(monkeypatch: pytest.MonkeyPatch, bad_token: str) -> None:
    error = _error(monkeypatch, "TELEGRAM_BOT_TOKEN", bad_token)
    assert "TELEGRAM_BOT_TOKEN" in str(error)
    secret = bad_token.split(":", 1)[1]
    # Not in the message, and not in a traceback someone might print either.
    rendered = "".join(traceback.format_exception(error))
    assert secret not in rendered
    assert bad_token not in rendered


def test_token_not_in_the_error_when_another_setting_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    error = _error(monkeypatch, "TIMEZONE", "Nowhere/Special")
    assert "TIMEZONE" in str(error)
    assert TOKEN not in "".join(traceback.format_exception(error))


def test_database_password_not_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    error = _error(monkeypatch, "DATABASE_URL", "mysql://root:hunter2@localhost/aduan")
    assert "hunter2" not in "".join(traceback.format_exception(error))


def test_overrides() -> None:
    assert load_settings(timezone="Asia/Jayapura").timezone == "Asia/Jayapura"
    with pytest.raises(SettingsError, match="TIMEZONE"):
        load_settings(timezone="Asia/Nowhere")


# -- the command line -----------------------------------------------------------------------------


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60,
    )


def test_cli_invalid_timezone_exits_2_with_one_line(tmp_path: Path) -> None:
    database = tmp_path / "never-created.sqlite3"
    process = _cli(tmp_path, "db", "upgrade", TIMEZONE="Mars/Olympus", DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    assert process.returncode == 2
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert "TIMEZONE" in lines[0]
    assert "Traceback" not in process.stderr
    assert process.stdout == ""
    assert not database.exists()


def test_cli_bad_token_is_not_echoed(tmp_path: Path) -> None:
    process = _cli(tmp_path, "db", "upgrade", TELEGRAM_BOT_TOKEN="987654:half-pasted-secret")
    assert process.returncode == 2
    assert len(process.stderr.splitlines()) == 1
    assert "TELEGRAM_BOT_TOKEN" in process.stderr
    assert "half-pasted-secret" not in process.stderr + process.stdout


def test_every_setting_is_documented_in_env_example() -> None:
    from pathlib import Path

    from bot.settings import Settings

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    documented = {line.lstrip("# ").split("=", 1)[0] for line in example.splitlines() if "=" in line}
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in documented]
    assert not missing, f".env.example lacks {missing}"


def test_cli_help_lists_every_command() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("run", "demo", "db"):
        assert f"    {command}" in result.stdout
    upgrade = subprocess.run([sys.executable, "-m", "bot", "db", "--help"], capture_output=True, text=True, timeout=60)
    assert "upgrade" in upgrade.stdout
