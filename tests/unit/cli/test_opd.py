"""`aduan opd ...` (bot/cli/opd.py): the agency directory, officers, invitations, and the
storage.roles rules behind them (one-time invitations, heads, revocation)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import roles
from storage.agencies import DEFAULT_CSV
from storage.db import Database, upgrade
from storage.models import Agency, Invite, Officer, User
from storage.repo import Repository
from tests.unit.cli.support import LINK, NOW, ROOT, agencies, cli, query, seed, write_csv

# --- opd import -------------------------------------------------------------------------------


def test_import_shipped_list_then_nothing_changed(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "opd", "import", str(DEFAULT_CSV))
    assert code == 0, err
    assert "added (58):" in out and "DISKOMINFO" in out
    found = agencies(db_url)
    assert len(found) == 58 and all(a.active for a in found.values())
    assert found["DINKES"].name == "Dinas Kesehatan" and found["DINKES"].kind == "dinas"

    code, out, _ = cli(capsys, "opd", "import", str(DEFAULT_CSV))
    assert code == 0
    assert "nothing changed" in out and "added" not in out


def test_import_changes_deactivates_and_reactivates(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(db_url, capsys)
    lines = DEFAULT_CSV.read_text(encoding="utf-8").splitlines()
    edited = [line for line in lines if not line.startswith("DISPAR,")]
    edited = [line.replace("Dinas Kesehatan", "Dinas Kesehatan Kukar") for line in edited]
    edited.append("dinas-baru,Dinas Baru,dinas,no")  # lower case code is upper-cased
    changed = write_csv(tmp_path / "edited.csv", "\n".join(edited) + "\n")

    code, out, err = cli(capsys, "opd", "import", str(changed))
    assert code == 0, err
    assert "added (1): DINAS-BARU" in out
    assert "changed (1): DINKES" in out
    assert "deactivated (1): DISPAR" in out
    found = agencies(db_url)
    assert found["DISPAR"].active is False and found["DISPAR"].name == "Dinas Pariwisata"  # kept, not deleted
    assert found["DINKES"].name == "Dinas Kesehatan Kukar"

    code, out, _ = cli(capsys, "opd", "import", str(DEFAULT_CSV))
    assert code == 0
    assert "reactivated (1): DISPAR" in out and "deactivated (1): DINAS-BARU" in out and "changed (1): DINKES" in out
    assert agencies(db_url)["DISPAR"].active is True


def test_bad_rows_are_all_reported_and_nothing_is_imported(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(db_url, capsys)
    bad = write_csv(
        tmp_path / "bad.csv",
        "code,name,kind,confirmed\n"
        "DISKOMINFO,Dinas Komunikasi dan Informatika Baru,dinas,yes\n"  # 2: fine
        ",No Code,dinas,yes\n"  # 3
        "OK1,,dinas,yes\n"  # 4
        "BAD CODE,Spaces,dinas,yes\n"  # 5
        "-X,Leading dash,dinas,yes\n"  # 6
        "DISKOMINFO,Twice,dinas,yes\n"  # 7
        f"LONG,{'x' * 201},dinas,yes\n"  # 8
        "NEWONE,Would Be Added,dinas,yes\n",  # 9: fine
    )
    code, _, err = cli(capsys, "opd", "import", str(bad))
    assert code == 1
    reported = [line for line in err.splitlines() if line.startswith(f"{bad}:")]
    assert [int(line.split(":")[1]) for line in reported] == [3, 4, 5, 6, 7, 8]
    assert "missing code" in err and "missing name" in err and "duplicate code DISKOMINFO (first on line 2)" in err
    assert "name is 201 characters" in err and "nothing imported" in err
    found = agencies(db_url)
    assert len(found) == 58 and "NEWONE" not in found
    assert found["DISKOMINFO"].name == "Dinas Komunikasi dan Informatika"
    assert all(a.active for a in found.values())


def test_missing_header_and_empty_file_are_refused(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(db_url, capsys)
    no_name = write_csv(tmp_path / "h.csv", "code,title\nA1,Something\n")
    code, _, err = cli(capsys, "opd", "import", str(no_name))
    assert code == 1 and f"{no_name}:1: missing required column(s): name" in err
    empty = write_csv(tmp_path / "e.csv", "code,name,kind\n")
    code, _, err = cli(capsys, "opd", "import", str(empty))
    assert code == 1 and "no agencies in the file" in err
    assert all(a.active for a in agencies(db_url).values())


def test_import_exit_code_in_a_subprocess(db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    env.pop("ADMIN_TELEGRAM_IDS", None)
    bad = write_csv(tmp_path / "bad.csv", "code,name,kind\nA,Too short a code,dinas\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "opd", "import", str(bad)], check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and f"{bad}:2: invalid code" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "bot", "opd", "import", str(DEFAULT_CSV)], check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "added (58)" in done.stdout


# --- opd list / officers / revoke --------------------------------------------------------------


def test_list_shows_officers_head_and_inactive_with_all(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(db_url, capsys)
    only_two = write_csv(tmp_path / "two.csv", "code,name,kind\nDINKES,Dinas Kesehatan,dinas\nDISPAR,Dinas Pariwisata,dinas\n")
    assert cli(capsys, "opd", "import", str(only_two))[0] == 0

    async def staff(session):  # type: ignore[no-untyped-def]
        for tid, as_head in ((111, True), (222, False)):
            _, payload = await roles.create_invite(session, "DINKES", as_head, "test", NOW, timedelta(hours=1))
            await roles.redeem_invite(session, payload, tid, NOW)

    query(db_url, staff)
    code, out, _ = cli(capsys, "opd", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "KIND", "ACTIVE", "OFFICERS", "HEAD"]
    assert re.search(r"^DINKES\s+Dinas Kesehatan\s+dinas\s+yes\s+2\s+111$", out, re.MULTILINE)
    assert re.search(r"^DISPAR\s+Dinas Pariwisata\s+dinas\s+yes\s+0\s+—$", out, re.MULTILINE)
    assert "DISKOMINFO" not in out

    code, out, _ = cli(capsys, "opd", "list", "--all")
    assert re.search(r"^DISKOMINFO\s+Dinas Komunikasi dan Informatika\s+dinas\s+no\s+0\s+—$", out, re.MULTILINE)
    assert "58 agencies" in out

    code, out, _ = cli(capsys, "opd", "officers", "dinkes")
    assert code == 0
    assert re.search(r"^111\s+head\s+2026-01-05$", out, re.MULTILINE) and re.search(r"^222\s+2026-01-05$", out, re.MULTILINE)


def test_revoke(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    seed(db_url, capsys)

    async def staff(session):  # type: ignore[no-untyped-def]
        _, payload = await roles.create_invite(session, "DINKES", True, "test", NOW, timedelta(hours=1))
        await roles.redeem_invite(session, payload, 111, NOW)

    query(db_url, staff)
    code, out, _ = cli(capsys, "opd", "revoke", "DINKES", "111")
    assert code == 0 and "revoked 111" in out and "no head" in out
    code, _, err = cli(capsys, "opd", "revoke", "DINKES", "111")
    assert code == 1 and "not an active officer of DINKES" in err
    code, _, err = cli(capsys, "opd", "revoke", "NOPE", "111")
    assert code == 1 and "no agency with code NOPE" in err

    async def check(session):  # type: ignore[no-untyped-def]
        rows = (await session.scalars(select(Officer))).all()
        return [(o.telegram_id, o.revoked_at is not None) for o in rows], await roles.officers_of(session, "DINKES")

    rows, active = query(db_url, check)
    assert rows == [(111, True)] and active == []


# --- invites ----------------------------------------------------------------------------------


def test_cli_invite_link_and_hash_only(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    seed(db_url, capsys)
    code, out, err = cli(capsys, "opd", "invite", "diskominfo", "--head", "--hours", "48", "--bot-username", "@kukar_aduan_bot")
    assert code == 0, err
    username, payload = LINK.search(out).groups()  # type: ignore[union-attr]
    assert username == "kukar_aduan_bot"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload) and payload.startswith("inv_")
    assert len(payload) - 4 >= 22  # >= 128 bits of base64url
    assert re.search(r"valid until \d{4}-\d\d-\d\d \d\d:\d\d WITA \(48 hours\)", out)

    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "from_env_bot")
    _, out, _ = cli(capsys, "opd", "invite", "DINKES")
    assert "https://t.me/from_env_bot?start=inv_" in out and "(72 hours)" in out

    async def invites(session):  # type: ignore[no-untyped-def]
        return (await session.scalars(select(Invite).order_by(Invite.id))).all()

    first = query(db_url, invites)[0]
    assert first.agency_code == "DISKOMINFO" and first.as_head and first.created_by == "cli"
    assert timedelta(hours=47, minutes=59) < first.expires_at - first.created_at <= timedelta(hours=48, seconds=1)
    secret = payload.removeprefix("inv_")
    assert first.secret_hash == roles.hash_secret(secret)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("aduan.sqlite3*"))
    assert secret.encode() not in raw and payload.encode() not in raw
    assert first.secret_hash.encode() in raw

    async def redeem(session):  # type: ignore[no-untyped-def]
        officer = await roles.redeem_invite(session, payload, 777, datetime.now(UTC))
        return officer.agency_code, officer.is_head

    assert query(db_url, redeem) == ("DISKOMINFO", True)


def test_cli_invite_refuses_unknown_and_inactive(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(db_url, capsys)
    code, out, err = cli(capsys, "opd", "invite", "NOPE")
    assert code == 1 and "no agency with code NOPE" in err and "t.me" not in out
    one = write_csv(tmp_path / "one.csv", "code,name,kind\nDINKES,Dinas Kesehatan,dinas\n")
    assert cli(capsys, "opd", "import", str(one))[0] == 0
    code, out, err = cli(capsys, "opd", "invite", "DISPAR")
    assert code == 1 and "DISPAR is inactive" in err and "t.me" not in out
    code, _, err = cli(capsys, "opd", "invite", "DINKES", "--hours", "0")
    assert code == 1 and "--hours" in err


@pytest.fixture
async def database(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'roles.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    async with db.write() as session, session.begin():
        session.add_all(
            [
                Agency(code="DINKES", name="Dinas Kesehatan", kind="dinas"),
                Agency(code="DISPAR", name="Dinas Pariwisata", kind="dinas"),
                Agency(code="OLD", name="Dinas Lama", kind="dinas", active=False),
            ]
        )
    yield db
    await db.dispose()


async def invite(db: Database, code: str = "DINKES", head: bool = False, ttl: timedelta = timedelta(hours=72)) -> str:
    async with db.write() as session, session.begin():
        return (await roles.create_invite(session, code, head, "test", NOW, ttl))[1]


async def redeem(db: Database, payload: str, telegram_id: int, now: datetime = NOW) -> Officer:
    async with db.write() as session, session.begin():
        return await roles.redeem_invite(session, payload, telegram_id, now)


async def test_redeem_once_then_used(database: Database) -> None:
    payload = await invite(database)
    assert re.fullmatch(r"inv_[A-Za-z0-9_-]+", payload) and len(payload) <= 64
    officer = await redeem(database, payload, 111, NOW + timedelta(hours=1))
    assert (officer.agency_code, officer.is_head, officer.telegram_id) == ("DINKES", False, 111)
    with pytest.raises(roles.InviteUsed):
        await redeem(database, payload, 222, NOW + timedelta(hours=2))
    async with database.read() as session:
        stored = (await session.scalars(select(Invite))).one()
        assert stored.used_by == 111 and stored.used_at == NOW + timedelta(hours=1)
        assert officer.invite_id == stored.id
        assert (await roles.officer_of(session, 111)).agency_code == "DINKES"  # type: ignore[union-attr]
        assert await roles.officer_of(session, 222) is None


async def test_expired_forged_and_malformed(database: Database) -> None:
    payload = await invite(database, ttl=timedelta(hours=1))
    with pytest.raises(roles.InviteExpired):
        await redeem(database, payload, 111, NOW + timedelta(hours=1))
    forged = "inv_" + "A" * 43
    for bad in (forged, payload[:-1] + ("A" if payload[-1] != "A" else "B"), "inv_", "hello", "", "inv_" + "x" * 70, "inv_abc$%^&*()"):
        with pytest.raises(roles.InviteUnknown):
            await redeem(database, bad, 111, NOW)
    assert issubclass(roles.InviteUnknown, roles.InviteError)
    async with database.read() as session:
        assert (await session.scalars(select(Invite))).one().used_at is None
        assert await session.scalar(select(func.count()).select_from(Officer)) == 0


async def test_inactive_agency_refused(database: Database) -> None:
    with pytest.raises(roles.AgencyInactive):
        await invite(database, "OLD")
    with pytest.raises(roles.AgencyUnknown):
        await invite(database, "NOPE")
    payload = await invite(database, "DISPAR")
    async with database.write() as session, session.begin():
        (await session.get(Agency, "DISPAR")).active = False  # type: ignore[union-attr]
    with pytest.raises(roles.AgencyInactive):
        await redeem(database, payload, 111)
    async with database.read() as session:
        assert (await session.scalars(select(Invite))).one().used_at is None


async def test_head_replacement_and_moving_agencies(database: Database) -> None:
    first_head = await redeem(database, await invite(database, head=True), 111)
    assert first_head.is_head
    await redeem(database, await invite(database), 222)  # an ordinary officer demotes no one
    async with database.read() as session:
        assert (await roles.head_of(session, "DINKES")).telegram_id == 111  # type: ignore[union-attr]

    await redeem(database, await invite(database, head=True), 333)
    async with database.read() as session:
        assert (await roles.head_of(session, "DINKES")).telegram_id == 333  # type: ignore[union-attr]
        staff = await roles.officers_of(session, "DINKES")
        assert [(o.telegram_id, o.is_head) for o in staff] == [(333, True), (111, False), (222, False)]

    # a head invitation for someone already there promotes the existing row
    await redeem(database, await invite(database, head=True), 222)
    async with database.read() as session:
        assert (await roles.head_of(session, "DINKES")).telegram_id == 222  # type: ignore[union-attr]
        assert len(await roles.officers_of(session, "DINKES")) == 3

    # 111 moves to DISPAR: the DINKES row is revoked, not deleted
    moved = await redeem(database, await invite(database, "DISPAR"), 111, NOW + timedelta(minutes=5))
    assert moved.agency_code == "DISPAR"
    async with database.read() as session:
        assert (await roles.officer_of(session, 111)).agency_code == "DISPAR"  # type: ignore[union-attr]
        assert [o.telegram_id for o in await roles.officers_of(session, "DINKES")] == [222, 333]
        rows = (await session.scalars(select(Officer).where(Officer.telegram_id == 111).order_by(Officer.id))).all()
        assert [(o.agency_code, o.revoked_at) for o in rows] == [("DINKES", NOW + timedelta(minutes=5)), ("DISPAR", None)]


async def test_revoke_officer_function(database: Database) -> None:
    await redeem(database, await invite(database), 111)
    async with database.write() as session, session.begin():
        with pytest.raises(roles.NotAnOfficer):
            await roles.revoke_officer(session, "DISPAR", 111, NOW)
        revoked = await roles.revoke_officer(session, "DINKES", 111, NOW)
        assert revoked.revoked_at == NOW
    async with database.read() as session:
        assert await roles.officer_of(session, 111) is None


async def test_staff_is_admin_or_active_officer(database: Database) -> None:
    """The staff half of the router's one statement agrees with the two checks it replaced, for
    each way of being (or having stopped being) staff."""
    await redeem(database, await invite(database), 111)  # active officer
    await redeem(database, await invite(database, "DISPAR"), 222)  # officer of an agency closed below
    await redeem(database, await invite(database), 333)  # revoked below
    async with database.write() as session, session.begin():
        await roles.add_admin(session, 444, "test", NOW)
        (await session.get(Agency, "DISPAR")).active = False  # type: ignore[union-attr]
        await roles.revoke_officer(session, "DINKES", 333, NOW)
    env_admins = frozenset({555})
    async with database.read() as session:
        found = {tid: (await Repository(session).sender(tid, env_admins))[1] for tid in (111, 222, 333, 444, 555, 666)}
        expected = {tid: await roles.is_admin(session, tid, env_admins) or await roles.officer_of(session, tid) is not None
                    for tid in found}
    assert found == {111: True, 222: False, 333: False, 444: True, 555: True, 666: False}
    assert found == expected


async def test_the_sender_statement_gives_the_row_when_there_is_one_and_the_role_either_way(database: Database) -> None:
    """One statement for the router's first question: a stranger gets (None, staff?) too."""
    await redeem(database, await invite(database), 111)  # an officer, who may have no user row
    async with database.write() as session, session.begin():
        session.add(User(telegram_id=777, display_name="Warga", language="id", created_at=NOW, last_seen_at=NOW))
        session.add(User(telegram_id=888, display_name="Admin", language="id", created_at=NOW, last_seen_at=NOW))
        await roles.add_admin(session, 888, "test", NOW)
    async with database.read() as session:
        found = {tid: await Repository(session).sender(tid, frozenset({555})) for tid in (111, 555, 666, 777, 888)}
        rows = {tid: await session.get(User, tid) for tid in found}
    assert {tid: (user is not None, staff) for tid, (user, staff) in found.items()} == {
        111: (rows[111] is not None, True), 555: (False, True), 666: (False, False), 777: (True, False), 888: (True, True)}
    assert found[777][0] is rows[777] and found[777][0].display_name == "Warga"  # type: ignore[union-attr]
