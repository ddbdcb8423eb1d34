"""Personal data rights (UU 27/2022 on Pelindungan Data Pribadi): what the bot holds about a
citizen, a copy of it for them, and erasing it.

`deidentify` is the one rule for cutting a reporter from a case; a citizen's request
(/hapusdata, `forget_citizen`) and the retention rule (`erase_expired`) both go through it. A report
stays on record (the agencies' duty to keep it, and the figures), without who made it: the
account link, the phone, the audit rows' account ids, and every copy of the name, username and
phone in the outbox (the delivery log keeps the texts it sent). Nothing here touches the columns
the figures read (`FIGURES_COLUMNS`), so the figures of any period are the same before and after.

A whistleblower's report is not linked to an account at all (its identity is sealed in the
vault); only the retention rule touches it: its push chat, its sealed identity and its files.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import OPEN_STATUSES
from storage.cases import THREAD_ACTIONS
from storage.models import (
    Admin,
    Agency,
    AnonFile,
    AnonReport,
    Attachment,
    AuditEntry,
    Complaint,
    Conversation,
    Officer,
    OutboxMessage,
    PendingInput,
    User,
)

ERASED = "[dihapus]"
"""What a reporter's name, username or phone becomes inside a message kept in the outbox."""
ERASED_ACTOR = "citizen"
"""The audit rows' actor for a reporter whose account was cut: the role stays, the id goes."""
REQUEST_ACTION = "erase_reporter"  # an audit row: the reporter asked (/hapusdata)
RETENTION_ACTION = "retention_erase"  # an audit row: the retention rule erased the case's personal data
_SCAN_BATCH = 2000


@dataclass
class Erasure:
    """What an erasure did, for the operator's counts; `files` and `anon_files` are for the
    caller to delete from disk (storage does no file I/O): stored paths no row uses any more, and
    the names of a whistleblower's sealed files."""

    cases: int = 0
    users: int = 0
    attachments: int = 0
    outbox: int = 0
    drafts: int = 0
    files: list[str] = field(default_factory=list)
    anon_files: list[str] = field(default_factory=list)


# -- the rule ---------------------------------------------------------------------------------------


def deidentify(complaint: Complaint, now: datetime) -> bool:
    """Cut the reporter from the case: the account (which is also their chat id) and the phone.
    False if there was nothing to cut (a whistleblower's case, or one already cut). The audit
    rows' ids go with `_forget_actor`; the caller writes the audit row of the erasure itself."""
    if complaint.anonymous or complaint.reporter_erased_at is not None:
        return False
    complaint.citizen_id = None
    complaint.phone = None
    complaint.reporter_erased_at = now
    return True


async def _forget_actor(session: AsyncSession, complaint_ids: Iterable[int]) -> None:
    ids = list(complaint_ids)
    if ids:
        await session.execute(update(AuditEntry).where(AuditEntry.complaint_id.in_(ids), AuditEntry.actor.like("citizen:%"))
                              .values(actor=ERASED_ACTOR))  # fmt: skip


def _audit(session: AsyncSession, complaint: Complaint, now: datetime, actor: str, action: str, reason: str) -> None:
    """An audit row per affected case, as every other step of a case has (no status change)."""
    session.add(AuditEntry(complaint_id=complaint.id, actor=actor, action=action, from_status=complaint.status,
                           to_status=complaint.status, reason=reason, at=now, agency_code=complaint.agency_code))  # fmt: skip


# -- copies in the outbox ------------------------------------------------------------------------------


def needles_of(users: Iterable[User], phones: Iterable[str | None]) -> set[str]:
    """The strings that identify these people in a message's text, as sent and as HTML-escaped."""
    raw: set[str] = set()
    for user in users:
        if user.display_name.strip():
            raw.add(user.display_name.strip())
        if user.username:
            raw |= {user.username, "@" + user.username}
    raw |= {p.strip() for p in phones if p and p.strip()}
    return {variant for value in raw for variant in (value, html.escape(value, quote=False), html.escape(value))}


def _pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    # Longest first, whole words only: "Ani" must not eat into "Aninditya" or "Perusahaan".
    ordered = sorted({n for n in needles if n}, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in ordered))


def _reporter_lines(tickets: Iterable[str], labels: Mapping[str, str]) -> list[tuple[str, re.Pattern[str], str]]:
    """For each erased case's ticket: the card's reporter line (`<b>Pelapor:</b> …`) and what it
    becomes, in each language the card may have been written in."""
    out = []
    for ticket in tickets:
        for label, erased in labels.items():
            out.append((ticket, re.compile(rf"(<b>{re.escape(html.escape(label, quote=False))}:</b> )[^\n]*"), erased))
    return out


