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

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from bot.ptb_runtime import NetworkError, TelegramClient
from storage.db import Database
from storage.models import Attachment

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def sniff(content: bytes) -> str | None:
    """The real type of the bytes, whatever the file name claims."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            return Image.MIME.get(image.format or "", None)
    except (UnidentifiedImageError, OSError, SyntaxError):
        return None


class FileFetcher:
    def __init__(self, db: Database, client: TelegramClient, files_dir: Path) -> None:
        self.db = db
        self.client = client
        self.files_dir = files_dir
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.fetch_pending()
            except Exception:
                log.exception("fetching attachments failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=30)
            except asyncio.TimeoutError:
                pass
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
        try:
            downloaded = await self.client.download(file_id)
            error = None
        except NetworkError as exc:
            downloaded, error = None, f"{type(exc).__name__}: {exc.message}"
        async with self.db.write() as session, session.begin():
            attachment = await session.get(Attachment, attachment_id)
            assert attachment is not None
            if downloaded is None:
                attachment.fetch_attempts += 1
                attachment.error = error
                if attachment.fetch_attempts >= MAX_ATTEMPTS:
                    attachment.fetch_status = "failed"
                return
            actual = sniff(downloaded.content)
            if actual is None or (declared and actual != declared and not (declared.startswith("image/") and actual.startswith("image/"))):
                attachment.fetch_status = "rejected"
                attachment.error = f"content is {actual or 'unknown'}, declared {declared}"
                log.warning("attachment %s rejected: %s", attachment_id, attachment.error)
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
