"""An officer joins their agency with a one-time invitation link (aduan opd invite)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from storage.db import Database
from storage.roles import create_invite
from tests.e2e.chat import Chat
from tests.e2e.harness import query


def invite(database_url: str, agency: str, as_head: bool = False, age: timedelta = timedelta(0)) -> str:
    """A 72-hour invitation created `age` ago."""
    async def run() -> str:
        db = Database(database_url)
        try:
            async with db.write() as session, session.begin():
                _, payload = await create_invite(session, agency, as_head, "test", datetime.now(timezone.utc) - age, timedelta(hours=72))
                return payload
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_an_invitation_link_works_once(emulator, bot, database_url):
    payload = invite(database_url, "DPU")
    officer = Chat(emulator.user(first_name="Petugas", username="pu_officer", language_code="id"))
    officer.say(f"/start {payload}")
    welcome = officer.expect("Dinas Pekerjaan Umum")
    assert "petugas" in welcome.text.lower()
    assert query(database_url, "SELECT telegram_id, agency_code, is_head FROM officers WHERE revoked_at IS NULL") == [(officer.user.id, "DPU", False)]

    intruder = Chat(emulator.user(first_name="Orang Lain", language_code="id"))
    intruder.say(f"/start {payload}")  # the same link, forwarded to someone else
    intruder.expect("sudah")
    intruder.say(f"/start {payload[:-3]}xyz")  # a damaged or guessed link
    intruder.expect("tidak")
    assert query(database_url, "SELECT count(*) FROM officers") == [(1,)]

    expired = invite(database_url, "DINKES", age=timedelta(hours=73))
    intruder.say(f"/start {expired}")
    intruder.expect("kedaluwarsa")
    assert query(database_url, "SELECT count(*) FROM officers") == [(1,)]
