"""The offline demo (README quick start): emulator, bot and terminal chat in one command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.chat import typed_answers

SCRIPT = typed_answers(1)[:9] + [":foto", "Selesai", "Biasa", "Lewati", "Kirim laporan", ":admin"]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_"))}


def test_demo_files_a_report_from_the_terminal(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=clean_env(), input="\n".join(SCRIPT) + "\n",
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "Langkah 1 dari 11" in out and "Langkah 11 dari 11" in out
    assert "KKR-" in out.split("Nomor tiket", 1)[1][:40]
    assert "[admin]" in out and "Laporan baru" in out and "Lampiran 1 dari 1" in out
    assert (tmp_path / "data" / "demo.sqlite3").exists()
    assert "TEST-offline-demo-token" not in (tmp_path / "data" / "demo.log").read_text()


def test_run_without_a_token_starts_the_demo(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=clean_env(), input=":keluar\n",
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Selamat datang" in result.stdout  # the demo greets the citizen