def _scrub(value: Any, pattern: re.Pattern[str] | None, lines: list[tuple[str, re.Pattern[str], str]]) -> Any:
    if isinstance(value, str):
        for ticket, line, erased in lines:
            if ticket in value:
                value = line.sub(lambda m: m.group(1) + html.escape(erased, quote=False), value)
        return pattern.sub(ERASED, value) if pattern is not None else value
    if isinstance(value, dict):
        return {k: _scrub(v, pattern, lines) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, pattern, lines) for v in value]
    return value


async def scrub_outbox(session: AsyncSession, chats: Iterable[int], needles: Iterable[str], since: datetime | None, *,
                       tickets: Iterable[str] = (), labels: Mapping[str, str] | None = None) -> int:  # fmt: skip
    """Erase people from the outbox: every row to their chats loses its chat id and its text (one
    not yet sent is not sent), and in the rows to others since `since` (the cards about their
    reports) their name, username and phone become ERASED and the reporter line of the cards of
    `tickets` reads `labels[label]`. Returns how many rows changed."""
    changed = 0
    chat_ids = sorted(set(chats))
    if chat_ids:
        result = await session.execute(
            update(OutboxMessage).where(OutboxMessage.chat_id.in_(chat_ids))
            .values(chat_id=0, payload={}, error="erased: personal data removed",
                    status=case((OutboxMessage.status.in_(("pending", "sending")), "failed"), else_=OutboxMessage.status))
        )  # fmt: skip
        changed += int(getattr(result, "rowcount", 0) or 0)
    pattern = _pattern(needles)
    lines = _reporter_lines(tickets, labels or {})
    if since is None or (pattern is None and not lines):
        return changed
    last = 0
    while True:
        rows = (await session.execute(
            select(OutboxMessage.id, OutboxMessage.payload)
            .where(OutboxMessage.id > last, OutboxMessage.created_at >= since, OutboxMessage.chat_id != 0)
            .order_by(OutboxMessage.id).limit(_SCAN_BATCH)
        )).all()  # fmt: skip
        if not rows:
            return changed
        for row_id, payload in rows:
            scrubbed = _scrub(payload, pattern, lines)
            if scrubbed != payload:
                await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(payload=scrubbed))
                changed += 1
        last = rows[-1][0]


# -- a citizen's request -------------------------------------------------------------------------------


async def holds_anything(session: AsyncSession, telegram_id: int) -> bool:
    """Whether the bot keeps anything about this person (a row, a draft, a pending input)."""
    return any([await session.get(User, telegram_id) is not None, await session.get(Conversation, telegram_id) is not None,
                await session.get(PendingInput, telegram_id) is not None])  # fmt: skip


async def complaints_of(session: AsyncSession, telegram_id: int) -> list[Complaint]:
    rows = await session.scalars(select(Complaint).where(Complaint.citizen_id == telegram_id, Complaint.anonymous.is_(False))
                                 .order_by(Complaint.created_at, Complaint.id))  # fmt: skip
    return list(rows)


async def forget_citizen(session: AsyncSession, telegram_id: int, now: datetime, *, reason: str,
                         labels: Mapping[str, str]) -> Erasure:  # fmt: skip
    """A citizen's erasure request: their row (name, username, language), their draft and pending
    input, and their identity on every report they made (`deidentify`, an audit row each); the
    reports stay. `labels`: the cards' reporter label → what it reads now, per language."""
    erasure = Erasure()
    user = await session.get(User, telegram_id)
    complaints = await complaints_of(session, telegram_id)
    needles = needles_of([user] if user is not None else [], [c.phone for c in complaints])
    tickets = []
    for complaint in complaints:
        if deidentify(complaint, now):
            _audit(session, complaint, now, ERASED_ACTOR, REQUEST_ACTION, reason)
            erasure.cases += 1
            tickets.append(complaint.ticket)
    await _forget_actor(session, [c.id for c in complaints])
    erasure.drafts = await _drop_drafts(session, [telegram_id])
    await session.flush()
    firsts = [c.created_at for c in complaints] + ([user.created_at] if user is not None else [])
    erasure.outbox = await scrub_outbox(session, [telegram_id], needles, min(firsts) if firsts else None,
                                        tickets=tickets, labels=labels)  # fmt: skip
    if user is not None:
        await session.delete(user)
        erasure.users = 1
    await session.flush()
    return erasure


