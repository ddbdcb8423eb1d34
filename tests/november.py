"""A November 2026 of five reports, seeded through the case rules with known times (WITA): the
scenario the figures, the exports and the statistics screens are checked against."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time

from cases import workflow
from cases.calendar import WITA
from storage import agencies, cases
from storage.db import Database
from storage.models import AnonReport, Complaint
from storage.repo import Repository, new_complaint

FORMULA = '=HYPERLINK("http://x","y")'
SECRET = "pungli di loket perizinan lantai dua"  # a whistleblower's words: never in a figure or file
NAME, USERNAME, PHONE = "Warga Uji", "warga_uji_77", "+6281234567890"  # the reporter: never in a file


def at(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime.combine(date(2026, month, day), time(hour), WITA)


def seed_november(database_url: str, citizen_id: int) -> dict[str, str]:
    """Five reports of November 2026; returns their tickets by letter.

    A  DPU, Tenggarong, infra.jalan: filed Mon 2, routed Tue 3, answered Wed 4 (on time), rated 1 on Thu 5
    B  DINKES, Loa Kulu, kes.puskesmas: filed Mon 9, routed Tue 10 (due 17), answered Fri 20 (late, 8 wd)
    C  Tenggarong: filed Wed 11, rejected Thu 12 as too vague
    D  DPU, Tenggarong, a title that looks like a formula: filed Thu 12, routed Fri 13, still open
    E  a whistleblower's report, routed to DPU on Mon 16
    """
    policy = workflow.Policy()
    admin, dpu, dinkes = workflow.Actor("admin", 1), workflow.Actor("officer", 2, "DPU"), workflow.Actor("officer", 3, "DINKES")
    citizen = workflow.Actor("citizen", citizen_id)

    async def run() -> dict[str, str]:
        db = Database(database_url)
        tickets: dict[str, str] = {}
        try:
            await agencies.seed_if_empty(db.write)
            async with db.write() as session, session.begin():
                repo = Repository(session)
                await repo.remember_user(citizen_id, NAME, USERNAME, "id", at(1))

                async def filed(letter: str, when: datetime, title: str, topic: str, kecamatan: str | None, **extra: object) -> Complaint:
                    complaint = await repo.add_complaint(new_complaint(
                        ticket=await repo.next_ticket(2026), citizen_id=extra.pop("citizen", citizen_id), source_update_id=-100 - len(tickets),
                        report_class="pengaduan", topic=topic, agency_code=None, title=title,
                        description=extra.pop("description", "Uraian kejadian yang cukup panjang untuk laporan uji statistik."),
                        event_date=when.date(), kecamatan=kecamatan, privacy=extra.pop("privacy", "biasa"), language="id",
                        status="submitted", created_at=when, verification_due=policy.calendar.deadline(when, 3), **extra), [],
                        actor=f"citizen:{citizen_id}")  # fmt: skip
                    tickets[letter] = complaint.ticket
                    return complaint

                async def step(complaint: Complaint, rule, actor: workflow.Actor, when: datetime, **arguments: object) -> None:  # type: ignore[no-untyped-def]
                    await cases.record(session, complaint, rule(cases.case_view(complaint), actor, when, policy, **arguments), actor, when)

                a = await filed("A", at(2), "Jalan berlubang di Jl. Mangkurawang", "infra.jalan", "Tenggarong", phone=PHONE)
                await step(a, workflow.verify_and_route, admin, at(3, 10), agency_code="DPU")
                await step(a, workflow.classify, admin, at(3, 11), maladministration="penundaan")
                await step(a, workflow.respond, dpu, at(4, 14), text="Sudah kami tambal.")
                await step(a, workflow.rate, citizen, at(5), score=1, comment="Tidak diperbaiki sama sekali")
                b = await filed("B", at(9), "Obat kosong di Puskesmas Loa Kulu", "kes.puskesmas", "Loa Kulu")
                await step(b, workflow.verify_and_route, admin, at(10), agency_code="DINKES")
                await step(b, workflow.respond, dinkes, at(20, 10), text="Stok sudah datang.")
                c = await filed("C", at(11), "Tidak jelas sama sekali laporan ini", "lain", "Tenggarong")
                await step(c, workflow.reject, admin, at(12), reason="Terlalu umum", code="vague")
                d = await filed("D", at(12), FORMULA, "infra.drainase", "Tenggarong")
                await step(d, workflow.verify_and_route, admin, at(13), agency_code="DPU")
                day = at(16, 0)
                e = await filed("E", day, "Laporan anonim #ABC", "anonim", None, citizen=None, privacy="anonim",
                                description="", anonymous=True, pseudonym="#ABC")  # fmt: skip
                session.add(AnonReport(complaint_id=e.id, content=SECRET.encode(), identity=b"sealed"))
                await step(e, workflow.verify_and_route, admin, at(16, 11), agency_code="DPU")
            return tickets
        finally:
            await db.dispose()

    return asyncio.run(run())
