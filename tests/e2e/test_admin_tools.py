"""The admin's other tools in Telegram: an admin added with `aduan admin add` (speaking English),
the queue's order, category and maladministration, duplicates, a free-text rejection, and an
invitation link made in the bot."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from storage import roles
from storage.db import Database
from tests.e2e.chat import Chat
from tests.e2e.harness import query, wait_until
from tests.e2e.test_case_access import seed_case


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {"FLOOD_MAX_MESSAGES": "200"}


def add_admin(database_url: str, telegram_id: int) -> None:
    async def run() -> None:
        db = Database(database_url)
        try:
            async with db.write() as session, session.begin():
                await roles.add_admin(session, telegram_id, "cli", datetime.now(timezone.utc))
        finally:
            await db.dispose()

    asyncio.run(run())


def test_an_added_admin_classifies_merges_rejects_and_invites(emulator, bot, database_url):
    admin = Chat(emulator.user(first_name="Admin Two", language_code="en"))
    citizen = Chat(emulator.user(first_name="Warga", language_code="id"))
    citizen.say("/start")
    citizen.expect("Kanal Aduan")
    admin.say("/antrian")
    assert "not know the command" in admin.expect("/antrian").text, "not an admin yet"
    add_admin(database_url, admin.user.id)

    first_id, first = seed_case(database_url, citizen.user.id, 1, None)
    second_id, second = seed_case(database_url, citizen.user.id, 2, None, verify_by=date.today() - timedelta(days=3))
    admin.say("/antrian")
    listing = admin.expect("Verification queue")
    assert listing.text.index(second) < listing.text.index(first), "the oldest deadline first"
    assert "overdue" in listing.text

    # Category and the Ombudsman's form of maladministration, recorded with the audit trail.
    admin.say(f"/kasus {first}")
    admin.expect("Rahasia kasus 1")
    admin.press("Category")
    admin.press("Health")
    admin.expect("Health")
    admin.press("Maladministration")
    admin.press("Undue delay")
    wait_until(lambda: query(database_url, "SELECT category, maladministration FROM complaints WHERE id = :i", i=first_id) == [("kes", "penundaan")], message="classified")
    assert query(database_url, "SELECT count(*) FROM audit_log WHERE action = 'classify'") == [(2,)]

    # A duplicate: a wrong number is refused with a clear word, the right one merges.
    admin.press("Duplicate")
    admin.expect("Write")
    admin.say("not a ticket")
    admin.expect("not a ticket number")
    admin.say(first)
    admin.expect("There is no other report")
    admin.say(second.lower().replace("-", " "))
    preview = admin.expect("Check before sending")
    assert second in preview.text
    admin.press("Mark as duplicate")
    wait_until(lambda: query(database_url, "SELECT status FROM complaints WHERE id = :i", i=first_id) == [("duplicate",)], message="merged")
    merged = citizen.expect("digabung")
    assert second in merged.text and first in merged.text

    # A rejection with a reason written by hand, escaped for the citizen.
    admin.say(f"/kasus {second}")
    admin.expect("Rahasia kasus 2")
    admin.press("Reject")
    admin.press("Another reason")
    admin.expect("Write")
    admin.say("Lokasi di luar <Kukar> & bukan urusan Pemkab")
    admin.expect("Check before sending")
    admin.press("Reject the report")
    wait_until(lambda: query(database_url, "SELECT status FROM complaints WHERE id = :i", i=second_id) == [("rejected",)], message="rejected")
    assert "Lokasi di luar <Kukar> & bukan urusan Pemkab" in citizen.expect("tidak dapat ditindaklanjuti").text
    admin.say("/antrian")
    admin.expect("queue is empty")

    # An invitation made in the bot works once, for the head of the chosen agency.
    admin.say("/undang")
    admin.expect("which agency")
    for _ in range(10):
        picker = admin.user.messages()[-1]
        labels = [b.text for row in picker.buttons for b in row]
        if any(label.startswith("DPU ·") for label in labels):
            break
        admin.user.press(picker.message_id, text="Next")
        wait_until(lambda: [b.text for row in admin.user.messages()[-1].buttons for b in row] != labels, message="next page")
    admin.user.press(admin.user.messages()[-1].message_id, text="DPU ·")
    admin.press("Head of the agency")
    link = admin.expect("One-time invitation")
    payload = re.search(r"start=(inv_[\w-]+)", link.text)
    assert payload is not None
    head = Chat(emulator.user(first_name="Kepala", language_code="id"))
    head.say(f"/start {payload.group(1)}")
    head.expect("kepala")
    assert query(database_url, "SELECT agency_code, is_head FROM officers WHERE telegram_id = :i", i=head.user.id) == [("DPU", True)]
    assert query(database_url, "SELECT created_by FROM invites") == [(f"admin:{admin.user.id}",)]
