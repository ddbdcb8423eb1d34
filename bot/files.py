"""Fetch complaint attachments from Telegram (getFile) into local storage, after submission.

Kept out of the update transaction: a download is slow network I/O, and the database row says
what still needs fetching, so a restart simply carries on.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from pathlib import Path

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.leadership import Leadership
from bot.outbox import add_rows, rows_for
from bot.tasks import wait_event
from bot.telegram import BadRequest, NetworkError, TelegramApi
from handlers.casework.cards import file_label
from handlers.core.actions import Send
from handlers.core.i18n import Texts, texts
from handlers.core.text import esc
from handlers.core.validation import ALLOWED_DOCUMENT_TYPES
from storage import anon
from storage.db import Database
from storage.models import REFUSED, AnonFile, Attachment, AuditEntry, Complaint, OutboxMessage, User
from storage.vault import Vault

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def sniff(content: bytes) -> str | None:
    """The real type of the bytes, whatever the file name claims: a PDF, a picture Pillow can
    read, or a sound or video container `filetype` recognises."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            return Image.MIME.get(image.format or "", None)
    except (UnidentifiedImageError, OSError, SyntaxError):
        pass
    kind = filetype.guess(content[:8192])
    if kind is not None and kind.mime.split("/")[0] in ("audio", "video"):
        return str(kind.mime)
    return None


def fits(kind: str, declared: str | None, actual: str | None) -> bool:
    """Whether the bytes are what the message said: a photo a picture, a PDF a PDF, a voice note
    or a video a sound or video container (the same MP4 holds either)."""
    if actual is None:
        return False
    family = actual.split("/")[0]
    if kind in ("voice", "audio", "video", "video_note"):
        return family in ("audio", "video")
    if kind == "photo" or (declared or "").startswith("image/"):
        return family == "image"
    return not declared or actual == declared


