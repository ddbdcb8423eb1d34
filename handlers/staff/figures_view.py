"""How the figures read (`cases.figures`): the summary message, an agency's scorecard, and the
charts as specs (plain data, drawn when sent by `bot.reports.charts`). Pure: no storage, no I/O.

Phones are small: at most ten bars or rows in a chart ("others" folded into the tenth), large
type, and no chart at all when there is nothing to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from cases.figures import AgencyScore, Duration, Figures, Period
from handlers.core.i18n import Texts
from handlers.core.labels import class_label, maladministration_label
from handlers.core.text import esc
from handlers.core.topics import TopicTree

MAX_BARS = 10
TOP_TOPICS = 5


def period_label(period: Period, t: Texts) -> str:
    if period.start == period.end:
        return t.date(period.start, "medium")
    return f"{t.date(period.start, 'medium')} – {t.date(period.end, 'medium')}"


def _share(value: float | None, t: Texts) -> str:
    return t.percent(value) if value is not None else "—"


def _days(value: float | None, t: Texts) -> str:
    return t.number(value) if value is not None else "—"


def _duration_line(name: str, d: Duration, t: Texts, regency: Duration | None = None, deadline: str | None = None) -> str:
    if not d.n:
        return f"{esc(name)}: —"
    line = t.gettext("{name}: median {median}, p90 {p90} — {share} within {deadline} (n={n})").format(
        name=esc(name), median=_days(d.median, t), p90=_days(d.p90, t), share=_share(d.share_within, t),
        deadline=esc(deadline or t.gettext("the deadline")), n=d.n)  # fmt: skip
    if regency is not None and regency.n:
        line += " " + t.gettext("[regency: median {median}, {share}]").format(median=_days(regency.median, t), share=_share(regency.share_within, t))
    return line


def _counts(items: dict[str, int], label, limit: int = TOP_TOPICS) -> str:  # type: ignore[no-untyped-def]
    return " · ".join(f"{esc(label(k))} {n}" for k, n in list(items.items())[:limit]) or "—"


def scope_name(figures: Figures, t: Texts, agencies: dict[str, str], topics: TopicTree) -> str:
    scope = figures.scope
    if scope.agency is not None:
        return agencies.get(scope.agency, scope.agency)
    if scope.kecamatan is not None:
        return t.gettext("Kecamatan {name}").format(name=scope.kecamatan)
    if scope.topic is not None:
        return topics.path_label(scope.topic, t.language)
    return t.gettext("Kutai Kartanegara regency")


def summary_html(figures: Figures, t: Texts, agencies: dict[str, str], topics: TopicTree, tz: Any,
                 regency: Figures | None = None) -> str:
    """The figures of a period in one message. `regency`: the whole regency's, shown beside an agency's."""
    i, s, q = figures.intake, figures.speed, figures.satisfaction
    as_of = figures.as_of.astimezone(tz)
    lines = [
        t.gettext("📊 <b>Kanal Aduan figures</b> — {scope}").format(scope=esc(scope_name(figures, t, agencies, topics))),
        f"<b>{esc(period_label(figures.period, t))}</b>",
        "<i>" + esc(t.gettext("as of {date} {time} WITA").format(date=t.date(as_of.date(), "medium"), time=as_of.strftime("%H:%M"))) + "</i>",
        "",
        t.gettext("<b>Received</b>: {n}").format(n=i.received) + (f" ({_counts(i.by_class, lambda c: class_label(c, t), 3)})" if i.by_class else ""),
    ]
    if i.anonymous:
        lines.append(t.ngettext("including {n} anonymous report", "including {n} anonymous reports", i.anonymous).format(n=i.anonymous))
    lines.append(t.gettext("Verified {verified} · rejected {rejected} · duplicates {duplicates} · returned by an agency {returned} · re-routed {rerouted} · reopened {reopened}").format(
        verified=i.verified, rejected=i.rejected_total, duplicates=i.duplicates, returned=i.returned, rerouted=i.rerouted, reopened=i.reopened))
    r = regency.speed if regency is not None else None
    lines += [
        "",
        t.gettext("<b>Speed</b> (working days)"),
        _duration_line(t.gettext("Verification"), s.verification, t, r.verification if r else None),
        _duration_line(t.gettext("Agency's first answer"), s.first_response, t, r.first_response if r else None),
        _duration_line(t.gettext("Until closed"), s.close, t, r.close if r else None, t.gettext("the national app's path")),
        t.gettext("Open and overdue now: <b>{n}</b>").format(n=s.overdue_count),
        t.gettext("Open by age: {buckets}").format(buckets=" · ".join(f"{k} {n}" for k, n in s.ageing_count.items())),
        "",
    ]
    if q.rated:
        line = t.gettext("<b>Satisfaction</b>: average {average} of 5 (n={n})").format(average=t.number(q.average or 0), n=q.rated)
        if regency is not None and regency.satisfaction.average is not None:
            line += " " + t.gettext("[regency: {average}]").format(average=t.number(regency.satisfaction.average))
        lines.append(line)
        low = q.distribution.get(1, 0) + q.distribution.get(2, 0)
        lines.append(t.gettext("{share} of answered reports rated · {low} low ratings (1–2)").format(share=_share(q.share_rated, t), low=low))
    else:
        lines.append(t.gettext("<b>Satisfaction</b>: no ratings in this period"))
    if i.by_parent_topic:
        lines.append(t.gettext("<b>Top topics</b>: {topics}").format(topics=_counts(i.by_parent_topic, lambda c: topics.path_label(c, t.language))))
    if i.by_kecamatan:
        lines.append(t.gettext("<b>Top kecamatan</b>: {places}").format(places=_counts(i.by_kecamatan, str)))
    for spike in figures.trend.spikes[-3:]:
        lines.append("📈 " + t.gettext("Spike: {topic} in {kecamatan}, {bucket}: {n} (usually {baseline})").format(
            topic=esc(topics.path_label(spike.topic, t.language)), kecamatan=esc(spike.kecamatan), bucket=esc(spike.bucket),
            n=spike.count, baseline=t.number(spike.baseline)))  # fmt: skip
    if figures.maladministration.total:
        top = _counts(figures.maladministration.by_form, lambda c: maladministration_label(c, t), 3)
        lines.append(t.gettext("<b>Maladministration</b>: {n} ({forms})").format(n=figures.maladministration.total, forms=top))
    return "\n".join(lines)


def agency_html(score: AgencyScore | None, code: str, name: str, figures: Figures, t: Texts, regency: Figures | None = None) -> str:
    """One agency's scorecard for the period, beside the regency's when given."""
    head = t.gettext("🏢 <b>{agency}</b> — {period}").format(agency=esc(name), period=esc(period_label(figures.period, t)))
    if score is None:
        return head + "\n" + t.gettext("No cases of this agency in the period.")
    lines = [
        head,
        t.gettext("Cases {cases} · routed {routed} · answered {answered} · returned {returned} · reopened {reopened}").format(
            cases=score.cases, routed=score.routed, answered=score.answered, returned=score.returned, reopened=score.reopened),
        t.gettext("On time: {share} ({on_time} of {answered}) · median {median} working days").format(
            share=_share(score.share_on_time, t), on_time=score.on_time, answered=score.answered, median=_days(score.median_response, t)),
        t.gettext("Reminders {reminders} · escalations {escalations} · overdue now {overdue}").format(
            reminders=score.reminders, escalations=score.escalations, overdue=score.overdue_now),
        t.gettext("Rating: {average} (n={n})").format(average=t.number(score.average_rating) if score.average_rating is not None else "—", n=score.rated),
    ]  # fmt: skip
    if score.small:
        lines.append("<i>" + esc(t.gettext("Fewer than 5 cases in the period: not ranked.")) + "</i>")
    elif score.rank is not None:
        lines.append(t.gettext("Rank {rank} of {total} by share answered on time.").format(rank=score.rank, total=sum(1 for a in figures.agencies if a.rank)))
    if regency is not None:
        r = regency.speed.first_response
        lines.append(t.gettext("Regency: {share} on time · median {median} working days").format(share=_share(r.share_within, t), median=_days(r.median, t)))
    return "\n".join(lines)


# -- charts ---------------------------------------------------------------------------------------


def _short(label: str, size: int = 40) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _fold(items: Sequence[tuple[str, int]], others: str) -> list[tuple[str, int]]:
    """At most ten, the rest added up as "others"."""
    if len(items) <= MAX_BARS:
        return list(items)
    head = list(items[: MAX_BARS - 1])
    return head + [(others, sum(n for _, n in items[MAX_BARS - 1:]))]


def trend_chart(figures: Figures, t: Texts) -> dict[str, Any] | None:
    buckets = figures.trend.buckets
    if not any(b.received or b.closed or b.backlog for b in buckets):
        return None
    return {"kind": "lines", "title": t.gettext("Received and closed"), "labels": [b.label for b in buckets],
            "series": [{"name": t.gettext("Received"), "values": [b.received for b in buckets]},
                       {"name": t.gettext("Closed"), "values": [b.closed for b in buckets]},
                       {"name": t.gettext("Still open"), "values": [b.backlog for b in buckets], "style": "area"}],
            "note": None}  # fmt: skip


def scorecard_chart(figures: Figures, t: Texts) -> dict[str, Any] | None:
    """% answered on time per agency, best first; small samples after them, grey and unranked."""
    answered = [a for a in figures.agencies if a.answered]
    ranked = [a for a in answered if a.rank is not None]
    small = [a for a in answered if a.rank is None]
    shown = (ranked + small)[:MAX_BARS]
    if not shown:
        return None
    items = [{"label": _short(a.name), "value": round(100 * (a.share_on_time or 0.0), 1),
              "text": f"{t.percent(a.share_on_time or 0.0)} (n={a.answered})", "muted": a.rank is None} for a in shown]  # fmt: skip
    note = t.gettext("Grey: fewer than 5 cases, not ranked.") if any(a.rank is None for a in shown) else None
    if len(answered) > len(shown):
        extra = t.gettext("{n} more agencies in the file.").format(n=len(answered) - len(shown))
        note = f"{note} {extra}" if note else extra
    return {"kind": "bars", "unit": "percent", "title": t.gettext("Answered on time, per agency"), "items": items, "note": note}


def grid_chart(figures: Figures, t: Texts, topics: TopicTree) -> dict[str, Any] | None:
    grid = figures.grid
    if not grid.cells:
        return None
    others = t.gettext("Others")
    rows = list(grid.topics[: MAX_BARS - 1]) + ([others] if len(grid.topics) >= MAX_BARS else [])
    columns = list(grid.kecamatan[: MAX_BARS - 1]) + ([others] if len(grid.kecamatan) >= MAX_BARS else [])

    def value(topic: str, place: str) -> int:
        topic_set = grid.topics[MAX_BARS - 1:] if topic == others else (topic,)
        place_set = grid.kecamatan[MAX_BARS - 1:] if place == others else (place,)
        return sum(grid.cells.get((a, b), 0) for a in topic_set for b in place_set)

    values = [[value(r, c) for c in columns] for r in rows]
    labels = [others if r == others else _short(topics.path_label(r, t.language), 28) for r in rows]
    return {"kind": "heat", "title": t.gettext("Topic × kecamatan"), "rows": labels, "columns": columns, "values": values, "note": None}


def maladministration_chart(figures: Figures, t: Texts) -> dict[str, Any] | None:
    forms = sorted(figures.maladministration.by_form.items(), key=lambda item: -item[1])
    if not forms:
        return None
    folded = _fold([(maladministration_label(code, t), n) for code, n in forms], t.gettext("Others"))
    items = [{"label": _short(label), "value": n, "text": str(n), "muted": False} for label, n in folded]
    return {"kind": "bars", "unit": "count", "title": t.gettext("Forms of maladministration"), "items": items, "note": None}


def charts(figures: Figures, t: Texts, topics: TopicTree, *, agencies: bool) -> list[dict[str, Any]]:
    """The charts worth sending, in order; `agencies`: the scorecard of all agencies (admins only)."""
    specs = [trend_chart(figures, t), scorecard_chart(figures, t) if agencies else None,
             grid_chart(figures, t, topics), maladministration_chart(figures, t)]  # fmt: skip
    return [spec for spec in specs if spec is not None]


def report_name(period: Period, agency: str | None) -> str:
    """The workbook's file name, e.g. kanal-aduan-2026-11-DINKES.xlsx."""
    if period.start.day == 1 and (period.end + timedelta(days=1)).day == 1 and period.start.month == period.end.month:
        span = period.start.strftime("%Y-%m")
    else:
        span = f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return f"kanal-aduan-{span}{'-' + agency if agency else ''}.xlsx"
