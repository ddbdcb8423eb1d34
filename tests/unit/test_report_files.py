"""The report files: the XLSX workbook (its sheets, its Data rows, no formula from what people
wrote, flat memory for a year of cases) and the CSV file (the same rows, neutralised cells)."""

from __future__ import annotations

import csv
import io
import re
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl
import psutil
import pytest

from bot.reports.csvfile import BOM, neutralise, write_csv
from bot.reports.workbook import SHEETS, ReportLabels, XlsxReport, data_header
from cases.calendar import WorkCalendar
from cases.figures import (
    CaseRow,
    DataRow,
    Figures,
    Period,
    Scope,
    Tallies,
    WorkdayIndex,
    compute,
    data_row,
)
from cases.workflow import Policy
from handlers.core.i18n import texts
from handlers.core.topics import load_topics
from tests.figures_history import Event, figures_of, history  # noqa: F401 (history: the database fixture)

AGENCIES = {"DINKES": "Dinas Kesehatan", "DPUPR": "Dinas Pekerjaan Umum dan Penataan Ruang"}
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30))
AS_OF = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)  # 17:00 WITA
POLICY = Policy()
HYPERLINK = '=HYPERLINK("http://x","y")'
FORMULA_TICKET = "=1+1"
ANON_TICKET = "KKR-2026-000004"


def at(day: int, hour: int = 2) -> datetime:
    """10:00 WITA on a day of November 2026 (the regency's clock is UTC+8)."""
    return datetime(2026, 11, day, hour, 0, tzinfo=timezone.utc)


def cases() -> list[CaseRow]:
    base: dict[str, Any] = {"report_class": "pengaduan", "privacy": "biasa", "anonymous": False}
    return [
        # Routed the next day, answered on time (due 10 Nov, answered 6 Nov), rated 5.
        CaseRow(1, "KKR-2026-000001", topic="infra.jalan", agency="DPUPR", kecamatan="Tenggarong", status="closed",
                created_at=at(2), verification_due=date(2026, 11, 5), response_due=date(2026, 11, 10),
                verified_at=at(3), first_routed_at=at(3), response_routed_at=at(3), first_response_at=at(6),
                first_response_due=date(2026, 11, 10), closed_at=at(9), rating=5, rated_at=at(9),
                lapor_number="2611-0001", **base),
        # A ticket that looks like a formula; answered late (due 12 Nov, answered 16 Nov), rated 1.
        CaseRow(2, FORMULA_TICKET, topic="kes.puskesmas", agency="DINKES", kecamatan="Loa Kulu", status="closed",
                created_at=at(4), verification_due=date(2026, 11, 9), response_due=date(2026, 11, 12),
                verified_at=at(5), first_routed_at=at(5), response_routed_at=at(5), first_response_at=at(16),
                first_response_due=date(2026, 11, 12), closed_at=at(20), rating=1, rated_at=at(20),
                maladministration="penundaan", reminders=2, escalations=1,
                **{**base, "privacy": "rahasia"}),
        # Rejected with a listed reason.
        CaseRow(3, "KKR-2026-000003", topic="infra.drainase", agency=None, kecamatan="Tenggarong", status="rejected",
                created_at=at(9), verification_due=date(2026, 11, 12), response_due=None, verified_at=at(10),
                closed_at=at(10), **base),
        # A whistleblower's: no kecamatan; routed, never answered, overdue now.
        CaseRow(4, ANON_TICKET, topic="anonim", agency="DINKES", kecamatan=None, status="verified",
                created_at=at(11), verification_due=date(2026, 11, 16), response_due=date(2026, 11, 19),
                verified_at=at(12), first_routed_at=at(12), maladministration="imbalan",
                **{**base, "privacy": "anonim", "anonymous": True}),
        # Rejected with a reason written by hand; then an open one, late for verification.
        CaseRow(5, "KKR-2026-000005", topic="pend.ppdb", agency=None, kecamatan="Loa Kulu", status="rejected",
                created_at=at(17), verification_due=date(2026, 11, 20), response_due=None, verified_at=at(18),
                closed_at=at(18), **base),
        CaseRow(6, "KKR-2026-000006", topic="kes.bpjs", agency=None, kecamatan="Tenggarong", status="submitted",
                created_at=at(23), verification_due=date(2026, 11, 26), response_due=None, **base),
    ]  # fmt: skip


