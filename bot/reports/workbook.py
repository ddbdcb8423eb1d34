"""The report workbook (XLSX): five summary sheets of the figures and one Data row per case.

Two things shape this module:

* **Constant memory.** A year of the regency is tens of thousands of cases. XlsxWriter's
  `constant_memory` mode flushes each row to a temporary file as soon as the next row is started,
  so memory stays flat however many Data rows are written. The price: a sheet is written top to
  bottom, once (a row already left cannot be written again). So the six sheets are all created
  when the workbook is opened (which fixes their order) and each is then filled in row order.
* **Formula injection.** A title, a name or anything else a person typed may start with "=" and
  would run as a formula in the reader's spreadsheet. Every text cell is written with
  `write_string`, which stores it as a string whatever it looks like (never `write`, which turns
  "=..." into a formula), and the workbook's `strings_to_*` conversions are off.

Texts go through the catalog (English msgids); the sheet names are fixed Indonesian words, so a
macro or a pivot table that refers to them works whatever the reader's language.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import xlsxwriter

from cases.figures import AGE_BUCKETS, SMALL_SAMPLE, DataRow, Duration, Figures, Period, Scope
from cases.model import ReportClass
from handlers.casework.inputs import REJECT_REASONS, reject_reason
from handlers.core.i18n import Texts
from handlers.core.labels import (
    class_label,
    maladministration_label,
    privacy_label,
    staff_status_label,
)
from handlers.core.topics import TopicTree

WITA = ZoneInfo("Asia/Makassar")
SHEETS = ("Ringkasan", "OPD", "Topik × Kecamatan", "Maladministrasi", "Kepuasan", "Data")
PRIVACY_CODES = ("biasa", "rahasia", "anonim")
MAX_DATA_ROWS = 1_048_575  # Excel's rows less the header
NONE = "—"  # an agency that is not known (a case not routed yet)

# One Data cell: text, a number, a date, or nothing (an empty cell).
Value = str | int | float | date | None

# Column widths of the Data sheet, in the order of `data_header`.
DATA_WIDTHS = (17, 16, 34, 32, 18, 30, 9, 40, 12, 12, 12, 12, 12, 12, 12, 13, 11, 13, 11, 13, 11, 10, 8, 18)
OPD_WIDTHS = (6, 14, 40, 8, 9, 10, 9, 9, 12, 11, 11, 10, 10, 11, 8, 10, 11, 7)


@dataclass(frozen=True)
class ReportLabels:
    """What the files say, in one language: texts, the topic tree and the agencies' names."""

    texts: Texts  # handlers.core.i18n.texts("id") or ("en")
    topics: TopicTree
    agencies: dict[str, str]  # code -> name

    @property
    def language(self) -> str:
        return self.texts.language

    def agency(self, code: str | None) -> str:
        if not code:  # None, or "" (how the figures key a case with no agency)
            return NONE
        return self.agencies.get(code, code)

    def topic_path(self, code: str) -> str:
        if code == "anonim":  # a whistleblower's report has no topic of its own
            return self.texts.gettext("Anonymous (whistleblower)")
        return self.topics.path_label(code, self.language)

    def topic(self, code: str) -> str:
        found = self.topics.get(code)
        return found.label(self.language) if found is not None else code

    def yes_no(self, value: bool | None) -> str | None:
        if value is None:
            return None
        return self.texts.gettext("Yes") if value else self.texts.gettext("No")

    def reason(self, code: str) -> str:
        if code not in REJECT_REASONS:  # "other": a reason written by hand, not listed
            return self.texts.gettext("Other reason")
        return reject_reason(code, self.texts)

    def privacy(self, code: str) -> str:
        if code == "anonim":
            return self.texts.gettext("Anonymous (whistleblower)")
        return privacy_label(code, self.texts)


# -- the Data columns, shared with the CSV file ------------------------------------------------------


def data_header(labels: ReportLabels) -> list[str]:
    t = labels.texts
    return [
        t.gettext("Ticket"), t.gettext("Report class"), t.gettext("Topic"), t.gettext("Agency"),
        t.gettext("Kecamatan"), t.gettext("Status"), t.gettext("Month"), t.gettext("Title"),
        t.gettext("Submitted"), t.gettext("Verification decided"), t.gettext("Routed"), t.gettext("First response"),
        t.gettext("Closed"), t.gettext("Verification due"), t.gettext("Response due"),
        t.gettext("Verification (working days)"), t.gettext("Verified in time"),
        t.gettext("Response (working days)"), t.gettext("Answered in time"),
        t.gettext("Closing (working days)"), t.gettext("Closed in time"),
        t.gettext("Reminders"), t.gettext("Rating"), t.gettext("LAPOR! number"),
    ]  # fmt: skip


