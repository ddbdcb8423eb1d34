"""Similar open reports for the admin's card of a new one (`cases.similar` decides): named with
their ticket, each with a button to open it and one to mark the new report as its duplicate.

A whistleblower's report is compared through its sealed text and place, opened here in memory; the
card names only its ticket and pseudonym, never what it says.
"""

from __future__ import annotations

from cases.similar import Candidate, similar
from handlers.casework import keyboards
from handlers.casework.cards import CardFacts
from handlers.core.actions import Button
from handlers.core.context import Context
from handlers.core.i18n import Texts
from handlers.core.text import esc, shorten
from storage import anon
from storage import cases as case_rows
from storage.models import Complaint


def _candidate(complaint: Complaint, sealed: dict[str, object] | None) -> Candidate:
    if complaint.anonymous:
        sealed = sealed or {}
        place = sealed.get("place")
        return Candidate(complaint.id, complaint.ticket, None, str(place) if place else None, None, None, str(sealed.get("what") or ""))
    return Candidate(complaint.id, complaint.ticket, complaint.topic, complaint.kecamatan, complaint.latitude,
                     complaint.longitude, f"{complaint.title}\n{complaint.description}")  # fmt: skip


async def _sealed(ctx: Context, complaint: Complaint) -> dict[str, object] | None:
    vault = ctx.config.vault
    report = await anon.report(ctx.repo.session, complaint.id) if vault is not None else None
    if vault is None or report is None:
        return None
    opened = vault.open_json(report.content, f"report:{complaint.id}")
    return opened if isinstance(opened, dict) else None


async def similar_to(ctx: Context, complaint: Complaint, facts: CardFacts) -> list[tuple[Complaint, float]]:
    new = _candidate(complaint, facts.sealed)
    if not new.text.strip() or (new.kecamatan is None and new.latitude is None):
        return []
    rows = await case_rows.similar_candidates(ctx.repo.session, complaint.id, new.kecamatan, new.latitude, new.longitude)
    candidates = {}
    for row in rows:
        candidates[row.id] = (row, _candidate(row, await _sealed(ctx, row) if row.anonymous else None))
    found = similar(new, (c for _, c in candidates.values()))
    return [(candidates[c.id][0], score) for c, score in found]


def similar_html(found: list[tuple[Complaint, float]], t: Texts) -> str:
    lines = ["🔁 <b>" + esc(t.gettext("Similar open reports")) + "</b>"]
    for other, score in found:
        what = t.gettext("Anonymous reporter {pseudonym}").format(pseudonym=other.pseudonym or "") if other.anonymous else shorten(other.title, 60)
        lines.append(f"• <code>{other.ticket}</code> — {esc(what)} ({round(score)}%)")
    return "\n".join(lines)


def similar_rows(complaint: Complaint, found: list[tuple[Complaint, float]], t: Texts) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (Button(f"🔎 {other.ticket}", keyboards.data("a", "open", other.id)),
         Button(t.gettext("🔁 Duplicate of {ticket}").format(ticket=other.ticket), keyboards.data("a", "dq", complaint.id, other.id)))
        for other, _ in found
    )  # fmt: skip
