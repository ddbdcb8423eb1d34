"""Callback data of the case screens, in one place, and the keyboards built from them.

Data is `<audience>:<verb>[:<case id>[:<argument>]]`, at most 64 bytes: `a` admin, `o` officer,
`w` citizen (warga), `p` the preview of a pending input. Buttons carry ids, never permissions: every
press is checked again against the case rules, so a forged or stale button does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from handlers.core.actions import Button, InlineKeyboard
from handlers.core.i18n import Texts
from storage.models import Complaint

PAGE_SIZE = 8


@dataclass(frozen=True)
class Press:
    """A parsed case button."""

    audience: str
    verb: str
    case_id: int | None = None
    argument: str = ""


def data(audience: str, verb: str, case_id: int | None = None, argument: str | int | None = None) -> str:
    parts = [audience, verb]
    if case_id is not None or argument is not None:
        parts.append("" if case_id is None else str(case_id))
    if argument is not None:
        parts.append(str(argument))
    value = ":".join(parts)
    if len(value.encode()) > 64:
        raise ValueError(f"callback data too long: {value!r}")
    return value


def parse(raw: str) -> Press | None:
    """None for anything that is not a well-formed case button (forged data included)."""
    parts = raw.split(":", 3)
    if len(parts) < 2 or parts[0] not in ("a", "o", "w", "p") or not parts[1].isalpha():
        return None
    case_id = None
    if len(parts) >= 3 and parts[2]:
        if not (parts[2].isascii() and parts[2].isdigit() and len(parts[2]) <= 18):
            return None
        case_id = int(parts[2])
    return Press(parts[0], parts[1], case_id, parts[3] if len(parts) == 4 else "")


def rows(buttons: Iterable[Button], per_row: int = 2) -> tuple[tuple[Button, ...], ...]:
    items = list(buttons)
    return tuple(tuple(items[i:i + per_row]) for i in range(0, len(items), per_row))


def pager(audience: str, verb: str, page: int, total: int, t: Texts, case_id: int | None = None) -> tuple[Button, ...]:
    """◀️ / ▶️ buttons for a list of `total` items shown `PAGE_SIZE` at a time."""
    last = max(0, (total - 1) // PAGE_SIZE)
    nav = []
    if page > 0:
        nav.append(Button(t.gettext("◀️ Previous"), data(audience, verb, case_id, page - 1)))
    if page < last:
        nav.append(Button(t.gettext("Next ▶️"), data(audience, verb, case_id, page + 1)))
    return tuple(nav)


def page_of(argument: str) -> int:
    """A page number from button data; anything else is the first page."""
    return int(argument) if argument.isascii() and argument.isdigit() and len(argument) < 4 else 0


def without_files(keyboard: InlineKeyboard) -> InlineKeyboard:
    """For a card sent with its files right after it: a button to fetch them again would confuse."""
    def fetches_files(row: tuple[Button, ...]) -> bool:
        press = parse(row[0].data)
        return press is not None and press.verb == "files"

    return InlineKeyboard(tuple(row for row in keyboard.rows if not fetches_files(row)))


def case_list(audience: str, complaints: Sequence[Complaint]) -> list[tuple[Button, ...]]:
    return [(Button(f"{c.ticket} — {c.title[:30]}", data(audience, "open", c.id)),) for c in complaints]


# -- the actions on a card ------------------------------------------------------------------------


def _files(complaint: Complaint, files: int | None) -> int:
    return len(complaint.report_files) if files is None else files


def admin_keyboard(complaint: Complaint, allowed: set[str], t: Texts, suggested: str | None, files: int | None = None) -> InlineKeyboard:
    cid = complaint.id
    lines: list[tuple[Button, ...]] = []
    if "verify_and_route" in allowed:
        if suggested:
            lines.append((Button(t.gettext("✅ Verify and route to {agency}").format(agency=suggested[:40]), data("a", "rt", cid, complaint.agency_code)),))
        lines.append((Button(t.gettext("🏢 Route to another agency") if suggested else t.gettext("✅ Verify and choose the agency"), data("a", "ag", cid)),))
    actions = []
    if "reject" in allowed:
        actions.append(Button(t.gettext("❌ Reject"), data("a", "rj", cid)))
    if "request_info" in allowed:
        actions.append(Button(t.gettext("❓ Ask the reporter"), data("a", "ask", cid)))
    if "mark_duplicate" in allowed:
        actions.append(Button(t.gettext("🔁 Duplicate"), data("a", "dup", cid)))
    if "classify" in allowed:
        actions.append(Button(t.gettext("🏷 Category"), data("a", "cat", cid)))
        actions.append(Button(t.gettext("⚖️ Maladministration"), data("a", "mal", cid)))
    lines += rows(actions)
    if _files(complaint, files):
        lines.append((Button(t.gettext("📎 Attachments ({n})").format(n=_files(complaint, files)), data("a", "files", cid)),))
    if "link_lapor" in allowed:
        lines.append((Button(t.gettext("🔗 LAPOR! number"), data("a", "lp", cid)), Button(t.gettext("📋 Text for LAPOR!"), data("a", "lc", cid))))
    return InlineKeyboard(tuple(lines))


def officer_keyboard(complaint: Complaint, allowed: set[str], t: Texts, files: int | None = None) -> InlineKeyboard:
    cid = complaint.id
    lines: list[tuple[Button, ...]] = []
    if "respond" in allowed:
        lines.append((Button(t.gettext("✍️ Answer the reporter"), data("o", "re", cid)),))
    if "reply" in allowed:
        lines.append((Button(t.gettext("💬 Reply to the reporter"), data("o", "rp", cid)),))
    actions = []
    if "request_info" in allowed:
        actions.append(Button(t.gettext("❓ Ask the reporter"), data("o", "ask", cid)))
    if "not_ours" in allowed:
        actions.append(Button(t.gettext("↩️ Not our authority"), data("o", "no", cid)))
    lines += rows(actions)
    if _files(complaint, files):
        lines.append((Button(t.gettext("📎 Attachments ({n})").format(n=_files(complaint, files)), data("o", "files", cid)),))
    return InlineKeyboard(tuple(lines))


def citizen_keyboard(complaint: Complaint, allowed: set[str], t: Texts, *, anonymous: bool = False) -> InlineKeyboard | None:
    """The reporter's buttons. A whistleblower's (`anonymous`) carry no case id: they act on the
    case their /lacak session opened, never on one named by the button."""
    def button(label: str, verb: str) -> Button:
        return Button(label, f"z:{verb}" if anonymous else data("w", verb, complaint.id))

    lines: list[tuple[Button, ...]] = []
    if "answer_info" in allowed:
        lines.append((button(t.gettext("✍️ Answer"), "ans"),))
    if "rate" in allowed:
        lines.append((button(t.gettext("⭐ Rate the answer"), "rate"),))
    row = []
    if "reply" in allowed:
        row.append(button(t.gettext("💬 Reply"), "rep"))
    if "reopen" in allowed:
        row.append(button(t.gettext("🔄 Reopen"), "reo"))
    if row:
        lines.append(tuple(row))
    return InlineKeyboard(tuple(lines)) if lines else None


def stars(data_of: Callable[[int], str]) -> InlineKeyboard:
    """A rating of 1 to 5 stars, three buttons and two (they fit a phone's width)."""
    buttons = tuple(Button("⭐" * n, data_of(n)) for n in range(1, 6))
    return InlineKeyboard((buttons[:3], buttons[3:]))


def open_button(audience: str, complaint: Complaint, t: Texts) -> InlineKeyboard:
    return InlineKeyboard(((Button(t.gettext("🔎 Open {ticket}").format(ticket=complaint.ticket), data(audience, "open", complaint.id)),),))
