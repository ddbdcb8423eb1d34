"""/statistik: a period's figures for the people who handle cases.

Diskominfo admins see the regency: the summary, the charts (received and closed, the agencies'
share on time, topic × kecamatan, maladministration), and buttons into one agency and into the
low ratings. An agency's officers and head see their own agency beside the regency, never another
agency's figures: the agency comes from their role on every press, never from the button.

Periods: this month, last month, the last 30 days, this year, or two dates typed `dd-mm-yyyy
dd-mm-yyyy` (after /statistik, or as a message on its own). Buttons carry the dates themselves, so
a button pressed tomorrow still shows the period it named.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from cases.figures import Figures, Period, Scope
from cases.workflow import Actor
from handlers.casework.acting import invalid_button
from handlers.casework.actors import as_admin, as_officer
from handlers.casework.keyboards import PAGE_SIZE, Press, data, page_of, pager
from handlers.core.actions import (
    Action,
    AnswerCallback,
    Button,
    InlineKeyboard,
    Send,
    SendRendered,
    ack,
)
from handlers.core.context import Context
from handlers.core.events import Event
from handlers.core.i18n import N_
from handlers.core.text import esc, shorten
from handlers.staff import figures_view as view
from storage import statistics

# Button data `a:sg::<period>/<page>`, `a:sa::<period>/<agency>`: never "|", which marks a form's button.
VERBS = ("st", "sa", "sg", "sl", "stp")  # a period's figures, one agency's, the agency list, the low ratings, the picker
MAX_DAYS = 2 * 366
LISTED = 8  # case buttons under a message
_TYPED = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*(?:-|–|s/?d|sampai|to)?\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$", re.IGNORECASE)


# -- periods --------------------------------------------------------------------------------------


def presets(today: date) -> list[tuple[str, Period]]:
    """The picker's periods (message ids, translated when shown)."""
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    return [
        (N_("This month"), Period(first, today)),
        (N_("Last month"), Period(last_month_end.replace(day=1), last_month_end)),
        (N_("Last 30 days"), Period(today - timedelta(days=29), today)),
        (N_("This year"), Period(today.replace(month=1, day=1), today)),
    ]


def encode(period: Period) -> str:
    return f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"


def decode(text: str) -> Period | None:
    match = re.fullmatch(r"(\d{8})-(\d{8})", text)
    if not match:
        return None
    try:
        start, end = (date(int(v[:4]), int(v[4:6]), int(v[6:])) for v in match.groups())
        return Period(start, end)
    except ValueError:
        return None


def typed(text: str) -> Period | None:
    """Two dates as a person types them, e.g. "01-11-2026 30-11-2026"; None if it is not that."""
    match = _TYPED.match(text or "")
    if not match:
        return None
    d1, m1, y1, d2, m2, y2 = (int(g) for g in match.groups())
    try:
        start, end = date(y1, m1, d1), date(y2, m2, d2)
    except ValueError:
        return None
    return Period(min(start, end), max(start, end))


def looks_like_dates(text: str | None) -> bool:
    return bool(text) and _TYPED.match(text or "") is not None


# -- who asks -------------------------------------------------------------------------------------


async def _viewer(ctx: Context, user_id: int) -> tuple[Actor | None, Actor | None]:
    return await as_admin(ctx, user_id), await as_officer(ctx, user_id)


def _audience(admin: Actor | None) -> str:
    return "a" if admin is not None else "o"


# -- the command and the typed dates -----------------------------------------------------------------


async def command(event: Event, ctx: Context) -> list[Action] | None:
    """/statistik [dd-mm-yyyy dd-mm-yyyy]; None for someone without a staff role."""
    admin, officer = await _viewer(ctx, event.user_id)
    if admin is None and officer is None:
        return None
    if event.args.strip():
        period = typed(event.args)
        if period is None:
            return [Send(event.chat_id, ctx.texts.gettext("Please write the period as two dates, for example: /statistik 01-11-2026 30-11-2026"))]
        return await _show(event, ctx, admin, officer, period)
    return [_picker(event, ctx, _audience(admin))]