async def _drop_drafts(session: AsyncSession, user_ids: list[int]) -> int:
    dropped = 0
    for table in (Conversation, PendingInput):
        result = await session.execute(delete(table).where(table.user_id.in_(user_ids)))
        dropped += int(getattr(result, "rowcount", 0) or 0)
    return dropped


# -- retention ------------------------------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock instant `months` calendar months earlier (the 31st becomes the month's last day)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    following = datetime(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - datetime(year, month, 1)).days
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


async def _staff(session: AsyncSession, ids: Iterable[int]) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return set()
    officers = set(await session.scalars(select(Officer.telegram_id).where(Officer.telegram_id.in_(wanted), Officer.revoked_at.is_(None))))
    admins = set(await session.scalars(select(Admin.telegram_id).where(Admin.telegram_id.in_(wanted))))
    return officers | admins


async def erase_expired(session: AsyncSession, cutoff: datetime, now: datetime, *, months: int, keep: Iterable[int],
                        labels: Mapping[str, str]) -> Erasure:  # fmt: skip
    """The retention rule: the personal data of every case closed before `cutoff` — the reporter's
    identity (`deidentify`), the files (rows emptied; paths for the caller to delete), a
    whistleblower's push chat and sealed identity — with an audit row per case; then the rows of
    people the bot has no reason left to remember (no case, not seen since `cutoff`, not staff or
    `keep`), and the delivery log older than `cutoff`. Idempotent: what was erased is skipped."""
    erasure = Erasure()
    expired = list(await session.scalars(
        select(Complaint).where(Complaint.closed_at < cutoff, Complaint.files_erased_at.is_(None),
                                Complaint.status.notin_([s.value for s in OPEN_STATUSES]))
        .order_by(Complaint.id)
    ))  # fmt: skip
    phones = [c.phone for c in expired]
    paths: set[str] = set()
    reason = f"closed more than {months} months ago (RETENTION_MONTHS): reporter's personal data and files erased"
    for complaint in expired:
        deidentify(complaint, now)
        for attachment in complaint.attachments:
            if attachment.stored_path:
                paths.add(attachment.stored_path)
            attachment.file_id, attachment.file_unique_id, attachment.file_name = "", "", None
            attachment.stored_path, attachment.sha256, attachment.error = None, None, None
            attachment.fetch_status = "erased"
            erasure.attachments += 1
        if complaint.anonymous:
            await _erase_sealed(session, complaint, erasure)
        complaint.files_erased_at = now
        _audit(session, complaint, now, "system", RETENTION_ACTION, reason)
        erasure.cases += 1
    await _forget_actor(session, [c.id for c in expired])
    await session.flush()
    for path in sorted(paths):  # content-addressed: a file another case still has stays
        if not await session.scalar(select(func.count()).select_from(Attachment).where(Attachment.stored_path == path)):
            erasure.files.append(path)
    gone = await _forgettable(session, cutoff, keep)
    users = [u for u in [await session.get(User, i) for i in sorted(gone)] if u is not None]
    erasure.drafts = await _drop_drafts(session, sorted(gone)) if gone else 0
    firsts = [c.created_at for c in expired] + [u.created_at for u in users]
    erasure.outbox = await scrub_outbox(session, gone, needles_of(users, phones), min(firsts) if firsts else None,
                                        tickets=[c.ticket for c in expired if not c.anonymous], labels=labels)  # fmt: skip
    for user in users:
        await session.delete(user)
    erasure.users = len(users)
    old_log = await session.execute(
        update(OutboxMessage).where(OutboxMessage.created_at < cutoff, OutboxMessage.chat_id != 0,
                                    OutboxMessage.status.in_(("sent", "failed")))
        .values(chat_id=0, payload={})
    )  # fmt: skip
    erasure.outbox += int(getattr(old_log, "rowcount", 0) or 0)
    await session.flush()
    return erasure


async def _erase_sealed(session: AsyncSession, complaint: Complaint, erasure: Erasure) -> None:
    """A whistleblower's case: no chat to push to, no identity to disclose, no evidence files."""
    report = await session.get(AnonReport, complaint.id)
    if report is not None:
        report.push, report.push_index, report.identity = None, None, b""
    for evidence in await session.scalars(select(AnonFile).where(AnonFile.complaint_id == complaint.id)):
        if evidence.status != "erased":
            erasure.anon_files.append(evidence.name)
            evidence.status = "erased"
            erasure.attachments += 1