def data_values(row: DataRow, labels: ReportLabels) -> list[Value]:
    """One case's cells, labelled. A whistleblower's row holds no dates, kecamatan or title
    (`data_row` left them out): nothing here adds any back."""
    t = labels.texts
    taken = row.timings
    return [
        row.ticket, class_label(row.report_class, t), labels.topic_path(row.topic), labels.agency(row.agency),
        row.kecamatan, staff_status_label(row.status, t), row.month, row.title,
        row.submitted, row.verified, row.routed, row.first_response, row.closed,
        row.verification_due, row.response_due,
        taken.verification_days, labels.yes_no(taken.verification_in_time),
        taken.response_days, labels.yes_no(taken.response_in_time),
        taken.close_days, labels.yes_no(taken.close_in_time),
        row.reminders, row.rating, row.lapor_number,
    ]  # fmt: skip


# -- writing cells ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Styled:
    """A value with its own cell format (a percentage, a one-decimal average, a caption)."""

    value: Value
    fmt: Any


Cell = Value | Styled


class _Formats:
    def __init__(self, book: Any) -> None:
        self.heading = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})
        self.header = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
        self.indent = book.add_format({"indent": 1, "text_wrap": True})
        self.date = book.add_format({"num_format": "dd-mm-yyyy"})
        self.percent = book.add_format({"num_format": "0%"})
        self.decimal = book.add_format({"num_format": "0.0"})


def write_cell(sheet: Any, row: int, col: int, value: Value, fmt: Any, formats: _Formats) -> None:
    """Each type with its own writer: text always as a string (never a formula), nothing for None."""
    if value is None:
        return
    if isinstance(value, bool):  # a bool is an int: it must have been put into words before
        raise TypeError("write booleans as words (ReportLabels.yes_no)")
    if isinstance(value, str):
        sheet.write_string(row, col, value, fmt)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, fmt or formats.date)
    else:
        raise TypeError(f"cannot write {type(value).__name__} to a report cell")


class _Rows:
    """A sheet written top to bottom: `line` writes the next row (constant memory forbids going back)."""

    def __init__(self, sheet: Any, formats: _Formats) -> None:
        self.sheet = sheet
        self.formats = formats
        self.row = 0

    def line(self, *cells: Cell) -> None:
        for col, cell in enumerate(cells):
            value, fmt = (cell.value, cell.fmt) if isinstance(cell, Styled) else (cell, None)
            write_cell(self.sheet, self.row, col, value, fmt, self.formats)
        self.row += 1

    def header(self, *titles: str | None) -> None:
        self.line(*(Styled(title, self.formats.header) for title in titles))

    def caption(self, text: str, *titles: str | None) -> None:
        """A section's caption in bold, with its columns' titles beside it."""
        self.line(Styled(text, self.formats.bold), *(Styled(title, self.formats.header) for title in titles))

    def skip(self) -> None:
        self.row += 1


# -- the workbook -----------------------------------------------------------------------------------


