"""`aduan admin ...` (bot/cli/admin.py), and a bad setting answered in one line."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.cli import main
from storage import roles
from storage.models import Admin
from tests.unit.cli.support import cli, query


def test_admin_add_remove_list(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "500,600")
    code, out, _ = cli(capsys, "admin", "add", "123")
    assert code == 0 and "123 is now an admin" in out
    code, out, _ = cli(capsys, "admin", "add", "123")
    assert code == 0 and "already an admin" in out
    code, out, _ = cli(capsys, "admin", "list")
    assert code == 0
    assert re.search(r"^123\s+database\s+\d{4}-\d\d-\d\d \d\d:\d\d WITA\s+cli$", out, re.MULTILINE)
    assert re.search(r"^500\s+ADMIN_TELEGRAM_IDS\s+setting$", out, re.MULTILINE)
    assert re.search(r"^600\s+ADMIN_TELEGRAM_IDS\s+setting$", out, re.MULTILINE)

    code, _, err = cli(capsys, "admin", "remove", "500")
    assert code == 1 and "ADMIN_TELEGRAM_IDS" in err and "remove it from that setting" in err
    code, out, _ = cli(capsys, "admin", "remove", "123")
    assert code == 0 and "123 removed" in out
    code, _, err = cli(capsys, "admin", "remove", "123")
    assert code == 1 and "123 is not an admin" in err
    code, _, err = cli(capsys, "admin", "add", "0")
    assert code == 1 and "not a Telegram user id" in err

    async def check(session):  # type: ignore[no-untyped-def]
        count = await session.scalar(select(func.count()).select_from(Admin))
        return count, await roles.is_admin(session, 500, (500, 600)), await roles.is_admin(session, 123, (500,))

    assert query(db_url, check) == (0, True, False)


def test_bad_setting_is_one_line_exit_2(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "abc")
    with pytest.raises(SystemExit) as exited:
        main(["admin", "list"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
