"""How a case reads for each audience: the card, its deadline, its conversation, its files.

Pure rendering: the callers load the rows. Every user-supplied string goes through `esc`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cases.calendar import WorkCalendar
from cases.figures import LOW_RATING
from cases.model import Status
from handlers.core.actions import UPLOAD_PREFIX, Action, Send, SendFile
from handlers.core.i18n import LANGUAGES, Texts, texts
from handlers.core.labels import (
    class_label,
    files_label,
    maladministration_label,
    privacy_label,
    staff_status_label,
    status_label,
)
from handlers.core.text import CAPTION_LIMIT, esc
from handlers.core.topics import TopicTree
from handlers.core.validation import clock
from storage.models import AnonFile, Attachment, AuditEntry, Complaint, User

THREAD_TEXT_LIMIT = 700  # a long message is shortened in the card's thread; it was sent in full


@dataclass(frozen=True)
class CardFacts:
    """What a card needs besides the complaint row."""

    calendar: WorkCalendar
    today: date
    topics: TopicTree
    agency_names: dict[str, str]
    reporter: User | None = None
    thread: tuple[AuditEntry, ...] = ()
    sealed: dict[str, object] | None = None  # a whistleblower's report, opened from the vault
    anon_files: tuple[AnonFile, ...] = ()


def agency_label(code: str | None, facts: CardFacts) -> str:
    if not code:
        return "—"
    return facts.agency_names.get(code, code)


def due_text(due: date, today: date, t: Texts) -> str:
    """A deadline as a local date, with how it stands today (escaped HTML)."""
    text = esc(t.date(due))
    if due < today:
        return text + " ⚠️ " + esc(t.gettext("overdue"))
    if due == today:
        return text + " ⏰ " + esc(t.gettext("today"))
    return text


def deadline_line(complaint: Complaint, t: Texts, today: date) -> str | None:
    """The deadline of whoever must act now, or None when nobody is on the clock."""
    status = complaint.status
    if status == Status.SUBMITTED:
        return _field(t.gettext("Verify by"), due_text(complaint.verification_due, today, t))
    if status == Status.VERIFIED and complaint.response_due is not None:
        return _field(t.gettext("Agency answers by"), due_text(complaint.response_due, today, t))
    if status in (Status.INFO_REQUESTED, Status.AGENCY_INFO_REQUESTED):
        return _field(t.gettext("Deadline"), esc(t.gettext("paused until the reporter answers")))
    return None


def _location(complaint: Complaint, t: Texts) -> str:
    parts = []
    if complaint.kecamatan:
        parts.append(t.gettext("Kecamatan {name}").format(name=complaint.kecamatan))
    if complaint.latitude is not None and complaint.longitude is not None:
        parts.append(f"{complaint.latitude:.5f}, {complaint.longitude:.5f}")
    if complaint.address:
        parts.append(complaint.address)
    return "; ".join(parts) or "—"


def _field(label: str, value_html: str) -> str:
    return f"<b>{esc(label)}:</b> {value_html}"


def staff_card(complaint: Complaint, t: Texts, facts: CardFacts, *, heading: str | None = None) -> str:
    """The case as an admin or an officer sees it: content, reporter, deadline, conversation.

    A whistleblower's report shows its pseudonym, the sealed content and dates only — nothing
    that came from their Telegram account.
    """
    lines = [heading or f"📄 <b>{complaint.ticket}</b>"]
    lines += warnings(complaint, t)
    lines += [
        _field(t.gettext("Status"), esc(staff_status_label(complaint.status, t))),
        _field(t.gettext("Title"), esc(complaint.title)),
    ]
    if not complaint.anonymous:
        lines.append(_field(t.gettext("Type"), esc(class_label(complaint.report_class, t))))
        lines.append(_field(t.gettext("Topic"), esc(facts.topics.path_label(complaint.topic, t.language))))
    if complaint.category:
        lines.append(_field(t.gettext("Category"), esc(facts.topics.path_label(complaint.category, t.language))))
    if complaint.maladministration:
        lines.append(_field(t.gettext("Maladministration"), esc(maladministration_label(complaint.maladministration, t))))
    if complaint.lapor_number:
        lines.append(_field(t.gettext("SP4N-LAPOR! number"), f"<code>{esc(complaint.lapor_number)}</code>"))
    agency_title = t.gettext("Agency chosen by the reporter") if complaint.status == Status.SUBMITTED else t.gettext("Agency")
    lines.append(_field(agency_title, esc(agency_label(complaint.agency_code, facts))))
    if complaint.anonymous:
        sealed = facts.sealed or {}
        when = sealed.get("when")
        lines += [
            _field(t.gettext("Date of event"), esc(t.date(date.fromisoformat(str(when)))) if when else "—"),
            _field(t.gettext("Location"), esc(t.gettext("Kecamatan {name}").format(name=sealed["place"])) if sealed.get("place") else "—"),
            _field(t.gettext("Reporter"), esc(t.gettext("Anonymous reporter {pseudonym}").format(pseudonym=complaint.pseudonym or ""))),
            _field(t.gettext("Submitted"), esc(t.date(facts.calendar.local_date(complaint.created_at)))),
            _field(t.gettext("Attachments"), str(len(facts.anon_files))),
        ]
        description = str(sealed.get("what") or t.gettext("(sealed: the vault key is not loaded)"))
    else:
        reporter = facts.reporter
        who = esc(reporter.display_name or "?") if reporter is not None else "?"
        if reporter is not None and reporter.username:
            who += f" (@{esc(reporter.username)})"
        if complaint.phone:
            who += f", {esc(complaint.phone)}"
        if complaint.reporter_erased_at is not None:  # /hapusdata or the retention rule
            who = esc(erased_reporter(t))
        lines += [
            _field(t.gettext("Date of event"), esc(t.date(complaint.event_date))),
            _field(t.gettext("Location"), esc(_location(complaint, t))),
            _field(t.gettext("Privacy"), esc(privacy_label(complaint.privacy, t))),
            _field(t.gettext("Reporter"), who),
            _field(t.gettext("Submitted"), esc(t.date(facts.calendar.local_date(complaint.created_at)))),
            _field(t.gettext("Attachments"), attachments_line(complaint.report_files, t)),
        ]
        description = complaint.description or t.gettext("(told in a voice note: see the attachments)")
    if complaint.reopen_count:
        lines.append(_field(t.gettext("Reopened"), str(complaint.reopen_count)))
    if complaint.rating is not None:
        lines.append(_field(t.gettext("Rating"), "⭐" * complaint.rating + f" ({complaint.rating}/5)"))
    deadline = deadline_line(complaint, t, facts.today)
    if deadline:
        lines.append(deadline)
    heading = t.gettext("Description (forwarded from someone else's message)") if complaint.description_forwarded else t.gettext("Description")
    lines += ["", _field(heading, ""), esc(description)]
    conversation = thread_lines(facts.thread, t, facts, for_staff=True)
    if conversation:
        lines += ["", _field(t.gettext("Conversation"), ""), *conversation]
    return "\n".join(lines)


def erased_reporter(t: Texts) -> str:
    """Who reported a case whose reporter's personal data was erased (storage.personal_data)."""
    return t.gettext("Reporter (data erased)")


