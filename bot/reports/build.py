"""A report file for a period and, optionally, one agency: the figures (regency-wide, and the
agency's beside them) and one Data row per case filed in the period. Used by the dispatcher when
it sends a monthly report and by `aduan report`.

The Data rows are streamed from the database into the writer in chunks, so the memory a report
takes does not grow with the number of cases.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from cases.figures import DataRow, Figures, Period, Scope, WorkdayIndex, data_row, spans_of
from cases.workflow import Policy
from handlers.core.i18n import texts
from handlers.core.topics import TopicTree
from handlers.staff.figures_view import period_label, scope_name
from storage import days_off, statistics
from storage.db import Database


@dataclass(frozen=True)
class ReportRequest:
    period: Period
    agency: str | None
    language: str
    as_of: datetime


async def _figures(db: Database, request: ReportRequest, policy: Policy) -> tuple[Figures, Figures | None, dict[str, str]]:
    regency = await statistics.figures(db.read, request.period, Scope(), policy, request.as_of)
    async with db.read() as session:
        names = {a.code: a.name for a in await statistics.agencies(session)}
    if request.agency is None:
        return regency, None, names
    agency = await statistics.figures(db.read, request.period, Scope(agency=request.agency), policy, request.as_of)
    return agency, regency, names


async def _rows(db: Database, request: ReportRequest, policy: Policy) -> AsyncIterator[DataRow]:
    local, tz = policy.calendar.local_date, policy.calendar.tz
    today = local(request.as_of)
    async with db.read() as session:
        pauses = spans_of(await statistics.pauses_of_received(session, request.period, tz, request.agency), local, today)
        index = WorkdayIndex(policy.calendar, request.period.start, max(today, request.period.end))
        async for case, title in statistics.received(session, request.period, tz, request.agency):
            yield data_row(case, title, policy, index, pauses.get(case.id, {}))


async def load_policy(db: Database, policy: Policy) -> Policy:
    """The policy with the declared days off of the database (as the deadlines count them)."""
    from dataclasses import replace

    async with db.read() as session:
        calendar = await days_off.load_calendar(session, policy.calendar.tz)
    return replace(policy, calendar=calendar)


def heading(figures: Figures, request: ReportRequest, agencies: dict[str, str], topics: TopicTree) -> str:
    t = texts(request.language)
    return t.gettext("Kanal Aduan report, {period}, {scope}").format(
        period=period_label(request.period, t), scope=scope_name(figures, t, agencies, topics))


async def write_xlsx(db: Database, request: ReportRequest, policy: Policy, topics: TopicTree, target: io.BytesIO | str) -> int:
    """The workbook into `target` (a path or a buffer); returns the Data rows written."""
    from bot.reports.workbook import ReportLabels, XlsxReport

    policy = await load_policy(db, policy)
    figures, regency, agencies = await _figures(db, request, policy)
    report = XlsxReport(target, ReportLabels(texts(request.language), topics, agencies),
                        heading=heading(figures, request, agencies, topics))  # fmt: skip
    report.write_figures(figures, regency)
    written = 0
    batch: list[DataRow] = []
    async for row in _rows(db, request, policy):
        batch.append(row)
        if len(batch) >= 1000:
            written = report.add_rows(batch)
            batch = []
    written = report.add_rows(batch) if batch else written
    report.close()
    return written


async def write_csv(db: Database, request: ReportRequest, policy: Policy, topics: TopicTree, target: TextIO) -> int:
    from bot.reports.csvfile import write_csv as write
    from bot.reports.workbook import ReportLabels

    policy = await load_policy(db, policy)
    async with db.read() as session:
        agencies = {a.code: a.name for a in await statistics.agencies(session)}
    labels = ReportLabels(texts(request.language), topics, agencies)
    written = 0
    batch: list[DataRow] = []
    async for row in _rows(db, request, policy):
        batch.append(row)
        if len(batch) >= 1000:
            written += write(target, batch, labels, header=written == 0)
            batch = []
    if batch or written == 0:
        written += write(target, batch, labels, header=written == 0)
    return written
