"""Operator commands (`aduan opd ...`, `aduan admin ...`) and storage.roles, on fresh SQLite files."""

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

from bot.cli import main
from storage import roles
from storage.agencies import DEFAULT_CSV
from storage.db import Database, upgrade
from storage.models import Admin, Agency, Invite, Officer

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
LINK = re.compile(r"https://t\.me/(\w+)\?start=(\S+)")


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'aduan.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ADMIN_TELEGRAM_IDS", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return url


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def query(url: str, work):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        database = Database(url)
        try:
            async with database.write() as session, session.begin():
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(run())


def agencies(url: str) -> dict[str, Agency]:
    async def work(session):  # type: ignore[no-untyped-def]
        return {a.code: a for a in (await session.scalars(select(Agency))).all()}

    return query(url, work)


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def seed(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "opd", "import", str(DEFAULT_CSV))[0] == 0


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


# --- admin ------------------------------------------------------------------------------------


def test_admin_add_remove_list(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "500,600")
    code, out, _ = cli(capsys, "admin", "add", "123")
    assert code == 0 and "123 is now an admin" in out
    code, out, _ = cli(capsys, "admin", "add", "123")
    assert code == 0 and "already an admin" in out
    code, out, _ = cli(capsys, "admin", "list")
    assert code == 0
    assert re.search(r"^123\s+database\s+\d{4}-\d\d-\d\d \d\d:\d\d WITA\s+cli$", out, re.MULTILINE)
    assert re.search(r"^500\s+ADMIN_TELEGRAM_IDS\s+setting$", out, re.MULTILINE)
    assert re.search(r"^600\s+ADMIN_TELEGRAM_IDS\s+setting$", out, re.MULTILINE)

    code, _, err = cli(capsys, "admin", "remove", "500")
    assert code == 1 and "ADMIN_TELEGRAM_IDS" in err and "remove it from that setting" in err
    code, out, _ = cli(capsys, "admin", "remove", "123")
    assert code == 0 and "123 removed" in out
    code, _, err = cli(capsys, "admin", "remove", "123")
    assert code == 1 and "123 is not an admin" in err
    code, _, err = cli(capsys, "admin", "add", "0")
    assert code == 1 and "not a Telegram user id" in err

    async def check(session):  # type: ignore[no-untyped-def]
        count = await session.scalar(select(func.count()).select_from(Admin))
        return count, await roles.is_admin(session, 500, (500, 600)), await roles.is_admin(session, 123, (500,))

    assert query(db_url, check) == (0, True, False)


def test_bad_setting_is_one_line_exit_2(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "abc")
    with pytest.raises(SystemExit) as exited:
        main(["admin", "list"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


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


def test_jobs_list_names_each_job_and_its_next_run(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "jobs", "list")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["reminders", "digest", "weekly"]
    assert all(re.search(r"next \d{4}-\d\d-\d\d \d\d:\d\d WITA", line) for line in lines)
    assert "08:00 WITA" in lines[1]


def test_jobs_run_as_of_an_instant_and_refuses_unknown_jobs(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "jobs", "run", "nope")
    assert code == 1 and "reminders" in err
    code, _, err = cli(capsys, "jobs", "run", "reminders", "--at", "yesterday")
    assert code == 1 and "ISO-8601" in err
    code, out, _ = cli(capsys, "jobs", "run", "weekly", "--at", "2026-12-07T08:00")
    assert code == 0 and "weekly as of 2026-12-07 08:00 WITA: 0 message(s) queued" in out  # no admins yet
    code, out, _ = cli(capsys, "jobs", "run", "reminders", "--at", "2026-12-07T21:30+08:00")
    assert code == 0 and "2026-12-07 21:30 WITA: 0 message(s)" in out


def _anonymous_report(url: str, key_file: Path) -> str:
    """An anonymous report as the bot stores it: sealed content, identity sealed to the disclosure key."""
    from datetime import date

    from storage import vault as vaults
    from storage.models import AnonReport
    from storage.repo import Repository, new_complaint

    vault = vaults.load(key_file)

    async def work(session):  # type: ignore[no-untyped-def]
        repo = Repository(session)
        complaint = await repo.add_complaint(new_complaint(
            ticket=await repo.next_ticket(2026), citizen_id=None, source_update_id=1, report_class="pengaduan",
            topic="anonim", title="Laporan anonim #ABC", description="", event_date=date(2026, 1, 2), privacy="anonim",
            language="id", status="submitted", created_at=NOW, verification_due=date(2026, 1, 8), anonymous=True,
            pseudonym="#ABC"), [], "whistleblower")  # fmt: skip
        session.add(AnonReport(complaint_id=complaint.id, content=vault.seal_json({"what": "pungli loket"}, f"report:{complaint.id}"),
                               identity=vault.seal_identity({"telegram_user_id": 864209753, "username": "saksi"})))  # fmt: skip
        return complaint.ticket

    return query(url, work)


def test_keys_init_disclose_with_k_of_n_shares_audit_and_rotate(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from storage import vault as vaults
    from storage.models import AnonReport, VaultAudit

    key_file = tmp_path / "keys" / "vault.json"
    monkeypatch.setenv("VAULT_KEY_FILE", str(key_file))
    code, out, _ = cli(capsys, "keys", "init", "--out", str(tmp_path / "shares"), "--shares", "3", "--threshold", "2")
    assert code == 0 and "OFF this server" in out
    shares = sorted((tmp_path / "shares").glob("disclosure-share-*.txt"))
    assert len(shares) == 3 and key_file.stat().st_mode & 0o777 == 0o600
    assert cli(capsys, "keys", "init", "--out", str(tmp_path / "again"))[0] == 1, "never overwrite keys"
    ticket = _anonymous_report(db_url, key_file)

    code, out, err = cli(capsys, "vault", "disclose", ticket, "--key", str(shares[0]), "--operator", "Kadis", "--reason", "Putusan PN 1/2026")
    assert code == 1 and "864209753" not in out and "do not combine" in err, "one share of two opens nothing"
    code, out, _ = cli(capsys, "vault", "disclose", ticket, "--key", str(shares[0]), "--key", str(shares[2]), "--operator", "Kadis", "--reason", "Putusan PN 1/2026")
    assert code == 0 and "telegram_user_id: 864209753" in out and "cannot be told" in out

    code, out, _ = cli(capsys, "keys", "rotate")
    assert code == 0 and "k2" in out
    vault = vaults.load(key_file)
    assert sorted(vault.keys) == ["k2"]

    async def read(session):  # type: ignore[no-untyped-def]
        report = (await session.scalars(select(AnonReport))).one()
        return vault.open_json(report.content, f"report:{report.complaint_id}")

    assert query(db_url, read) == {"what": "pungli loket"}, "rotation keeps every record readable"
    code, out, _ = cli(capsys, "vault", "audit")
    assert code == 0 and "OK: 3 entries" in out and "disclose" in out and "Putusan PN 1/2026" in out

    async def tamper(session):  # type: ignore[no-untyped-def]
        row = (await session.scalars(select(VaultAudit).where(VaultAudit.action == "disclose"))).one()
        row.detail = "nothing happened"

    query(db_url, tamper)
    code, out, _ = cli(capsys, "vault", "audit")
    assert code == 1 and "BROKEN" in out