def erased_reporter_labels() -> dict[str, str]:
    """The card's reporter label → what the line reads once erased, in every language a card may
    have been sent in: the outbox's copies of old cards are rewritten with it."""
    return {texts(language).gettext("Reporter"): erased_reporter(texts(language)) for language in LANGUAGES}


def warnings(complaint: Complaint, t: Texts) -> list[str]:
    """What the people handling a case should see first: a low rating, a reopening."""
    lines = []
    if complaint.rating is not None and complaint.rating <= LOW_RATING:
        lines.append("⚠️ " + esc(t.gettext("The answer was rated {score}/5 by the reporter.").format(score=complaint.rating)))
    if complaint.reopen_count:
        lines.append("🔄 " + esc(t.ngettext("Reopened {n} time: the reporter was not satisfied with an answer.",
                                            "Reopened {n} times: the reporter was not satisfied with the answers.",
                                            complaint.reopen_count).format(n=complaint.reopen_count)))  # fmt: skip
    return lines


def citizen_card(complaint: Complaint, t: Texts, facts: CardFacts) -> str:
    """The case as its reporter sees it (no officer names, no internal classification)."""
    lines = [
        f"<b>{complaint.ticket}</b> — {esc(complaint.title)}",
        _field(t.gettext("Status"), esc(status_label(complaint.status, t))),
        _field(t.gettext("Submitted"), esc(t.date(facts.calendar.local_date(complaint.created_at)))),
    ]
    if complaint.agency_code and complaint.status not in (Status.SUBMITTED, Status.REJECTED, Status.DUPLICATE):
        lines.append(_field(t.gettext("Agency"), esc(agency_label(complaint.agency_code, facts))))
    deadline = deadline_line(complaint, t, facts.today)
    if deadline:
        lines.append(deadline)
    if complaint.rating is not None:
        lines.append(_field(t.gettext("Your rating"), "⭐" * complaint.rating))
    if complaint.anonymous and facts.sealed:
        lines += ["", _field(t.gettext("Your report"), ""), esc(str(facts.sealed.get("what") or ""))]
    conversation = thread_lines(facts.thread, t, facts, for_staff=False)
    if conversation:
        lines += ["", _field(t.gettext("Conversation"), ""), *conversation]
    return "\n".join(lines)


def speaker(actor: str, t: Texts, facts: CardFacts, *, for_staff: bool) -> str:
    """Who wrote a message, from the audit row's actor ("officer:DPU:42", "admin:7", "citizen:9")."""
    kind, _, rest = actor.partition(":")
    if kind == "officer":
        return agency_label(rest.partition(":")[0], facts)
    if kind == "admin":
        return "Diskominfo"
    if kind in ("citizen", "whistleblower"):
        return t.gettext("Reporter") if for_staff else t.gettext("You")
    return t.gettext("System")


