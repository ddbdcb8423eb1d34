"""Tables. Schema changes only through Alembic migrations (storage/migrations)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive text otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class InboxUpdate(Base):
    """Every update Telegram delivered, stored before it is acknowledged.

    The payload is dropped once processed: keeping raw updates would keep names and ids forever.
    """

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payload: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_inbox_pending", "status", "chat_id", "update_id"),)


class OutboxMessage(Base):
    """A Bot API call to make: written in the same transaction as the state change it reports."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    method: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A message to a whistleblower: once sent (or given up), its chat id and text are wiped.
    sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    # Replies to a burst of messages (an album, quick retries at one step) share a key: a newer
    # reply supersedes one not yet sent, so the burst gets one answer.
    coalesce_key: Mapped[str | None] = mapped_column(String(80), nullable=True)

    __table_args__ = (Index("ix_outbox_pending", "status", "chat_id", "id"),)


class User(Base):
    """A Telegram user who talked to the bot (citizens, officers, admins)."""

    __tablename__ = "users"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="id")
    language_chosen: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Conversation(Base):
    """The form a user is filling in (the draft), saved after every answer."""

    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    state: Mapped[dict] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class GroupNotice(Base):
    """When a group was last told the bot works in private chats only (avoids spamming groups)."""

    __tablename__ = "group_notices"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Agency(Base):
    """An OPD (Organisasi Perangkat Daerah). Deactivated, never deleted: history points at it."""

    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class TicketCounter(Base):
    __tablename__ = "ticket_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


# What storage.statistics.tallies reads of a case (migration 0010's covering index).
FIGURES_COLUMNS = (
    "created_at", "closed_at", "status", "agency_code", "anonymous", "kecamatan", "topic", "report_class", "privacy",
    "maladministration", "verified_at", "first_routed_at", "first_response_at", "first_response_routed_at",
    "first_response_due", "verification_due", "response_due", "rated_at", "rating", "ticket",
)  # fmt: skip


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    # None for a whistleblower's report: their identity is only in the sealed record (AnonReport).
    citizen_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.telegram_id"), nullable=True)
    # The update that submitted it: a redelivered or replayed update cannot file it twice.
    source_update_id: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    report_class: Mapped[str] = mapped_column(String(16), nullable=False)
    topic: Mapped[str] = mapped_column(String(64), nullable=False)
    agency_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("agencies.code"), nullable=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    # The description was forwarded from someone else's message (whose name is not kept).
    description_forwarded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    event_date: Mapped[date] = mapped_column(Date, nullable=False)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    kecamatan: Mapped[str | None] = mapped_column(String(64), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    privacy: Mapped[str] = mapped_column(String(16), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    verification_due: Mapped[date] = mapped_column(Date, nullable=False)
    # The case workflow (cases.workflow): deadlines, pauses and the outcome.
    response_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopen_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    citizen_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    pseudonym: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Set by an admin: a top-level topic code and one of the Ombudsman's ten forms.
    category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    maladministration: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The case's tracking number in the national SP4N-LAPOR! system, recorded by an admin.
    lapor_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Milestones, written with the audit row of the moment they happen (storage.cases.record), for
    # the figures: the first verification decision (routed, rejected or merged), the first and the
    # latest routing, the first answer with the routing it answered and its deadline then, the rating.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_response_routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_response_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Personal data rights (storage.personal_data): when the reporter's identity (account, name,
    # username, phone) was cut from the case — at their request (/hapusdata) or by the retention
    # rule — and when the retention rule erased the case's files. The report itself stays.
    reporter_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    files_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # The citizen's files and those of later messages (officers' answers, citizens' replies).
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="complaint", order_by="Attachment.position", lazy="selectin"
    )

    @property
    def report_files(self) -> list[Attachment]:
        """The files sent with the report itself (not those refused once their bytes were seen)."""
        return [a for a in self.attachments if a.audit_id is None and a.fetch_status != REFUSED]

    __table_args__ = (
        Index("ix_complaints_citizen", "citizen_id", "created_at"),
        # The figures (storage.statistics): a period's cases read from the index alone — every
        # column the tallies use, by filing time (a scan of it reads a third of the table's pages).
        Index("ix_complaints_figures", *FIGURES_COLUMNS),
        Index("ix_complaints_closed", "closed_at"),
        Index("ix_complaints_status_agency", "status", "agency_code"),
        # The reminder sweep's bounds (storage.reminders.due_candidates).
        Index("ix_complaints_status_verification_due", "status", "verification_due"),
        Index("ix_complaints_status_response_due", "status", "response_due"),
        Index("ix_complaints_status_responded", "status", "responded_at"),
    )


REFUSED = "rejected"  # Attachment.fetch_status of a file whose bytes were not what it claimed


class Attachment(Base):
    """A photo or document of a complaint; the file is fetched from Telegram after submission."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # photo | document | voice | audio | video | video_note
    file_id: Mapped[str] = mapped_column(String(256), nullable=False)
    file_unique_id: Mapped[str] = mapped_column(String(128), nullable=False)
    mime_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    fetch_status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    fetch_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stored_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration: Mapped[int | None] = mapped_column(Integer, nullable=True)  # seconds, voice and video
    forwarded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    # The message (audit row) the file came with; None for the report's own files.
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audit_log.id"), nullable=True)

    complaint: Mapped[Complaint] = relationship(back_populates="attachments")

    __table_args__ = (UniqueConstraint("complaint_id", "position"),)

    @classmethod
    def of(cls, complaint_id: int, position: int, item: dict[str, Any], audit_id: int | None = None) -> Attachment:
        """The row for a file as a form or an input kept it (`handlers.core.validation.validate_file`)."""
        return cls(complaint_id=complaint_id, position=position, audit_id=audit_id, kind=item["kind"],
                   file_id=item["file_id"], file_unique_id=item["file_unique_id"], mime_type=item.get("mime_type"),
                   file_name=item.get("file_name"), file_size=item.get("file_size"), duration=item.get("duration"),
                   forwarded=bool(item.get("forwarded")))  # fmt: skip


class AuditEntry(Base):
    """Who did what to a complaint, when, from which status to which, and why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Facts of the moment, for the figures: the agency the case was with after the action, the
    # deadline the actor was measured against (verification or the agency's answer), and the code
    # of a listed reason (a rejection's).
    agency_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    code: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (
        # A period's decisions, read from the index alone (storage.statistics).
        Index("ix_audit_action_at", "action", "at", "complaint_id", "agency_code", "due", "code"),
        Index("ix_audit_case_action_at", "complaint_id", "action", "at"),  # a case's pauses
    )


class Admin(Base):
    """A Diskominfo admin added with `aduan admin add` (ADMIN_TELEGRAM_IDS are admins as well)."""

    __tablename__ = "admins"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(64), nullable=False, default="cli")


