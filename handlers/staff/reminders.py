"""The scheduler's messages: reminders and escalations, the officers' daily digest, the admins'
weekly summary, and auto-closing answered cases. Each job returns the actions to send; the rows
it claims (storage.reminders.claim) make a second run of the same day send nothing.

One message per recipient per run, listing every case that concerns them, rather than one per case.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from cases.model import Status
from cases.reminders import ADMINS, CITIZEN, HEAD, Due, Kind, due_for, may_remind, window
from cases.workflow import Actor, CaseError
from handlers.casework import keyboards
from handlers.casework.acting import perform
from handlers.casework.actors import allowed, as_citizen
from handlers.casework.cards import due_text
from handlers.casework.facts import agency_names
from handlers.casework.recipients import admin_ids, in_languages, officer_ids, push_target
from handlers.core.actions import Action, Button, InlineKeyboard, Send
from handlers.core.context import Context
from handlers.core.i18n import Texts
from handlers.core.text import esc
from storage import cases, roles
from storage import reminders as store
from storage.models import Complaint

MAX_LISTED = 20  # cases named in one message; the rest are counted (and are in /tugas or /antrian)


# -- reminders and escalations ----------------------------------------------------------------------


async def sweep(ctx: Context) -> list[Action]:
    """Everything due now, claimed and grouped per recipient; auto-closes what waited long enough."""
    rules = ctx.config.reminder_rules
    if not may_remind(ctx.now, ctx.calendar, rules):
        return []
    session = ctx.repo.session
    actions: list[Action] = []
    admins = await admin_ids(ctx)
    people = _People(ctx, admins)
    wanted: list[tuple[Due, Complaint, list[int]]] = []
    for complaint in await store.due_candidates(session, window(ctx.now, ctx.policy, rules)):
        for due in due_for(complaint.id, cases.case_view(complaint), ctx.now, ctx.policy, rules):
            if due.kind == Kind.AUTO_CLOSE:
                actions += await _auto_close(ctx, complaint, due)
                continue
            recipients = await people.for_due(due, complaint)
            if recipients:  # claimed only when someone is told (a head appointed later is reminded then)
                wanted.append((due, complaint, recipients))
    claimed = await store.claim_many(session, [
        store.Claim(due.key, due.kind.value, due.day, complaint.id, due.tier, len(recipients)) for due, complaint, recipients in wanted
    ], ctx.now)  # fmt: skip
    inbox: dict[int, dict[int, tuple[Due, Complaint]]] = defaultdict(dict)  # recipient -> case -> highest tier
    for due, complaint, recipients in wanted:
        if due.key not in claimed:
            continue  # another sweep sent it
        for recipient in recipients:
            held = inbox[recipient].get(complaint.id)
            if held is None or held[0].tier < due.tier:
                inbox[recipient][complaint.id] = (due, complaint)
    names = await agency_names(ctx)
    for recipient, t in await in_languages(ctx, list(inbox)):
        items = inbox[recipient]
        actions += _reminder_message(ctx, recipient, list(items.values()), t, names, recipient in admins)
    return actions


class _People:
    """Who is told of a due reminder; each agency's officers and head looked up once a sweep."""

    def __init__(self, ctx: Context, admins: list[int]) -> None:
        self.ctx = ctx
        self.admins = admins
        self.officers: dict[str, list[int]] = {}
        self.heads: dict[str, list[int]] = {}

    async def for_due(self, due: Due, complaint: Complaint) -> list[int]:
        ctx = self.ctx
        if due.tier == ADMINS:
            return self.admins
        if due.tier == CITIZEN:
            if complaint.reporter_erased_at is not None:  # erased: nobody to remind
                return []
            if complaint.citizen_id is None:
                target = await push_target(ctx, complaint)
                return [target[0]] if target is not None else []
            return [complaint.citizen_id]
        code = complaint.agency_code
        if code is None:
            return []
        if due.tier == HEAD:
            if code not in self.heads:
                head = await roles.head_of(ctx.repo.session, code)
                self.heads[code] = [head.telegram_id] if head is not None else []
            return self.heads[code]
        if code not in self.officers:
            self.officers[code] = await officer_ids(ctx, code)
        return self.officers[code]