def events() -> list[Event]:
    return [
        Event(1, "verify_and_route", at(3), agency="DPUPR", due=date(2026, 11, 10), first=True),
        Event(1, "respond", at(6), agency="DPUPR"),
        Event(2, "verify_and_route", at(5), agency="DINKES", due=date(2026, 11, 12), first=True),
        Event(2, "respond", at(16), agency="DINKES"),
        Event(3, "reject", at(10), code="vague"),
        Event(4, "verify_and_route", at(12), agency="DINKES", due=date(2026, 11, 19), first=True),
        Event(5, "reject", at(18), code="other"),
    ]


TITLES = {1: HYPERLINK, 2: "Puskesmas tutup", 3: "Jalan rusak", 4: "Laporan anonim #7QK", 5: "PPDB", 6: "BPJS"}


def figures(scope: Scope = Scope()) -> Figures:
    return figures_of(cases(), events(), names=AGENCIES, period=PERIOD, scope=scope, policy=POLICY, as_of=AS_OF)


def data_rows() -> list[DataRow]:
    index = WorkdayIndex(WorkCalendar(), date(2026, 10, 1), date(2026, 12, 31))
    return [data_row(case, TITLES[case.id], POLICY, index, {}) for case in cases()]


def labels(language: str = "en") -> ReportLabels:
    return ReportLabels(texts(language), load_topics(), AGENCIES)


def workbook_bytes(report_figures: Figures | None = None, regency: Figures | None = None,
                   language: str = "en") -> bytes:
    buffer = io.BytesIO()
    report = XlsxReport(buffer, labels(language), heading="Laporan Kanal Aduan, 1–30 November 2026")
    report.write_figures(report_figures or figures(), regency)
    assert report.add_rows(data_rows()) == 6
    report.close()
    return buffer.getvalue()


