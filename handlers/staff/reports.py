"""The monthly report: on the first working morning of a month, each Diskominfo admin gets the
previous month's figures for the regency — the summary, the charts and the workbook (XLSX) as a
document — and each agency's head their agency's, beside the regency.

Each recipient gets it once per month: a reminder row keyed by month and recipient is claimed
first (`storage.reminders.claim`), so a second run, a late one or two processes at once send
nothing twice. A run on a later working day of the month sends what is still missing (the bot may
have been down on the first). Quiet hours and days off are respected like the reminders'.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cases.figures import Figures, Period, Scope
from cases.reminders import may_remind
from handlers.casework.recipients import admin_ids, in_languages
from handlers.core.actions import Action, Send, SendRendered
from handlers.core.context import Context
from handlers.core.text import esc
from handlers.staff import figures_view as view
from storage import reminders as store
from storage import roles, statistics


def previous_month(today: Any) -> Period:
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def report_spec(period: Period, agency: str | None, language: str, ctx: Context) -> dict[str, Any]:
    """What the delivery side needs to write the workbook when it sends it (bot.reports.render)."""
    return {"report": {"start": period.start.isoformat(), "end": period.end.isoformat(), "agency": agency,
                       "language": language, "as_of": ctx.now.isoformat()}}  # fmt: skip


async def monthly(ctx: Context) -> list[Action]:
    if not ctx.config.monthly_reports or not may_remind(ctx.now, ctx.calendar, ctx.config.reminder_rules):
        return []
    today = ctx.calendar.local_date(ctx.now)
    period = previous_month(today)
    month = period.start.strftime("%Y-%m")
    session = ctx.repo.session
    regency = await statistics.figures(ctx.read_sessions, period, Scope(), ctx.policy, ctx.now)
    names = {a.code: a.name for a in await ctx.repo.all_agencies()}
    topics = ctx.config.topics
    actions: list[Action] = []
    for admin, t in await in_languages(ctx, await admin_ids(ctx)):
        if not await store.claim(session, f"report:{month}:admin:{admin}", "report", today, ctx.now, recipients=1):
            continue
        head = t.gettext("🗓 <b>Monthly report</b>, {month}").format(month=esc(t.date(period.start, "LLLL yyyy")))
        actions.append(Send(admin, head + "\n\n" + view.summary_html(regency, t, names, topics, ctx.calendar.tz)))
        actions += [SendRendered(admin, "photo", {"chart": spec}) for spec in view.charts(regency, t, topics, agencies=True)]
        actions.append(_workbook(admin, period, None, t.language, ctx, t.gettext("The month's figures and every report as a spreadsheet.")))
    for agency in await ctx.repo.active_agencies():
        head_officer = await roles.head_of(session, agency.code)
        if head_officer is None:
            continue
        figures = await statistics.figures(ctx.read_sessions, period, Scope(agency=agency.code), ctx.policy, ctx.now)
        [(chat, t)] = await in_languages(ctx, [head_officer.telegram_id])
        if not await store.claim(session, f"report:{month}:head:{chat}:{agency.code}", "report", today, ctx.now, recipients=1):
            continue
        actions += _agency_report(chat, t, figures, regency, agency.code, names, period, ctx)
    return actions


def _agency_report(chat: int, t: Any, figures: Figures, regency: Figures, code: str, names: dict[str, str],
                   period: Period, ctx: Context) -> list[Action]:
    topics = ctx.config.topics
    head = t.gettext("🗓 <b>Monthly report</b>, {month}").format(month=esc(t.date(period.start, "LLLL yyyy")))
    score = next((a for a in figures.agencies if a.code == code), None)
    html = "\n\n".join([head, view.summary_html(figures, t, names, topics, ctx.calendar.tz, regency=regency),
                        view.agency_html(score, code, names.get(code, code), figures, t, regency)])  # fmt: skip
    actions: list[Action] = [Send(chat, html)]
    actions += [SendRendered(chat, "photo", {"chart": spec}) for spec in view.charts(figures, t, topics, agencies=False)]
    actions.append(_workbook(chat, period, code, t.language, ctx, t.gettext("Your agency's figures and reports as a spreadsheet.")))
    return actions


def _workbook(chat: int, period: Period, agency: str | None, language: str, ctx: Context, caption: str) -> SendRendered:
    return SendRendered(chat, "document", report_spec(period, agency, language, ctx), esc(caption))
