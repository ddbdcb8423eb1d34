"""The Data sheet as a CSV file, for tools that do not read XLSX.

Same columns and labels as the workbook's Data sheet (`bot.reports.workbook.data_header` and
`data_values`), one case per line, written as it goes: memory stays flat however many rows.

Formula injection: a spreadsheet opening a CSV runs a cell that starts with "=", "+", "-" or "@"
as a formula, and a title or a name is written by anyone. Every cell passes through `neutralise`
(OWASP's defence: a leading apostrophe, which the spreadsheet shows as text). Numbers are turned
into text first, so a negative number would get the apostrophe too; the report's numbers (counts,
working days, ratings) are never negative.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from typing import TextIO

from bot.reports.workbook import ReportLabels, Value, data_header, data_values
from cases.figures import DataRow

BOM = "\ufeff"  # tells Excel the file is UTF-8 (else it reads it in the machine's code page)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """OWASP CSV-injection defence: a cell starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell_text(value: Value) -> str:
    """A Data cell as CSV text: dates as dd-mm-yyyy (as the workbook shows them), nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def write_csv(target: TextIO, rows: Iterable[DataRow], labels: ReportLabels, *, header: bool = True) -> int:
    """The Data sheet as CSV (UTF-8 with BOM for Excel, comma-separated, a header row); returns the rows written.

    `target`: a text stream opened with encoding="utf-8" (not "utf-8-sig", which would write a
    second BOM) and newline="" (the csv module writes its own line ends). `header=False` appends
    rows only (no BOM, no header): for rows that arrive in batches, the first call writes them."""
    writer = csv.writer(target, delimiter=",", quoting=csv.QUOTE_MINIMAL)
    if header:
        target.write(BOM)
        writer.writerow([neutralise(title) for title in data_header(labels)])
    written = 0
    for row in rows:
        writer.writerow([neutralise(cell_text(value)) for value in data_values(row, labels)])
        written += 1
    return written