async def _auto_close(ctx: Context, complaint: Complaint, due: Due) -> list[Action]:
    if not await store.claim(ctx.repo.session, due.key, due.kind.value, due.day, ctx.now, complaint_id=complaint.id, tier=due.tier):
        return []
    locked = await ctx.repo.complaint_by_id(complaint.id, lock=True)
    if locked is None:
        return []
    try:
        _, notices = await perform(ctx, locked, Actor.system(), "auto_close", {})
    except CaseError:
        return []  # the citizen acted in the meantime
    return notices


def _line(due: Due, complaint: Complaint, t: Texts, ctx: Context) -> str:
    today = ctx.calendar.local_date(ctx.now)
    head = f"<code>{complaint.ticket}</code> — {esc(complaint.title[:50])}"
    if due.kind == Kind.BEFORE and complaint.response_due:
        what = t.gettext("answer due tomorrow, {date}").format(date=due_text(complaint.response_due, today, t))
    elif due.kind == Kind.DUE:
        what = t.gettext("answer due <b>today</b>")
    elif due.kind == Kind.OVERDUE:
        what = t.ngettext("⚠️ answer <b>overdue by {n} working day</b>", "⚠️ answer <b>overdue by {n} working days</b>", due.days).format(n=due.days)
    elif due.kind == Kind.VERIFY_DUE:
        what = t.gettext("verification due <b>today</b>")
    elif complaint.status == Status.RETURNED:
        what = t.gettext("returned by the agency: to route again")
    else:
        what = t.ngettext("⚠️ verification <b>overdue by {n} working day</b>", "⚠️ verification <b>overdue by {n} working days</b>", due.days).format(n=due.days)
    return f"• {head}\n   {what}"


def _reminder_message(ctx: Context, recipient: int, items: list[tuple[Due, Complaint]], t: Texts,
                      names: dict[str, str], is_admin: bool) -> list[Action]:
    citizen = [(d, c) for d, c in items if d.tier == CITIZEN]
    staff = [(d, c) for d, c in items if d.tier != CITIZEN]
    actions: list[Action] = [_closing_soon(ctx, recipient, c, d, t) for d, c in citizen]
    if not staff:
        return actions
    staff.sort(key=lambda item: (-item[0].days, item[1].id))
    lines = [t.ngettext("⏰ <b>Reminder</b>: {n} case needs action.", "⏰ <b>Reminder</b>: {n} cases need action.", len(staff)).format(n=len(staff))]
    escalated = [(d, c) for d, c in staff if d.tier in (HEAD, ADMINS) and d.kind == Kind.OVERDUE]
    if escalated:
        lines.append(t.gettext("Escalated to you because the agency is late:") if any(d.tier == HEAD for d, _ in escalated)
                     else t.gettext("Escalated to Diskominfo: agencies late with their answer."))  # fmt: skip
    by_agency: dict[str, list[str]] = defaultdict(list)
    for due, complaint in staff[:MAX_LISTED]:
        group = names.get(complaint.agency_code or "", "") if due.tier == ADMINS and due.kind == Kind.OVERDUE else ""
        by_agency[group].append(_line(due, complaint, t, ctx))
    for group, group_lines in by_agency.items():
        if group:
            lines.append(f"\n<b>{esc(group)}</b> ({len(group_lines)})")
        lines += group_lines
    if len(staff) > MAX_LISTED:
        lines.append(t.gettext("… and {n} more.").format(n=len(staff) - MAX_LISTED))
    audience = "a" if is_admin and any(d.tier == ADMINS for d, _ in staff) else "o"
    buttons = tuple((Button(f"{c.ticket}", keyboards.data(audience, "open", c.id)),) for _, c in staff[:8])
    actions.append(Send(recipient, "\n".join(lines), InlineKeyboard(buttons)))
    return actions