def strip_metadata(content: bytes) -> tuple[bytes, str] | None:
    """The picture re-encoded with nothing but its pixels: no EXIF (GPS, time, camera serial), XMP,
    ICC profile or comments; EXIF orientation applied first so it still looks right. None when the
    bytes are not a picture we can re-encode."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            kind = image.format
            upright = ImageOps.exif_transpose(image) or image
            fresh = upright.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    fresh.info = {}
    out = io.BytesIO()
    if kind == "PNG":
        fresh.save(out, "PNG")
        return out.getvalue(), "image/png"
    if fresh.mode not in ("RGB", "L"):
        fresh = fresh.convert("RGB")
    fresh.save(out, "JPEG", quality=90)
    return out.getvalue(), "image/jpeg"


async def _refusal_notice(session: AsyncSession, attachment: Attachment) -> list[OutboxMessage]:
    """Tell whoever sent a refused file which one it was: the case no longer lists it."""
    complaint = await session.get(Complaint, attachment.complaint_id)
    assert complaint is not None
    sender, language = complaint.citizen_id, complaint.language
    if attachment.audit_id is not None:
        entry = await session.get(AuditEntry, attachment.audit_id)
        tail = (entry.actor if entry is not None else "").rpartition(":")[2]
        if not entry or not entry.actor.startswith("citizen"):
            sender = int(tail) if tail.isdigit() else None
            user = await session.get(User, sender) if sender is not None else None
            language = user.language if user is not None else language
    if sender is None or complaint.anonymous:
        return []
    t = texts(language)
    html = t.gettext("⚠️ A file you sent with {ticket} was not kept: “{name}” is not a real {kind}, or it is damaged. The case does not include it. If it matters, please send it again as a photo or a PDF.").format(
        ticket=complaint.ticket, name=esc(attachment.file_name or file_label(attachment, t)),
        kind=esc(_claimed(attachment, t)))  # fmt: skip
    return rows_for([Send(sender, html)])


def _claimed(attachment: Attachment, t: Texts) -> str:
    if attachment.kind in ("voice", "audio"):
        return t.gettext("recording")
    if attachment.kind in ("video", "video_note"):
        return t.gettext("video")
    if attachment.kind == "photo" or (attachment.mime_type or "").startswith("image/"):
        return t.gettext("picture")
    return ALLOWED_DOCUMENT_TYPES.get(attachment.mime_type or "", t.gettext("document"))


class FileFetcher:
    def __init__(self, db: Database, client: TelegramApi, files_dir: Path, vault: Vault | None = None,
                 role: Leadership | None = None) -> None:
        self.db = db
        self.role = role  # with several processes, only the sender fetches: each file once
        self.client = client
        self.files_dir = files_dir
        self.vault = vault
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                if self.role is None or self.role.holds:
                    await self.fetch_pending()
                    await self.clean_anonymous()
            except Exception:
                log.exception("fetching attachments failed")
            await wait_event(self._wake, 30)
            self._wake.clear()

    async def fetch_pending(self) -> int:
        async with self.db.read() as session:
            ids = list(await session.scalars(select(Attachment.id).where(Attachment.fetch_status == "pending").order_by(Attachment.id).limit(50)))
        for attachment_id in ids:
            await self._fetch(attachment_id)
        return len(ids)

    async def _fetch(self, attachment_id: int) -> None:
        async with self.db.read() as session:
            attachment = await session.get(Attachment, attachment_id)
            assert attachment is not None
            file_id, declared = attachment.file_id, attachment.mime_type
        final = False
        try:
            downloaded = await self.client.download(file_id)
            error = None
        except NetworkError as exc:
            downloaded, error = None, f"{type(exc).__name__}: {exc.message}"
        except BadRequest as exc:  # e.g. "file is too big": asking again will not help
            downloaded, error, final = None, f"BadRequest: {exc.message}", True
        async with self.db.write() as session, session.begin():
            attachment = await session.get(Attachment, attachment_id)
            assert attachment is not None
            if downloaded is None:
                attachment.fetch_attempts += 1
                attachment.error = error
                if final or attachment.fetch_attempts >= MAX_ATTEMPTS:
                    attachment.fetch_status = "failed"
                return
            actual = sniff(downloaded.content)
            if not fits(attachment.kind, declared, actual):
                attachment.fetch_status = REFUSED
                attachment.error = f"content is {actual or 'unknown'}, declared {declared}"
                log.warning("attachment %s rejected: %s", attachment_id, attachment.error)
                await add_rows(session, await _refusal_notice(session, attachment))
                return
            digest = hashlib.sha256(downloaded.content).hexdigest()
            path = self.files_dir / digest[:2] / digest
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                temporary = path.with_suffix(".part")
                temporary.write_bytes(downloaded.content)
                temporary.replace(path)
            attachment.sha256, attachment.stored_path = digest, str(path)
            attachment.mime_type, attachment.fetch_status, attachment.error = actual, "stored", None

    # -- a whistleblower's evidence ---------------------------------------------------------------


    def anon_path(self, name: str) -> Path:
        return self.files_dir / "anon" / f"{name}.bin"

    def cleaned(self, name: str) -> bytes | None:
        """The cleaned bytes of a whistleblower's file, for the dispatcher to upload."""
        path = self.anon_path(name)
        if self.vault is None or not path.exists():
            return None
        return self.vault.open(path.read_bytes(), f"file:{name}")

    async def clean_anonymous(self) -> int:
        """Fetch each pending evidence file, strip its metadata, seal it; the original is not kept."""
        if self.vault is None:
            return 0
        async with self.db.read() as session:
            ids = await anon.pending_files(session)
        for file_id in ids:
            await self._clean(file_id)
        return len(ids)

    async def _clean(self, row_id: int) -> None:
        assert self.vault is not None
        async with self.db.read() as session:
            row = await session.get(AnonFile, row_id)
            assert row is not None
            name, ref = row.name, self.vault.open_json(row.ref, f"ref:{row.name}")
        assert isinstance(ref, dict)
        try:
            downloaded = await self.client.download(str(ref["file_id"]))
        except NetworkError:
            downloaded = None
        cleaned = strip_metadata(downloaded.content) if downloaded is not None else None
        if cleaned is not None:
            path = self.anon_path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".part")
            temporary.write_bytes(self.vault.seal(cleaned[0], f"file:{name}"))
            temporary.replace(path)
        async with self.db.write() as session, session.begin():
            row = await session.get(AnonFile, row_id)
            assert row is not None
            if cleaned is not None:
                row.status = "stored"
            elif downloaded is not None:
                row.status = "rejected"  # not a picture we can clean: never shown
            else:
                row.attempts += 1
                row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