async def typed_period(event: Event, ctx: Context) -> list[Action] | None:
    """Two dates sent as a message by someone with a staff role: that period's figures."""
    period = typed(event.text or "")
    if period is None:
        return None
    admin, officer = await _viewer(ctx, event.user_id)
    if admin is None and officer is None:
        return None
    return await _show(event, ctx, admin, officer, period)


def _picker(event: Event, ctx: Context, audience: str) -> Send:
    t = ctx.texts
    today = ctx.calendar.local_date(ctx.now)
    buttons = [Button(t.gettext(label), data(audience, "st", None, encode(period))) for label, period in presets(today)]
    keyboard = InlineKeyboard((tuple(buttons[:2]), tuple(buttons[2:])))
    html = t.gettext("📊 <b>Figures</b>: which period? Or type two dates, e.g. <code>01-11-2026 30-11-2026</code>.")
    return Send(event.chat_id, html, keyboard)


# -- the buttons ----------------------------------------------------------------------------------


async def on_press(event: Event, ctx: Context, press: Press) -> list[Action]:
    """The statistics' buttons, for admins (`a:`) and officers (`o:`); the role is checked now."""
    t = ctx.texts
    admin, officer = await _viewer(ctx, event.user_id)
    if (press.audience == "a" and admin is None) or (press.audience == "o" and officer is None):
        return invalid_button(event, t)
    if press.verb == "stp":
        return [*ack(event), _picker(event, ctx, press.audience)]
    period_text, _, rest = press.argument.partition("/")
    period = decode(period_text)
    if period is None:
        return invalid_button(event, t)
    if press.verb == "st":
        return [AnswerCallback(event.chat_id, event.callback_id or ""),
                *await _show(event, ctx, admin if press.audience == "a" else None, officer, period)]  # fmt: skip
    if press.audience != "a" or admin is None:
        return invalid_button(event, t)  # drilling into agencies is the admins' view
    if press.verb == "sg":
        return [AnswerCallback(event.chat_id, event.callback_id or ""), *await _agency_list(event, ctx, period, page_of(rest))]
    if press.verb == "sa":
        return [AnswerCallback(event.chat_id, event.callback_id or ""), *await _agency(event, ctx, period, rest)]
    if press.verb == "sl":
        return [AnswerCallback(event.chat_id, event.callback_id or ""), *await _low_ratings(event, ctx, period)]
    return invalid_button(event, t)


# -- the screens ----------------------------------------------------------------------------------


def _too_long(period: Period, ctx: Context) -> str | None:
    t = ctx.texts
    if period.days > MAX_DAYS:
        return t.gettext("That period is too long: at most two years at a time.")
    if period.start > ctx.calendar.local_date(ctx.now):
        return t.gettext("That period has not begun yet.")
    return None


async def figures_of(ctx: Context, period: Period, scope: Scope) -> tuple[Figures, Figures]:
    """The scope's figures and the regency's."""
    regency = await statistics.figures(ctx.read_sessions, period, Scope(), ctx.policy, ctx.now)
    if scope.regency:
        return regency, regency
    return await statistics.figures(ctx.read_sessions, period, scope, ctx.policy, ctx.now), regency


async def _show(event: Event, ctx: Context, admin: Actor | None, officer: Actor | None, period: Period) -> list[Action]:
    t = ctx.texts
    problem = _too_long(period, ctx)
    if problem:
        return [Send(event.chat_id, problem)]
    names = {a.code: a.name for a in await ctx.repo.all_agencies()}
    topics = ctx.config.topics
    if admin is not None:
        figures, _ = await figures_of(ctx, period, Scope())
        html = view.summary_html(figures, t, names, topics, ctx.calendar.tz)
        code = encode(period)
        keyboard = InlineKeyboard((
            (Button(t.gettext("🏢 Per agency"), data("a", "sg", None, f"{code}/0")),
             Button(t.gettext("⭐ Low ratings"), data("a", "sl", None, code))),
            (Button(t.gettext("📅 Another period"), "a:stp"),),
        ))  # fmt: skip
        actions: list[Action] = [Send(event.chat_id, html, keyboard)]
        actions += [SendRendered(event.chat_id, "photo", {"chart": spec}) for spec in view.charts(figures, t, topics, agencies=True)]
        return actions
    assert officer is not None and officer.agency_code is not None
    figures, regency = await figures_of(ctx, period, Scope(agency=officer.agency_code))
    html = view.summary_html(figures, t, names, topics, ctx.calendar.tz, regency=regency)
    score = next((a for a in figures.agencies if a.code == officer.agency_code), None)
    html += "\n\n" + view.agency_html(score, officer.agency_code, names.get(officer.agency_code, officer.agency_code), figures, t, regency)
    overdue = [o for o in figures.speed.overdue if o.agency == officer.agency_code][:LISTED]
    rows: list[tuple[Button, ...]] = [(Button(f"⚠️ {o.ticket}", data("o", "open", o.id)),) for o in overdue]
    rows.append((Button(t.gettext("📅 Another period"), "o:stp"),))
    actions = [Send(event.chat_id, html, InlineKeyboard(tuple(rows)))]
    actions += [SendRendered(event.chat_id, "photo", {"chart": spec}) for spec in view.charts(figures, t, topics, agencies=False)]
    return actions