async def _forgettable(session: AsyncSession, cutoff: datetime, keep: Iterable[int]) -> set[int]:
    """People with no case left who have not written since `cutoff`: the reporters just cut, and
    anyone else the bot kept a row for (a language chosen long ago). Staff keep theirs."""
    linked = select(Complaint.citizen_id).where(Complaint.citizen_id.is_not(None))
    candidates = set(await session.scalars(select(User.telegram_id).where(User.last_seen_at < cutoff,
                                                                          User.telegram_id.notin_(linked))))
    return candidates - set(keep) - await _staff(session, candidates)


# -- the copy for the citizen ----------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _speaker(actor: str, agencies: Mapping[str, str]) -> str:
    """Who did a step, without anyone's account id: the reporter, Diskominfo, the agency's name."""
    kind, _, rest = actor.partition(":")
    if kind == "citizen":
        return "you"
    if kind == "admin":
        return "Diskominfo"
    if kind == "officer":
        code = rest.partition(":")[0]
        return agencies.get(code, code)
    return "system"


async def export(session: AsyncSession, telegram_id: int, now: datetime) -> dict[str, Any]:
    """Everything the bot keeps about one citizen, as JSON data: their row, their reports with
    the steps and messages of each and a list of their files (not the files), their draft.
    Nothing about anyone else: officers appear as their agency, admins as Diskominfo; an agency's
    internal note to Diskominfo (*bukan kewenangan*) is not the citizen's. A whistleblower's
    reports are linked to no account, so they are not here."""
    agencies = {code: name for code, name in (await session.execute(select(Agency.code, Agency.name))).all()}
    user = await session.get(User, telegram_id)
    reports = []
    for complaint in await complaints_of(session, telegram_id):
        entries = list(await session.scalars(select(AuditEntry).where(AuditEntry.complaint_id == complaint.id)
                                             .order_by(AuditEntry.at, AuditEntry.id)))  # fmt: skip
        own = {e.id for e in entries if e.actor.startswith("citizen")}
        reports.append({
            "ticket": complaint.ticket, "class": complaint.report_class, "topic": complaint.topic,
            "agency": agencies.get(complaint.agency_code or "", complaint.agency_code),
            "title": complaint.title, "description": complaint.description,
            "event_date": complaint.event_date.isoformat(), "kecamatan": complaint.kecamatan,
            "address": complaint.address, "latitude": complaint.latitude, "longitude": complaint.longitude,
            "privacy": complaint.privacy, "phone": complaint.phone, "language": complaint.language,
            "status": complaint.status, "submitted_at": _when(complaint.created_at), "closed_at": _when(complaint.closed_at),
            "reopened": complaint.reopen_count, "rating": complaint.rating, "rating_comment": complaint.rating_comment,
            "steps": [{"at": _when(e.at), "by": _speaker(e.actor, agencies), "action": e.action,
                       "from": e.from_status, "to": e.to_status} for e in entries],
            "messages": [{"at": _when(e.at), "by": _speaker(e.actor, agencies), "kind": e.action, "text": e.reason}
                         for e in entries if e.action in THREAD_ACTIONS and e.action != "not_ours" and e.reason],
            "files": [{"kind": a.kind, "name": a.file_name, "type": a.mime_type, "size": a.file_size,
                       "sent_with": "report" if a.audit_id is None else "message"}
                      for a in complaint.attachments if a.audit_id is None or a.audit_id in own],
        })  # fmt: skip
    conversation = await session.get(Conversation, telegram_id)
    pending = await session.get(PendingInput, telegram_id)
    return {
        "about": "Kanal Aduan, Pemerintah Kabupaten Kutai Kartanegara: your personal data (UU 27/2022)",
        "generated_at": now.isoformat(),
        "profile": None if user is None else {
            "telegram_id": user.telegram_id, "name": user.display_name, "username": user.username,
            "language": user.language, "language_chosen": user.language_chosen,
            "first_seen": _when(user.created_at), "last_seen": _when(user.last_seen_at),
        },
        "reports": reports,
        "draft": None if conversation is None else {
            "answers": (conversation.state or {}).get("answers"), "saved_at": _when(conversation.updated_at),
            "expires_at": _when(conversation.expires_at),
        },
        "text_being_written": None if pending is None else {
            "for": pending.action, "text": pending.text, "files": len(pending.files or []),
        },
    }  # fmt: skip