def load(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def rows_of(sheet: Any) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def find_row(sheet: Any, first: str) -> tuple[Any, ...]:
    return next(row for row in rows_of(sheet) if row and row[0] == first)


# -- the workbook ---------------------------------------------------------------------------------


def test_the_sheets_come_in_order() -> None:
    assert load(workbook_bytes()).sheetnames == list(SHEETS)
    assert SHEETS == ("Ringkasan", "OPD", "Topik × Kecamatan", "Maladministrasi", "Kepuasan", "Data")


def test_the_data_sheet_has_a_header_and_typed_values() -> None:
    data = load(workbook_bytes())["Data"]
    rows = rows_of(data)
    assert list(rows[0]) == data_header(labels())
    assert len(rows) == 7
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Ticket"] == "KKR-2026-000001"
    assert first["Report class"] == "Complaint"
    assert first["Topic"] == "Infrastructure › Roads & bridges"
    assert first["Agency"] == "Dinas Pekerjaan Umum dan Penataan Ruang"
    assert first["Kecamatan"] == "Tenggarong"
    assert first["Status"] == "Closed"
    assert first["Month"] == "2026-11"
    assert first["Submitted"] == datetime(2026, 11, 2) and first["First response"] == datetime(2026, 11, 6)
    assert first["Response due"] == datetime(2026, 11, 10)
    assert first["Verification (working days)"] == 1 and first["Verified in time"] == "Yes"
    assert first["Response (working days)"] == 3 and first["Answered in time"] == "Yes"
    assert first["Rating"] == 5 and first["LAPOR! number"] == "2611-0001"
    assert data.cell(2, 9).number_format == "dd-mm-yyyy"
    late = dict(zip(rows[0], rows[2], strict=True))
    assert late["Answered in time"] == "No" and late["Reminders"] == 2
    rejected = dict(zip(rows[0], rows[3], strict=True))
    assert rejected["Agency"] == "—" and rejected["First response"] is None and rejected["Rating"] is None


def test_the_data_sheet_is_frozen_and_filtered() -> None:
    data = load(workbook_bytes())["Data"]
    assert data.freeze_panes == "A2"
    assert data.auto_filter.ref == "A1:X7"


def test_the_indonesian_workbook_speaks_indonesian() -> None:
    data = load(workbook_bytes(language="id"))["Data"]
    header = [cell.value for cell in data[1]]
    assert header[2:6] == ["Topik", "Instansi", "Kecamatan", "Status"]
    assert data.cell(2, 2).value == "Pengaduan"
    assert data.cell(2, 3).value == "Infrastruktur › Jalan & jembatan"


def test_text_that_looks_like_a_formula_stays_text() -> None:
    content = workbook_bytes()
    data = load(content)["Data"]
    title, ticket = data.cell(2, 8), data.cell(3, 1)
    assert (title.value, title.data_type) == (HYPERLINK, "s")
    assert (ticket.value, ticket.data_type) == (FORMULA_TICKET, "s")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 6
        for name in sheets:  # the Data sheet, and the low ratings (which list the ticket) too
            assert not re.search(rb"<f[\s>/]", archive.read(name)), name


def test_a_whistleblowers_row_has_its_month_only() -> None:
    data = load(workbook_bytes())["Data"]
    rows = rows_of(data)
    assert all(r[0] != ANON_TICKET for r in rows), "no ticket: the neighbours' dates would date it"
    row = dict(zip(rows[0], next(r for r in rows[1:] if not r[0]), strict=True))
    assert row["Month"] == "2026-11"
    assert row["Kecamatan"] is None and row["Title"] is None
    dates = ("Submitted", "Verification decided", "Routed", "First response", "Closed",
             "Verification due", "Response due")
    assert all(row[column] is None for column in dates)
    assert row["Agency"] == "Dinas Kesehatan"


def test_the_scorecard_lists_the_agencies_in_order() -> None:
    regency = figures()
    sheet = load(workbook_bytes(regency))["OPD"]
    rows = rows_of(sheet)
    assert [row[1] for row in rows[1:]] == [score.code for score in regency.agencies]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:R{len(rows)}"
    by_code = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_code["DPUPR"]["Share on time"] == 1.0 and by_code["DINKES"]["Share on time"] == 0.0
    assert by_code["DINKES"]["Name"] == "Dinas Kesehatan" and by_code["DINKES"]["n < 5"] == "Yes"
    assert by_code["DINKES"]["Rank"] is None  # a small sample is never ranked
    assert by_code["DINKES"]["Overdue now"] == 1  # the whistleblower's case
    assert sheet.cell(2, 8).number_format == "0%"


def test_the_summary_shows_the_intake() -> None:
    regency = figures()
    sheet = load(workbook_bytes(regency))["Ringkasan"]
    assert sheet["A1"].value == "Laporan Kanal Aduan, 1–30 November 2026"
    assert find_row(sheet, "Received")[1] == regency.intake.received == 6
    assert find_row(sheet, "Rejected")[1] == 2
    assert find_row(sheet, "Other reason")[1] == 1
    assert find_row(sheet, "Anonymous (whistleblower)")[1] == 1
    assert find_row(sheet, "Period")[1] == "November 1, 2026 – November 30, 2026"
    assert find_row(sheet, "As of")[1] == "November 30, 2026, 17:00 WITA"
    assert find_row(sheet, "Overdue now (whistleblowers' reports included)")[1] == 2


def test_an_agency_report_shows_the_regency_beside_it() -> None:
    regency, agency = figures(), figures(Scope(agency="DPUPR"))
    sheet = load(workbook_bytes(agency, regency))["Ringkasan"]
    assert find_row(sheet, "Scope")[1] == "Agency: Dinas Pekerjaan Umum dan Penataan Ruang"
    caption = find_row(sheet, "Speed (working days, pauses excluded)")
    assert caption[1:7] == ("Cases", "Median", "p90", "Within deadline", "Whole regency: median",
                            "Whole regency: within deadline")  # fmt: skip
    answer = find_row(sheet, "The agency's first response (routing to the answer)")
    assert answer[1] == 1 and answer[4] == 1.0  # DPUPR answered its one case on time
    assert answer[6] == regency.speed.first_response.share_within == 0.5
    assert answer[5] == regency.speed.first_response.median
    # A regency report has no such columns.
    alone = find_row(load(workbook_bytes(regency))["Ringkasan"], "Speed (working days, pauses excluded)")
    assert alone[5:] == (None,) * len(alone[5:])


def test_the_other_sheets() -> None:
    book = load(workbook_bytes())
    grid = rows_of(book["Topik × Kecamatan"])
    assert grid[0][0] == "Topic" and grid[0][-1] == "Total"
    assert grid[-1][0] == "Total" and grid[-1][-1] == 5  # the whistleblower's case has no place here
    mal = rows_of(book["Maladministrasi"])
    assert mal[1] == ("Form of maladministration", "Dinas Kesehatan", "Total")
    assert find_row(book["Maladministrasi"], "Undue delay")[1:3] == (1, 1)
    satisfaction = book["Kepuasan"]
    assert find_row(satisfaction, FORMULA_TICKET)[1:3] == ("Dinas Kesehatan", 1)
    assert find_row(satisfaction, "Dinas Kesehatan")[1:3] == (1, 1.0)


def test_a_file_target(tmp_path: Path) -> None:
    target = tmp_path / "laporan.xlsx"
    report = XlsxReport(target, labels(), heading="Laporan")
    report.write_figures(figures())
    report.add_rows(data_rows()[:2])
    assert report.add_rows(data_rows()[2:]) == 6
    report.close()
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == list(SHEETS) and book["Data"].max_row == 7
    with pytest.raises(RuntimeError):
        report.write_figures(figures())


def test_an_empty_period_still_makes_a_workbook() -> None:
    buffer = io.BytesIO()
    report = XlsxReport(buffer, labels(), heading="Laporan")
    report.write_figures(compute(Tallies(), PERIOD, Scope(), POLICY, AS_OF))
    assert report.add_rows([]) == 0
    report.close()
    book = load(buffer.getvalue())
    assert find_row(book["Ringkasan"], "Received")[1] == 0
    assert book["Data"].max_row == 1 and book["Data"].auto_filter.ref == "A1:X1"
    assert find_row(book["Maladministrasi"], "None") == ("None",)


def many_rows(count: int) -> Iterator[DataRow]:
    """Rows made one at a time, as storage streams them: none is kept."""
    template = data_rows()[0]
    for n in range(count):
        yield replace(template, ticket=f"KKR-2026-{n:06d}", title=f"Laporan nomor {n} tentang jalan rusak",
                      submitted=date(2026, 1, 1) + timedelta(days=n % 365), rating=n % 5 + 1)  # fmt: skip


class Meter:
    """Memory while rows are written: tracemalloc's peak over the first `traced` rows (tracing
    slows XlsxWriter about threefold, too slow for all 50,000 in a unit test), then the process's
    resident memory sampled every 1,000 rows over all of them."""

    def __init__(self, traced: int) -> None:
        self.traced = traced
        self.process = psutil.Process()
        self.rss_before = self.rss_peak = self.process.memory_info().rss
        self.traced_peak = 0

    def rows(self, source: Iterator[DataRow]) -> Iterator[DataRow]:
        tracemalloc.start()
        try:
            for n, row in enumerate(source):
                if n == self.traced:
                    self.traced_peak = tracemalloc.get_traced_memory()[1]
                    tracemalloc.stop()
                if n % 1000 == 0:
                    self.rss_peak = max(self.rss_peak, self.process.memory_info().rss)
                yield row
        finally:
            tracemalloc.stop()
        self.rss_peak = max(self.rss_peak, self.process.memory_info().rss)

    @property
    def rss_growth(self) -> int:
        return self.rss_peak - self.rss_before


def test_fifty_thousand_rows_in_constant_memory(tmp_path: Path) -> None:
    # In XlsxWriter's default mode 2,000 rows hold about 6.5 MB (tracemalloc's peak) and 50,000
    # about 160 MB; flushed row by row, a few hundred kilobytes whatever the count.
    target = tmp_path / "besar.xlsx"
    report = XlsxReport(target, labels(), heading="Laporan")
    report.write_figures(figures())
    meter = Meter(traced=2_000)
    started = time.perf_counter()
    written = report.add_rows(meter.rows(many_rows(50_000)))
    elapsed = time.perf_counter() - started
    report.close()
    print(f"\n50,000 Data rows: add_rows {elapsed:.1f} s; tracemalloc peak over the first 2,000 rows "
          f"{meter.traced_peak / 1e6:.2f} MB; resident memory growth over all {meter.rss_growth / 1e6:.1f} MB; "
          f"file {target.stat().st_size / 1e6:.1f} MB")  # fmt: skip
    assert written == 50_000
    assert 0 < meter.traced_peak < 4_000_000
    assert meter.rss_growth < 20_000_000
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo("xl/worksheets/sheet6.xml")
        assert info.file_size > 50_000 * 24 * 5  # the rows did reach the file
    assert openpyxl.load_workbook(target, read_only=True)["Data"].max_row == 50_001


# -- the CSV file ----------------------------------------------------------------------------------


def csv_text() -> str:
    buffer = io.StringIO(newline="")
    assert write_csv(buffer, data_rows(), labels()) == 6
    return buffer.getvalue()


def test_the_csv_file_has_a_bom_a_header_and_the_rows() -> None:
    content = csv_text()
    assert content.startswith(BOM) and not content.startswith(BOM * 2)
    rows = list(csv.reader(io.StringIO(content[1:], newline="")))
    assert rows[0] == data_header(labels())
    assert len(rows) == 7
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Submitted"] == "02-11-2026" and first["Response due"] == "10-11-2026"
    assert first["Verified in time"] == "Yes" and first["Verification (working days)"] == "1"
    assert first["Topic"] == "Infrastructure › Roads & bridges"
    assert first["Title"] == "'" + HYPERLINK
    late = dict(zip(rows[0], rows[2], strict=True))
    assert late["Ticket"] == "'=1+1" and late["Answered in time"] == "No"
    anonymous = dict(zip(rows[0], rows[4], strict=True))
    assert anonymous["Ticket"] == "" and anonymous["Month"] == "2026-11"
    assert anonymous["Submitted"] == anonymous["Kecamatan"] == anonymous["Title"] == ""


def test_the_csv_file_can_be_written_in_batches() -> None:
    buffer = io.StringIO(newline="")
    rows = data_rows()
    assert write_csv(buffer, rows[:2], labels()) == 2
    assert write_csv(buffer, rows[2:], labels(), header=False) == 4
    assert buffer.getvalue() == csv_text()


def test_the_csv_file_is_utf8_on_disk(tmp_path: Path) -> None:
    target = tmp_path / "laporan.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        write_csv(handle, data_rows(), labels())
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "›".encode() in raw and b"\r\n" in raw


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=x", "\r=x", HYPERLINK])
def test_neutralise_prefixes_what_a_spreadsheet_would_run(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Jalan rusak", "", "1", "KKR-2026-000001", "'=already"])
def test_neutralise_leaves_plain_text_alone(value: str) -> None:
    assert neutralise(value) == value