class Officer(Base):
    """An OPD officer (admin penghubung); the head receives escalations. Revoked, never deleted."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    agency_code: Mapped[str] = mapped_column(String(32), ForeignKey("agencies.code"), nullable=False, index=True)
    is_head: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id"), nullable=True)


class Invite(Base):
    """A one-time deep-link invitation for an officer; only a hash of its secret is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(32), ForeignKey("agencies.code"), nullable=False)
    as_head: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class DayOff(Base):
    """A non-working day an admin declared (e.g. cuti bersama not yet in the `holidays` data)."""

    __tablename__ = "days_off"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class PendingInput(Base):
    """Text (and files) a case button asked for: a reason, a question, an answer, a reply.

    Kept apart from the report draft so answering a question never disturbs a half-written report.
    `nonce` ties the preview's buttons to this input: an older preview's buttons are stale.
    """

    __tablename__ = "pending_inputs"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), nullable=False)
    argument: Mapped[str | None] = mapped_column(String(64), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    files: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    nonce: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Reminder(Base):
    """A reminder, escalation, digest or summary that was sent; `key` makes a second one impossible.

    Keys: "<case>:<kind>:<tier>:<day>" for case reminders (see cases.reminders.Due.key),
    "digest:<agency>:<day>" and "weekly:<day>" for the scheduled overviews.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(96), nullable=False, unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    tier: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    recipients: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_reminders_day", "day"),
        Index("ix_reminders_case_day", "complaint_id", "day", "kind"),  # a case's reminders of today (the sweep)
    )


class AnonReport(Base):
    """The sealed parts of a whistleblower's report (storage.vault).

    `content` (what happened, the unit, the place, the evidence) and `push` (the chat id for pushed
    updates, if they asked) are sealed with the online vault key; `identity` is sealed to the
    offline disclosure key and cannot be opened on the server.
    """

    __tablename__ = "anon_reports"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True, autoincrement=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    identity: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    push: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    push_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AnonFile(Base):
    """A whistleblower's evidence file. `ref` (Telegram's file id, sealed) is fetched once; the
    bytes are stored stripped of metadata and sealed (FILES_DIR/anon/<name>.bin), and officers get
    that copy uploaded, never the original."""

    __tablename__ = "anon_files"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    ref: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audit_log.id"), nullable=True)


class AnonToken(Base):
    """A follow-up token: its lookup id and the salted hash of its secret (cases.tokens)."""

    __tablename__ = "anon_tokens"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), nullable=False, index=True)
    lookup: Mapped[str] = mapped_column(String(8), nullable=False, unique=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    digest: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    retired: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class AnonAttempt(Base):
    """Failed token guesses in the current window, per sender (a keyed hash) or per lookup id."""

    __tablename__ = "anon_attempts"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class AnonDraft(Base):
    """A whistleblower's unfinished form or pending answer: keyed by a keyed hash of the user, sealed."""

    __tablename__ = "anon_drafts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class VaultAudit(Base):
    """Disclosures and key operations, hash-chained: each row's hash covers the previous one."""

    __tablename__ = "vault_audit"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    ticket: Mapped[str | None] = mapped_column(String(32), nullable=True)
    operator: Mapped[str] = mapped_column(String(200), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