class XlsxReport:
    """A report workbook written as it goes (XlsxWriter's constant_memory mode): memory stays flat however many Data rows."""

    def __init__(self, target: str | os.PathLike[str] | BinaryIO, labels: ReportLabels, *, heading: str) -> None:
        self.labels = labels
        self.heading = heading
        # XlsxWriter writes into a file-like target at close, with constant_memory kept (its temporary
        # files go to the system's temporary folder); only in_memory=True would turn constant_memory off.
        self.book = xlsxwriter.Workbook(os.fspath(target) if isinstance(target, os.PathLike) else target, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "in_memory": False,
        })  # fmt: skip
        self.formats = _Formats(self.book)
        self.sheets = {name: self.book.add_worksheet(name) for name in SHEETS}
        self._figures_written = False
        self._closed = False
        self._rows = 0
        self._start_data()

    # -- Data ----------------------------------------------------------------------------------------

    def _start_data(self) -> None:
        sheet = self.sheets["Data"]
        for col, width in enumerate(DATA_WIDTHS):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)
        for col, title in enumerate(data_header(self.labels)):
            sheet.write_string(0, col, title, self.formats.header)

    def add_rows(self, rows: Iterable[DataRow]) -> int:
        """Append rows to the Data sheet; returns how many were written so far (over every call)."""
        sheet, formats, labels = self.sheets["Data"], self.formats, self.labels
        for row in rows:
            if self._rows >= MAX_DATA_ROWS:  # XlsxWriter would drop the rest silently
                raise ValueError(f"a sheet holds at most {MAX_DATA_ROWS} rows: export a shorter period")
            self._rows += 1
            for col, value in enumerate(data_values(row, labels)):
                write_cell(sheet, self._rows, col, value, None, formats)
        return self._rows

    def close(self) -> None:
        """Set the Data sheet's autofilter over the rows written and close (write) the workbook."""
        if self._closed:
            return
        self._closed = True
        self.sheets["Data"].autofilter(0, 0, self._rows, len(DATA_WIDTHS) - 1)
        self.book.close()

    # -- the summary sheets --------------------------------------------------------------------------

    def write_figures(self, figures: Figures, regency: Figures | None = None) -> None:
        """The five summary sheets. `regency`: the whole regency's figures, for an agency-scoped
        report (the summary shows its key percentages and medians beside the agency's)."""
        if self._figures_written:
            raise RuntimeError("the figures are written once (each sheet is written top to bottom)")
        self._figures_written = True
        rows = {name: _Rows(self.sheets[name], self.formats) for name in SHEETS[:-1]}
        self._summary(rows["Ringkasan"], figures, regency)
        self._scorecard(rows["OPD"], figures)
        self._grid(rows["Topik × Kecamatan"], figures)
        self._maladministration(rows["Maladministrasi"], figures)
        self._satisfaction(rows["Kepuasan"], figures)

    def _summary(self, out: _Rows, figures: Figures, regency: Figures | None) -> None:
        t, labels, f = self.labels.texts, self.labels, self.formats
        out.sheet.set_column(0, 0, 45)
        out.sheet.set_column(1, 6, 14)
        out.line(Styled(self.heading, f.heading))
        out.line(t.gettext("Period"), period_text(figures.period, t))
        out.line(t.gettext("Scope"), scope_text(figures.scope, labels))
        as_of = figures.as_of.astimezone(WITA)
        out.line(t.gettext("As of"), f"{t.date(as_of.date(), 'long')}, {as_of:%H:%M} WITA")
        out.skip()

        intake = figures.intake
        out.caption(t.gettext("Reports received"))
        out.line(t.gettext("Received"), intake.received)
        out.line(Styled(t.gettext("By report class (whistleblowers' reports not included)"), f.bold))
        known = [c.value for c in ReportClass]
        for code in [*known, *(c for c in intake.by_class if c not in known)]:
            out.line(Styled(class_label(code, t), f.indent), intake.by_class.get(code, 0))
        out.line(Styled(t.gettext("By privacy"), f.bold))
        for code in [*PRIVACY_CODES, *(p for p in intake.by_privacy if p not in PRIVACY_CODES)]:
            out.line(Styled(labels.privacy(code), f.indent), intake.by_privacy.get(code, 0))
        out.skip()

        out.caption(t.gettext("Decisions in the period"))
        out.line(t.gettext("Verified and routed"), intake.verified)
        out.line(t.gettext("Rejected"), intake.rejected_total)
        for code, count in intake.rejected.items():
            out.line(Styled(labels.reason(code), f.indent), count)
        out.line(t.gettext("Duplicates"), intake.duplicates)
        out.line(t.gettext("Returned as not the agency's authority"), intake.returned)
        out.line(t.gettext("Re-routed"), intake.rerouted)
        out.line(t.gettext("Reopened"), intake.reopened)
        out.skip()

        columns = [t.gettext("Cases"), t.gettext("Median"), t.gettext("p90"), t.gettext("Within deadline")]
        if regency is not None:
            columns += [t.gettext("Whole regency: median"), t.gettext("Whole regency: within deadline")]
        out.caption(t.gettext("Speed (working days, pauses excluded)"), *columns)
        speed, other = figures.speed, regency.speed if regency is not None else None
        self._duration(out, t.gettext("Verification (filing to the first decision)"), speed.verification,
                       other.verification if other else None)  # fmt: skip
        self._duration(out, t.gettext("The agency's first response (routing to the answer)"), speed.first_response,
                       other.first_response if other else None)  # fmt: skip
        self._duration(out, t.gettext("Closing (filing to closed)"), speed.close, other.close if other else None)
        out.skip()

        out.caption(t.gettext("Open cases now"))
        out.line(t.gettext("Overdue now (whistleblowers' reports included)"), speed.overdue_count)
        out.line(Styled(t.gettext("Open cases by age (working days since filing)"), f.bold))
        for age, _, _ in AGE_BUCKETS:
            out.line(Styled(age, f.indent), speed.ageing_count.get(age, 0))
        out.skip()

        sat = figures.satisfaction
        out.caption(t.gettext("Satisfaction"), *([] if regency is None else [None, t.gettext("Whole regency")]))
        theirs = regency.satisfaction if regency is not None else None
        out.line(t.gettext("Average rating (1–5)"), _decimal(sat.average, f),
                 _decimal(theirs.average, f) if theirs else None)  # fmt: skip
        out.line(t.gettext("Ratings given"), sat.rated, theirs.rated if theirs else None)
        out.line(t.gettext("Share of the answered reports that were rated"), _percent(sat.share_rated, f),
                 _percent(theirs.share_rated, f) if theirs else None)  # fmt: skip
        out.skip()

        trend = figures.trend
        unit = t.gettext("Week") if trend.unit == "week" else t.gettext("Month")
        out.caption(t.gettext("Trend"))
        out.header(unit, t.gettext("Received"), t.gettext("Closed"), t.gettext("Open at the end"))
        for bucket in trend.buckets:
            out.line(bucket.label, bucket.received, bucket.closed, bucket.backlog)
        out.skip()

        out.caption(t.gettext("Spikes (a topic in a kecamatan at least twice its recent average)"))
        out.header(t.gettext("Topic"), unit, t.gettext("Kecamatan"), t.gettext("Cases"), t.gettext("Average before"))
        for spike in trend.spikes:
            out.line(labels.topic(spike.topic), spike.bucket, spike.kecamatan, spike.count, _decimal(spike.baseline, f))
        if not trend.spikes:
            out.line(t.gettext("None"))

    def _duration(self, out: _Rows, label: str, mine: Duration, regency: Duration | None) -> None:
        f = self.formats
        cells: list[Cell] = [label, mine.n, _decimal(mine.median, f), mine.p90, _percent(mine.share_within, f)]
        if regency is not None:
            cells += [_decimal(regency.median, f), _percent(regency.share_within, f)]
        out.line(*cells)

    def _scorecard(self, out: _Rows, figures: Figures) -> None:
        t, f = self.labels.texts, self.formats
        for col, width in enumerate(OPD_WIDTHS):
            out.sheet.set_column(col, col, width)
        out.sheet.freeze_panes(1, 0)
        out.header(
            t.gettext("Rank"), t.gettext("Code"), t.gettext("Name"), t.gettext("Cases"), t.gettext("Routed"),
            t.gettext("Answered in the period"), t.gettext("On time"), t.gettext("Share on time"),
            t.gettext("Median response (working days)"), t.gettext("Returned as not the agency's authority"),
            t.gettext("Reopened"), t.gettext("Reopen rate"), t.gettext("Reminders"), t.gettext("Escalations"),
            t.gettext("Rated"), t.gettext("Average rating"), t.gettext("Overdue now"), f"n < {SMALL_SAMPLE}",
        )  # fmt: skip
        for score in figures.agencies:
            out.line(
                score.rank, score.code, self.labels.agencies.get(score.code, score.name), score.cases, score.routed,
                score.answered, score.on_time, _percent(score.share_on_time, f), _decimal(score.median_response, f),
                score.returned, score.reopened, _percent(score.reopen_rate, f), score.reminders, score.escalations,
                score.rated, _decimal(score.average_rating, f), score.overdue_now, self.labels.yes_no(score.small),
            )  # fmt: skip
        out.sheet.autofilter(0, 0, max(out.row - 1, 0), len(OPD_WIDTHS) - 1)

    def _grid(self, out: _Rows, figures: Figures) -> None:
        t, grid = self.labels.texts, figures.grid
        out.sheet.set_column(0, 0, 36)
        out.sheet.set_column(1, len(grid.kecamatan) + 1, 12)
        out.sheet.freeze_panes(1, 1)
        total = t.gettext("Total")
        out.header(t.gettext("Topic"), *grid.kecamatan, total)
        for topic in grid.topics:
            counts = [grid.cells.get((topic, place), 0) for place in grid.kecamatan]
            out.line(self.labels.topic(topic), *counts, sum(counts))
        columns = [sum(grid.cells.get((topic, place), 0) for topic in grid.topics) for place in grid.kecamatan]
        out.line(Styled(total, self.formats.bold), *columns, sum(columns))

    def _maladministration(self, out: _Rows, figures: Figures) -> None:
        t, labels, mal = self.labels.texts, self.labels, figures.maladministration
        out.sheet.set_column(0, 0, 45)
        out.sheet.set_column(1, max(len(mal.by_agency), len(mal.by_month)) + 1, 14)
        form = t.gettext("Form of maladministration")
        out.caption(t.gettext("Maladministration by agency"))
        agencies = list(mal.by_agency)
        _table(out, form, [labels.agency(a) for a in agencies], agencies, mal.by_agency, mal.by_form, labels)
        out.skip()
        out.caption(t.gettext("Maladministration by month"))
        _table(out, form, list(mal.by_month), list(mal.by_month), mal.by_month, mal.by_form, labels)

    def _satisfaction(self, out: _Rows, figures: Figures) -> None:
        t, labels, f, sat = self.labels.texts, self.labels, self.formats, figures.satisfaction
        out.sheet.set_column(0, 0, 45)
        out.sheet.set_column(1, 2, 16)
        ratings, average = t.gettext("Ratings given"), t.gettext("Average rating")
        out.caption(t.gettext("Ratings (1 = very dissatisfied, 5 = very satisfied)"), ratings)
        for score, count in sorted(sat.distribution.items()):
            out.line(score, count)
        out.skip()
        out.caption(t.gettext("Average per agency"))
        out.header(t.gettext("Agency"), ratings, average)
        for code, (n, mean) in sat.by_agency.items():
            out.line(labels.agency(code), n, _decimal(mean, f))
        out.skip()
        out.caption(t.gettext("Average per topic"))
        out.header(t.gettext("Topic"), ratings, average)
        for code, (n, mean) in sat.by_topic.items():
            out.line(labels.topic(code), n, _decimal(mean, f))
        out.skip()
        out.caption(t.gettext("Low ratings (1 or 2)"))
        out.header(t.gettext("Ticket"), t.gettext("Agency"), t.gettext("Rating"))
        for low in sat.low:
            out.line(low.ticket, labels.agency(low.agency), low.rating)


