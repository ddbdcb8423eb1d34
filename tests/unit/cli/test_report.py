"""`aduan report` and `aduan stats` (bot/cli/report.py, bot/cli/stats.py) on the November scenario
(tests/november.py): the files hold the period's cases and figures, never a reporter's identity,
a whistleblower's words, place or dates, another agency's cases in an agency's file, or a formula."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import openpyxl
import pytest

from storage.db import upgrade
from tests.november import FORMULA, NAME, PHONE, SECRET, USERNAME, seed_november
from tests.unit.cli.support import cli

CITIZEN = 424242


@pytest.fixture
def november(db_url: str) -> dict[str, str]:
    upgrade(db_url)
    return seed_november(db_url, CITIZEN)


def never_in(values: list[str]) -> None:
    text = "\n".join(values)
    for secret in (NAME, USERNAME, PHONE, str(CITIZEN), SECRET, "#ABC"):
        assert secret not in text, f"{secret!r} reached the export"


def test_the_workbook_of_november(db_url: str, november: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "laporan.xlsx"
    code, printed, err = cli(capsys, "report", "--from", "2026-11-01", "--to", "30-11-2026", "--out", str(out))
    assert code == 0, err
    assert "5 case(s)" in printed
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Ringkasan", "OPD", "Topik × Kecamatan", "Maladministrasi", "Kepuasan", "Data"]
    data = list(book["Data"].iter_rows(values_only=True))
    tickets = [row[0] for row in data[1:]]
    assert tickets == [november[k] for k in "ABCD"] + [""], "filed order, the whistleblower's last and without ticket"
    formula = next(cell for row in book["Data"].iter_rows(min_row=2) for cell in row if cell.value == FORMULA)
    assert formula.data_type == "s"
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode(), f"a formula in {name}"
    never_in([str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v is not None])
    summary = [row for row in book["Ringkasan"].iter_rows(values_only=True)]
    assert any(row[0] == "Laporan masuk" and row[1] == 5 for row in summary if row and row[0]), summary[:20]


def test_an_agencys_csv_holds_its_cases_only_neutralised(db_url: str, november: dict[str, str], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dpu.csv"
    code, printed, err = cli(capsys, "report", "--from", "01-11-2026", "--to", "30-11-2026", "--agency", "dpu", "--out", str(out))
    assert code == 0, err and "(csv)" in printed
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(text.lstrip("\ufeff").splitlines()))
    assert [row[0] for row in rows[1:]] == [november["A"], november["D"], ""], "DPU's cases (the whistleblower's last)"
    assert november["B"] not in text and november["C"] not in text
    title = rows[0].index("Judul")
    assert rows[2][title] == "'" + FORMULA, "a formula-looking title starts with an apostrophe"
    never_in([text])


def test_the_terminal_summary(db_url: str, november: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, printed, err = cli(capsys, "stats", "--from", "2026-11-01", "--to", "2026-11-30")
    assert code == 0, err
    assert "Laporan masuk: 5" in printed and "<b>" not in printed
    lines = [line.split() for line in printed.splitlines() if line.startswith(("DPU", "DINKES", " "))]
    assert any(parts[:1] == ["DPU"] for parts in lines) and any(parts[:1] == ["DINKES"] for parts in lines)
    code, printed, _ = cli(capsys, "stats", "--from", "2026-11-01", "--to", "2026-11-30", "--agency", "DINKES", "--language", "en")
    assert code == 0 and "Received</b>" not in printed and "Received: 1" in printed


@pytest.mark.parametrize(("argv", "message"), [
    (["report", "--from", "2026-11-31", "--to", "2026-12-01", "--out", "x.xlsx"], "not a date"),
    (["report", "--from", "2026-11-30", "--to", "2026-11-01", "--out", "x.xlsx"], "before --from"),
    (["report", "--from", "2026-11-01", "--to", "2026-11-30", "--agency", "NOPE", "--out", "x.xlsx"], "no agency with code NOPE"),
    (["stats", "--to", "2026-11-30"], "--to needs --from"),
])  # fmt: skip
def test_bad_arguments_are_one_line_and_exit_1(db_url: str, november: dict[str, str], argv: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, *argv)
    assert code == 1 and message in err and err.count("\n") == 1