def _closing_soon(ctx: Context, recipient: int, complaint: Complaint, due: Due, t: Texts) -> Action:
    html = t.ngettext(
        "ℹ️ Your report {ticket} has an answer and will be closed in {n} working day if you do not reply.",
        "ℹ️ Your report {ticket} has an answer and will be closed in {n} working days if you do not reply.",
        due.days,
    ).format(ticket=complaint.ticket, n=due.days) + "\n" + t.gettext("Satisfied? Rate the answer. Not yet? Reply or reopen the report.")
    keyboard = keyboards.citizen_keyboard(complaint, allowed(ctx, complaint, as_citizen(recipient)), t)
    return Send(recipient, html, keyboard)


# -- the officers' morning digest ---------------------------------------------------------------------


async def digest(ctx: Context) -> list[Action]:
    """One message per officer with their agency's open cases and deadlines (working days)."""
    if not may_remind(ctx.now, ctx.calendar, ctx.config.reminder_rules):
        return []
    session = ctx.repo.session
    today = ctx.calendar.local_date(ctx.now)
    actions: list[Action] = []
    for agency in await ctx.repo.active_agencies():
        officers = await officer_ids(ctx, agency.code)
        if not officers:
            continue
        open_cases, total = await cases.agency_queue(session, agency.code, MAX_LISTED)
        if total == 0 or not await store.claim(session, f"digest:{agency.code}:{today.isoformat()}", "digest", today, ctx.now, recipients=len(officers)):
            continue
        for officer, t in await in_languages(ctx, officers):
            lines = [t.gettext("📋 <b>Good morning — {agency}</b>: {n} open case(s).").format(agency=esc(agency.name), n=total)]
            for c in open_cases:
                state = due_text(c.response_due, today, t) if c.status == Status.VERIFIED and c.response_due else esc(t.gettext("waiting for the reporter"))
                lines.append(f"• <code>{c.ticket}</code> — {esc(c.title[:50])}\n   {state}")
            if total > len(open_cases):
                lines.append(t.gettext("… and {n} more.").format(n=total - len(open_cases)))
            lines.append(t.gettext("All of them: /tugas"))
            buttons = tuple((Button(c.ticket, keyboards.data("o", "open", c.id)),) for c in open_cases[:8] if c.status == Status.VERIFIED)
            actions.append(Send(officer, "\n".join(lines), InlineKeyboard(buttons) if buttons else None))
    return actions


# -- the admins' weekly summary ------------------------------------------------------------------------


async def weekly(ctx: Context) -> list[Action]:
    """On the week's first working morning: new, overdue, answered and closed per agency, last week."""
    if not ctx.config.weekly_summary or not may_remind(ctx.now, ctx.calendar, ctx.config.reminder_rules):
        return []
    today = ctx.calendar.local_date(ctx.now)
    year, week, _ = today.isocalendar()
    if not await store.claim(ctx.repo.session, f"weekly:{year}-W{week:02d}", "weekly", today, ctx.now):
        return []
    monday = today - timedelta(days=today.weekday())
    until = datetime.combine(monday, time(0), ctx.calendar.tz)
    since = until - timedelta(days=7)
    figures = await store.week_figures(ctx.repo.session, since, until, today)
    names = await agency_names(ctx)
    actions: list[Action] = []
    for admin, t in await in_languages(ctx, await admin_ids(ctx)):
        period = f"{t.date(since.date(), 'medium')} – {t.date((until - timedelta(days=1)).date(), 'medium')}"
        lines = [t.gettext("📊 <b>Weekly summary</b>, {period}").format(period=esc(period))]
        if not figures:
            lines.append(t.gettext("No activity."))
        header = t.gettext("new · overdue · answered · closed")
        lines.append(f"<i>{esc(header)}</i>")
        for code, row in sorted(figures.items(), key=lambda item: (-item[1]["overdue"], names.get(item[0], item[0]))):
            name = names.get(code, code) if code else t.gettext("Not yet routed")
            lines.append(f"<b>{esc(name)}</b>: {row['new']} · {row['overdue']} · {row['answered']} · {row['closed']}")
        actions.append(Send(admin, "\n".join(lines)))
    return actions