async def _agency_list(event: Event, ctx: Context, period: Period, page: int) -> list[Action]:
    t = ctx.texts
    figures, _ = await figures_of(ctx, period, Scope())
    scores = [a for a in figures.agencies if a.cases or a.overdue_now]
    code = encode(period)
    shown = scores[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    rows = [(Button(f"{'#' + str(a.rank) + ' ' if a.rank else ''}{shorten(a.name, 40)}", data("a", "sa", None, f"{code}/{a.code}")),) for a in shown]
    nav = pager("a", "sg", page, len(scores), t)
    if nav:  # the pager's buttons carry only the page: put the period back in
        nav = tuple(Button(b.text, data("a", "sg", None, f"{code}/{b.data.rsplit(':', 1)[1]}")) for b in nav)
    html = t.gettext("🏢 <b>Agencies</b> with cases in {period} ({n}), best share on time first:").format(
        period=esc(view.period_label(period, t)), n=len(scores))
    if not scores:
        html = t.gettext("No agency had cases in {period}.").format(period=esc(view.period_label(period, t)))
    return [Send(event.chat_id, html, InlineKeyboard(tuple(rows) + ((nav,) if nav else ())))]


async def _agency(event: Event, ctx: Context, period: Period, code: str) -> list[Action]:
    t = ctx.texts
    agency = await ctx.repo.agency(code)
    if agency is None:
        return invalid_button(event, t)
    figures, regency = await figures_of(ctx, period, Scope(agency=code))
    score = next((a for a in figures.agencies if a.code == code), None)
    html = view.agency_html(score, code, agency.name, figures, t, regency)
    overdue = [o for o in figures.speed.overdue if o.agency == code][:LISTED]
    if overdue:
        html += "\n\n" + t.gettext("Overdue now:")
    rows = tuple((Button(f"⚠️ {o.ticket} ({t.ngettext('{n} day late', '{n} days late', o.late).format(n=o.late)})", data("a", "open", o.id)),) for o in overdue)
    actions: list[Action] = [Send(event.chat_id, html, InlineKeyboard(rows) if rows else None)]
    spec = view.trend_chart(figures, t)
    if spec is not None:
        actions.append(SendRendered(event.chat_id, "photo", {"chart": spec}))
    return actions


async def _low_ratings(event: Event, ctx: Context, period: Period) -> list[Action]:
    t = ctx.texts
    figures, _ = await figures_of(ctx, period, Scope())
    low = figures.satisfaction.low
    names = {a.code: a.name for a in await ctx.repo.all_agencies()}
    if not low:
        return [Send(event.chat_id, t.gettext("No rating of 1 or 2 in {period}.").format(period=esc(view.period_label(period, t))))]
    html = t.gettext("⭐ <b>Low ratings</b> in {period} ({n}):").format(period=esc(view.period_label(period, t)), n=len(low))
    lines = [html] + [f"{'⭐' * r.rating} <code>{r.ticket}</code> — {esc(names.get(r.agency or '', r.agency or '—'))}" for r in low[:20]]
    rows = tuple((Button(f"{r.ticket} ({r.rating}/5)", data("a", "open", r.id)),) for r in low[:LISTED])
    return [Send(event.chat_id, "\n".join(lines), InlineKeyboard(rows))]