def _table(out: _Rows, corner: str, titles: Sequence[str], keys: Sequence[str], counts: dict[str, dict[str, int]],
           forms: dict[str, int], labels: ReportLabels) -> None:
    """Forms of maladministration (rows) by `keys` (columns), with totals."""
    t, total = labels.texts, labels.texts.gettext("Total")
    if not forms:
        out.line(t.gettext("None"))
        return
    out.header(corner, *titles, total)
    for code in forms:
        row = [counts[key].get(code, 0) for key in keys]
        out.line(maladministration_label(code, t), *row, sum(row))
    columns = [sum(counts[key].values()) for key in keys]
    out.line(Styled(total, out.formats.bold), *columns, sum(columns))


def _percent(value: float | None, formats: _Formats) -> Styled | None:
    return None if value is None else Styled(value, formats.percent)


def _decimal(value: float | None, formats: _Formats) -> Styled | None:
    return None if value is None else Styled(value, formats.decimal)


def period_text(period: Period, t: Texts) -> str:
    if period.start == period.end:
        return t.date(period.start, "long")
    return f"{t.date(period.start, 'long')} – {t.date(period.end, 'long')}"


def scope_text(scope: Scope, labels: ReportLabels) -> str:
    t = labels.texts
    if scope.regency:
        return t.gettext("Whole regency")
    parts = []
    if scope.agency is not None:
        parts.append(t.gettext("Agency") + ": " + labels.agency(scope.agency))
    if scope.kecamatan is not None:
        parts.append(t.gettext("Kecamatan") + ": " + scope.kecamatan)
    if scope.topic is not None:
        parts.append(t.gettext("Topic") + ": " + labels.topic_path(scope.topic))
    return "; ".join(parts)
