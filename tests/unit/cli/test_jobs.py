"""`aduan jobs ...` (bot/cli/jobs.py): listing the scheduled jobs and running one as of an instant."""

from __future__ import annotations

import re

import pytest

from tests.unit.cli.support import cli


def test_jobs_list_names_each_job_and_its_next_run(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "jobs", "list")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["reminders", "digest", "weekly", "monthly"]
    assert all(re.search(r"next \d{4}-\d\d-\d\d \d\d:\d\d WITA", line) for line in lines)
    assert "08:00 WITA" in lines[1] and "08:02 WITA" in lines[3]


def test_jobs_run_as_of_an_instant_and_refuses_unknown_jobs(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "jobs", "run", "nope")
    assert code == 1 and "reminders" in err
    code, _, err = cli(capsys, "jobs", "run", "reminders", "--at", "yesterday")
    assert code == 1 and "ISO-8601" in err
    code, out, _ = cli(capsys, "jobs", "run", "weekly", "--at", "2026-12-07T08:00")
    assert code == 0 and "weekly as of 2026-12-07 08:00 WITA: 0 message(s) queued" in out  # no admins yet
    code, out, _ = cli(capsys, "jobs", "run", "reminders", "--at", "2026-12-07T21:30+08:00")
    assert code == 0 and "2026-12-07 21:30 WITA: 0 message(s)" in out