def _thread_title(entry: AuditEntry, t: Texts) -> str:
    return {
        "request_info": t.gettext("question"),
        "agency_request_info": t.gettext("question"),
        "answer_info": t.gettext("answer"),
        "respond": t.gettext("response"),
        "agency_reply": t.gettext("reply"),
        "citizen_reply": t.gettext("reply"),
        "not_ours": t.gettext("not our authority"),
        "reopen": t.gettext("reopened"),
        "rate": t.gettext("rating"),
        "reject": t.gettext("rejection"),
        "mark_duplicate": t.gettext("duplicate"),
        "add_evidence": t.gettext("evidence added"),
    }.get(entry.action, entry.action)


def thread_lines(entries: tuple[AuditEntry, ...], t: Texts, facts: CardFacts, *, for_staff: bool) -> list[str]:
    lines = []
    for entry in entries:
        if entry.action == "not_ours" and not for_staff:
            continue  # the agency's internal note to Diskominfo
        text = entry.reason or ""
        if len(text) > THREAD_TEXT_LIMIT:
            text = text[:THREAD_TEXT_LIMIT] + "…"
        head = f"<i>{esc(t.date(facts.calendar.local_date(entry.at), 'medium'))} · {esc(speaker(entry.actor, t, facts, for_staff=for_staff))} · {esc(_thread_title(entry, t))}</i>"
        lines.append(head + ("\n" + esc(text) if text else ""))
    return lines


def file_count(complaint: Complaint, facts: CardFacts) -> int:
    """The files a card offers: the report's own, or a whistleblower's cleaned copies."""
    return len(facts.anon_files) if complaint.anonymous else len(complaint.report_files)


def attachments_line(files: Sequence[Attachment], t: Texts) -> str:
    """"3 — 🎤 voice note 0:42, 🎬 video 0:12 (forwarded), 1 photo": what a staff card lists."""
    if not files:
        return "0"
    parts = [esc(file_label(f, t)) for f in files if f.kind in ("voice", "audio", "video", "video_note")]
    others = Counter(f.kind for f in files if f.kind in ("photo", "document"))
    parts += [esc(files_label(kind, n, t)) for kind, n in others.items()]
    forwarded = sum(1 for f in files if f.forwarded and f.kind in ("photo", "document"))
    if forwarded:
        parts.append(esc(t.ngettext("{n} of them forwarded", "{n} of them forwarded", forwarded).format(n=forwarded)))
    return f"{len(files)} — " + ", ".join(parts)


def file_label(attachment: Attachment, t: Texts) -> str:
    """One file as a card names it: "🎤 voice note 0:42", "🎬 video 0:12 (forwarded)", "📄 bukti.pdf"."""
    length = clock(attachment.duration or 0)
    label = {
        "voice": "🎤 " + t.gettext("voice note {length}").format(length=length),
        "audio": "🎵 " + t.gettext("audio {length}").format(length=length),
        "video": "🎬 " + t.gettext("video {length}").format(length=length),
        "video_note": "🎬 " + t.gettext("video message {length}").format(length=length),
        "photo": "🖼 " + t.gettext("photo"),
    }.get(attachment.kind) or "📄 " + (attachment.file_name or t.gettext("document"))
    # Forwarded: first sent by someone else, whose name the bot does not keep.
    return label + (" " + t.gettext("(forwarded)") if attachment.forwarded else "")


def files_of(chat_id: int, complaint: Complaint, files: Sequence[Attachment], t: Texts) -> list[SendFile]:
    """Re-send files by their Telegram file id (never forwarded), each captioned with the ticket."""
    actions = []
    for n, attachment in enumerate(files, start=1):
        caption = t.gettext("Attachment {n} of {total} — {ticket}").format(n=n, total=len(files), ticket=complaint.ticket)
        caption += " · " + file_label(attachment, t)
        actions.append(SendFile(chat_id, attachment.kind, attachment.file_id, esc(caption)[:CAPTION_LIMIT]))
    return actions


def evidence_of(chat_id: int, complaint: Complaint, facts: CardFacts, t: Texts) -> list[Action]:
    """A card's files: the report's own (re-sent by file id), or a whistleblower's cleaned copies
    (uploaded; the originals never leave). Files still being cleaned are counted, not sent."""
    if not complaint.anonymous:
        return list(files_of(chat_id, complaint, complaint.report_files, t))
    ready = [f for f in facts.anon_files if f.status == "stored"]
    actions: list[Action] = []
    for n, item in enumerate(ready, start=1):
        caption = t.gettext("Attachment {n} of {total} — {ticket} (hidden data removed)").format(n=n, total=len(ready), ticket=complaint.ticket)
        actions.append(SendFile(chat_id, "photo", UPLOAD_PREFIX + item.name, esc(caption)[:CAPTION_LIMIT]))
    waiting = sum(1 for f in facts.anon_files if f.status == "pending")
    if waiting:
        actions.append(Send(chat_id, t.ngettext("{n} file is still being cleaned of hidden data; try again in a minute.", "{n} files are still being cleaned of hidden data; try again in a minute.", waiting).format(n=waiting)))
    return actions
