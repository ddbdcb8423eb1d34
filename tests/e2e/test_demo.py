"""The offline demo (README quick start): emulator, bot and terminal chat in one command."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.demo import DEMO_OFFICER_IDS, parse_role_switch, resolve_agency
from storage.agencies import DEFAULT_CSV, validate_csv
from tests.e2e.chat import typed_answers

SCRIPT = typed_answers(1)[:9] + [":foto", "Selesai", "Biasa", "Lewati", "Kirim laporan", ":admin"]
ANSWER = "Lampu jalan sudah kami ganti hari ini & dicek malam ini."
# One case through every role, as the README's quick start tells a newcomer to walk it.
WALK = SCRIPT[:-1] + [
    ":petugas xyz",  # no such agency: a line saying how to find the codes, and still the citizen
    ":admin", "1", "Teruskan",  # the card's first button, by number: verify and route to DPU
    ":petugas PUPR", "/tugas", "KKR-", "Jawab pelapor", ANSWER, "Kirim jawaban",
    ":warga", "Nilai jawaban", "⭐⭐⭐⭐⭐", "Kirim penilaian saya", "/riwayat",
]  # fmt: skip


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_"))}


def demo(tmp_path: Path, lines: list[str]) -> str:
    """The demo as a newcomer runs it, typing `lines`; what the terminal showed."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=clean_env(), input="\n".join(lines) + "\n",
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    warned = [line for line in (tmp_path / "data" / "demo.log").read_text().splitlines() if "Warning" in line]
    assert not warned, "library warnings in the bot's log:\n" + "\n".join(warned[:5])
    return result.stdout


def after(out: str, marker: str) -> str:
    assert marker in out, f"{marker!r} not in the demo's output:\n{out[-3000:]}"
    return out.split(marker, 1)[1]


def test_demo_files_a_report_from_the_terminal(tmp_path: Path) -> None:
    out = demo(tmp_path, SCRIPT)
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


def test_one_case_walks_through_every_role_in_one_terminal(tmp_path: Path) -> None:
    out = demo(tmp_path, WALK)
    ticket = "KKR-" + after(out, "Nomor tiket: KKR-")[:11]
    unknown = after(out, "Instansi “xyz” tidak ditemukan.").split("\n", 1)
    assert ":instansi" in unknown[0] and "aduan opd list" in unknown[0], "the line says how to find the codes"
    assert unknown[1].lstrip().startswith("[warga] >"), "an unknown agency switches nobody"

    # The admin: what arrived while away is shown on switching; the card's buttons by number.
    as_admin = after(out, "— Sekarang Anda admin")
    assert f"Laporan baru {ticket}" in as_admin.split("[admin] >", 1)[0]
    assert "[1] ✅ Verifikasi dan teruskan ke Dinas Pekerjaan Umum" in as_admin, "the card's buttons, numbered past its photo"
    routed = after(as_admin, "Terkirim.")
    assert "1 pesan baru untuk warga" in routed.split("[admin] >", 1)[0], "the citizen's news is announced"

    # The officer: joined through a one-time invitation, answers from /tugas.
    as_officer = after(out, "— Sekarang Anda petugas DPU")
    assert "terdaftar sebagai petugas" in as_officer and "[petugas DPU] >" in as_officer
    assert "2 pesan baru untuk warga" in as_officer.split("— Sekarang Anda warga", 1)[0]

    # The citizen sees the agency's answer (announced while away, shown on switching) and rates it.
    as_citizen = after(as_officer, "— Sekarang Anda warga")
    answer = after(as_citizen, f"Dinas Pekerjaan Umum menjawab laporan Anda {ticket}")
    assert ANSWER in answer.split("[warga] >", 1)[0]
    assert f"Terima kasih atas penilaian Anda. Laporan {ticket} telah ditutup." in answer
    assert "1 pesan baru untuk petugas DPU" in answer, "the agency hears of the rating"
    database = sqlite3.connect(tmp_path / "data" / "demo.sqlite3")
    try:
        assert database.execute("SELECT ticket, status, rating, agency_code FROM complaints").fetchall() == [(ticket, "closed", 5, "DPU")]
        officers = database.execute("SELECT telegram_id, agency_code FROM officers WHERE revoked_at IS NULL").fetchall()
        assert [code for _, code in officers] == ["DPU"] and officers[0][0] in DEMO_OFFICER_IDS
    finally:
        database.close()


def test_a_second_run_on_the_same_data_answers_and_finds_its_officers(tmp_path: Path) -> None:
    first = demo(tmp_path, [":petugas DPU", ":keluar"])
    assert "terdaftar sebagai petugas" in first
    second = demo(tmp_path, [":petugas dpu", ":keluar"])
    # The bot ignores update ids it has stored; a fresh emulator must not count from the start again.
    assert "Selamat datang" in second, second[-2000:]
    as_officer = after(second, "— Sekarang Anda petugas DPU")
    assert "terdaftar sebagai petugas" not in as_officer, "the officer of the first run is found, not invited again"
    database = sqlite3.connect(tmp_path / "data" / "demo.sqlite3")
    try:
        assert database.execute("SELECT count(*) FROM officers").fetchall() == [(1,)]
    finally:
        database.close()


def test_the_role_switch_names_an_agency_by_code_alias_or_name() -> None:
    rows, problems = validate_csv(DEFAULT_CSV)
    assert not problems
    agencies = [(row.code, row.name) for row in rows]
    assert parse_role_switch(":warga").role == "warga"  # type: ignore[union-attr]
    assert parse_role_switch("  :Admin ") == ("admin", "")
    assert parse_role_switch(":petugas  Dinas Kesehatan ") == ("petugas", "Dinas Kesehatan")
    assert parse_role_switch("warga") is None and parse_role_switch(":foto") is None
    for query in ("DPU", "dpu", "PUPR", "pekerjaan umum", "Dinas Pekerjaan"):
        assert resolve_agency(query, agencies).agency == ("DPU", "Dinas Pekerjaan Umum"), query
    assert resolve_agency("DINKS", agencies).agency == ("DINKES", "Dinas Kesehatan"), "a typo in a code"
    assert resolve_agency("rsud-amp", agencies).agency == ("RSUD-AMP", "RSUD Aji Muhammad Parikesit")

    unknown = resolve_agency("xyz", agencies)
    assert unknown.agency is None
    assert "“xyz” tidak ditemukan" in unknown.problem and ":instansi" in unknown.problem and "aduan opd list" in unknown.problem
    several = resolve_agency("rsud", agencies)
    assert several.agency is None and "3 instansi" in several.problem
    assert all(code in several.problem for code in ("RSUD-AMP", "RSUD-ABADS", "RSUD-DR")) and ":petugas RSUD-" in several.problem
    empty = resolve_agency(" ", agencies)
    assert empty.agency is None and ":petugas DPU" in empty.problem and ":instansi" in empty.problem
