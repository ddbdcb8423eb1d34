"""A case goes overdue: `aduan jobs run reminders --at …` (the clock moved, not slept) and the bot
delivers to the officer, the head and the admins exactly once, in quiet hours nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

from cases.calendar import WorkCalendar
from tests.e2e.chat import Chat
from tests.e2e.harness import query
from tests.e2e.test_case_access import seed_case
from tests.e2e.test_case_lifecycle import join
from tests.e2e.test_officer_join import invite

ROOT = Path(__file__).resolve().parents[2]


def run_job(database_url: str, admin_id: int, name: str, at: datetime) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "ADMIN_TELEGRAM_IDS": str(admin_id)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    done = subprocess.run([sys.executable, "-m", "bot", "jobs", "run", name, "--at", at.isoformat()],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_overdue_case_reaches_officer_head_and_admins_once(emulator, bot, admin, database_url):
    officer = join(emulator, database_url, "DPU", "Petugas PU", "id")
    head = Chat(emulator.user(first_name="Kepala PU", language_code="id"), timeout=30)
    head.say(f"/start {invite(database_url, 'DPU', as_head=True)}")
    head.expect("kepala")
    citizen = Chat(emulator.user(first_name="Warga", language_code="id"))
    citizen.say("/start")
    citizen.expect("Kanal Aduan")
    case_id, ticket = seed_case(database_url, citizen.user.id, 1, "DPU")
    (due,) = query(database_url, "SELECT response_due FROM complaints WHERE id = :i", i=case_id)[0]
    due = due if isinstance(due, date) else date.fromisoformat(due)
    calendar = WorkCalendar()
    third_late_day = calendar.add_working_days(due, 3)
    morning = datetime.combine(third_late_day, time(9), calendar.tz)

    assert "0 message(s)" in run_job(database_url, admin.id, "reminders", datetime.combine(third_late_day, time(21), calendar.tz))
    first = run_job(database_url, admin.id, "reminders", morning)
    assert "3 message(s)" in first, first  # officer, head, admin: one message each
    assert "0 message(s)" in run_job(database_url, admin.id, "reminders", morning), "a second sweep sends nothing"

    note = officer.expect("Pengingat")
    assert ticket in note.text and "terlambat 3 hari kerja" in note.text
    assert "Dieskalasikan" in head.expect("Pengingat").text
    boss = Chat(admin)
    escalated = boss.expect("Pengingat")
    assert "Dinas Pekerjaan Umum" in escalated.text and ticket in escalated.text
    officer.press(ticket)  # the reminder's button opens the case, ready to answer
    assert officer.expect("Rahasia kasus 1").button("Jawab pelapor")
    assert sum("Pengingat" in text for text in officer.texts() + head.texts() + boss.texts()) == 3
    assert query(database_url, "SELECT tier FROM reminders ORDER BY tier") == [(0,), (1,), (2,)]
