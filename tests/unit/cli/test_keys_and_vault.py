"""`aduan keys ...` and `aduan vault ...` (bot/cli/keys.py, bot/cli/vault.py): keys with k-of-n
shares, a lawful disclosure, the audit chain, rotation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.unit.cli.support import NOW, cli, query


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
