"""The figures' SQL side (`storage.statistics`) on a real database (SQLite, or PostgreSQL with
TEST_DATABASE_URL): a December 2026 of complaints moved through the real case rules
(`cases.workflow` + `storage.cases.record`) — routings, a *bukan wewenang* return and a re-route,
rejections with and without a reason code, a duplicate, questions to the reporter from Diskominfo
and from an agency, answers on time and late, ratings, a reopening, maladministration findings,
reminder rows per tier and one whistleblower's case — then `statistics.dataset` and
`cases.figures.compute` against figures worked out by hand, and `statistics.received` /
`pauses_of_received` (the report's Data sheet).

Working days: Thursday 24 and Friday 25 December 2026 are days off (cuti bersama, Christmas),
as are Friday 1 and Tuesday 5 January 2027.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cases import workflow
from cases.figures import (
    Bucket,
    CaseRow,
    Duration,
    Figures,
    LowRating,
    OpenCase,
    Pause,
    Period,
    Scope,
    Tallies,
    compute,
)
from cases.reminders import ADMINS, HEAD, OFFICERS
from storage import agencies, reminders, statistics
from storage import cases as records
from storage.db import Database, upgrade_async
from storage.models import Complaint, User
from storage.repo import Repository, new_complaint
from tests.e2e.harness import fresh_database

WITA = ZoneInfo("Asia/Makassar")
POLICY = workflow.Policy()
DECEMBER = Period(date(2026, 12, 1), date(2026, 12, 31))
AS_OF = datetime(2026, 12, 31, 16, 0, tzinfo=WITA)  # Thursday 31 December, 16:00 WITA
CITIZEN = 11
ADMIN = workflow.Actor("admin", 99)
REPORTER = workflow.Actor("citizen", CITIZEN)
WHISTLEBLOWER = workflow.Actor("whistleblower")
DPU = workflow.Actor("officer", 21, "DPU")
DINKES = workflow.Actor("officer", 31, "DINKES")


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), WITA)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def dec(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return at(d(12, day), hour, minute)


@dataclass
class Scenario:
    """The cases by letter: their ids and tickets."""

    ids: dict[str, int] = field(default_factory=dict)
    tickets: dict[str, str] = field(default_factory=dict)

    def id(self, name: str) -> int:
        return self.ids[name]


class Office:
    """Files complaints and moves them through the case rules, each step at its own moment."""

    def __init__(self, session: Any, scenario: Scenario) -> None:
        self.session = session
        self.repo = Repository(session)
        self.scenario = scenario
        self.complaints: dict[str, Complaint] = {}

    async def file(self, name: str, when: datetime, topic: str, kecamatan: str | None, *, report_class: str = "pengaduan",
                   privacy: str = "biasa", anonymous: bool = False, agency: str | None = None) -> None:
        complaint = await self.repo.add_complaint(new_complaint(
            ticket=await self.repo.next_ticket(2026), citizen_id=None if anonymous else CITIZEN,
            source_update_id=len(self.complaints) + 1, report_class=report_class, topic=topic, agency_code=agency,
            title="Laporan anonim #ABC" if anonymous else f"Kasus {name}", description="x" * 40,
            event_date=when.date(), kecamatan=kecamatan, privacy=privacy, language="id", status="submitted",
            created_at=when, verification_due=POLICY.calendar.deadline(when, POLICY.verification_days),
            anonymous=anonymous, pseudonym="#ABC" if anonymous else None,
        ), [], "whistleblower" if anonymous else f"citizen:{CITIZEN}")  # fmt: skip
        self.complaints[name] = complaint
        self.scenario.ids[name] = complaint.id
        self.scenario.tickets[name] = complaint.ticket

    async def act(self, name: str, action: str, actor: workflow.Actor, when: datetime, **args: Any) -> None:
        complaint = self.complaints[name]
        step = getattr(workflow, action)(records.case_view(complaint), actor, when, POLICY, **args)
        await records.record(self.session, complaint, step, actor, when)

    async def remind(self, name: str, kind: str, tier: int, day: date) -> None:
        case_id = self.scenario.id(name)
        assert await reminders.claim(self.session, f"{case_id}:{kind}:{tier}:{day.isoformat()}", kind, day, at(day, 7),
                                     complaint_id=case_id, tier=tier)  # fmt: skip


async def build(url: str) -> Scenario:
    await upgrade_async(url)
    db = Database(url)
    scenario = Scenario()
    try:
        await agencies.seed_if_empty(db.write)
        async with db.write() as session, session.begin():
            session.add(User(telegram_id=CITIZEN, display_name="Warga", language="id", created_at=at(d(11, 1)),
                             last_seen_at=at(d(11, 1))))  # fmt: skip
            await session.flush()
            o = Office(session, scenario)
            # I: filed and routed in November, answered Tue 1 Dec (1 day; due Mon 7 Dec).
            await o.file("I", at(d(11, 27)), "infra.pju", "Tenggarong")
            await o.act("I", "verify_and_route", ADMIN, at(d(11, 30), 9), agency_code="DPU")
            await o.act("I", "respond", DPU, dec(1), text="Sudah diganti")
            # J: rejected on Monday 30 November at 23:30 WITA (15:30 UTC): not a December decision.
            await o.file("J", at(d(11, 27), 11), "kes.lain", "Anggana")
            await o.act("J", "reject", ADMIN, at(d(11, 30), 23, 30), reason="Terlalu umum", code="vague")
            # A: filed Tue 1 Dec 00:30 WITA (still 30 Nov in UTC); routed Wed 2 to DPU, answered
            # Fri 4 (due Wed 9), rated 5 on Mon 7.
            await o.file("A", dec(1, 0, 30), "infra.jalan", "Tenggarong")
            await o.act("A", "verify_and_route", ADMIN, dec(2, 9), agency_code="DPU")
            await o.act("A", "respond", DPU, dec(4), text="Sudah ditambal")
            await o.act("A", "rate", REPORTER, dec(7), score=5)
            # B: Diskominfo asks Wed 2, the reporter answers Mon 7 (due Fri 4 moves 3 working days
            # to Wed 9); routed Tue 8 to DPU, returned Wed 9, re-routed Thu 10 to DINKES (due Thu
            # 17), answered late on Mon 21, rated 1 on Tue 22, reopened Wed 23 (due Mon 4 Jan).
            await o.file("B", dec(1), "kes.puskesmas", "Loa Kulu", privacy="rahasia")
            await o.act("B", "request_info", ADMIN, dec(2), question="Puskesmas yang mana?")
            await o.act("B", "answer_info", REPORTER, dec(7), text="Puskesmas Loa Kulu")
            await o.act("B", "verify_and_route", ADMIN, dec(8, 9), agency_code="DPU")
            await o.act("B", "not_ours", DPU, dec(9), reason="Urusan Dinas Kesehatan")
            await o.act("B", "verify_and_route", ADMIN, dec(10, 9), agency_code="DINKES")
            await o.act("B", "respond", DINKES, dec(21), text="Sudah ditegur")
            await o.act("B", "rate", REPORTER, dec(22), score=1)
            await o.act("B", "reopen", REPORTER, dec(23), reason="Belum ada perubahan")
            # C: routed Thu 3 to DPU (due Thu 10); DPU asks Mon 7, the reporter answers Wed 9 (due
            # moves 2 working days to Mon 14); answered Fri 11.
            await o.file("C", dec(2), "infra.drainase", "Tenggarong", report_class="aspirasi")
            await o.act("C", "verify_and_route", ADMIN, dec(3, 9), agency_code="DPU")
            await o.act("C", "request_info", DPU, dec(7), question="Di RT berapa?")
            await o.act("C", "answer_info", REPORTER, dec(9), text="RT 12")
            await o.act("C", "respond", DPU, dec(11), text="Dijadwalkan")
            # D: routed Mon 7 to DPU (due Mon 14), classified as undue delay, answered late Fri 18.
            await o.file("D", dec(3), "infra.jalan", "Samboja")
            await o.act("D", "verify_and_route", ADMIN, dec(7, 9), agency_code="DPU")
            await o.act("D", "classify", ADMIN, dec(17, 9), maladministration="penundaan")
            await o.act("D", "respond", DPU, dec(18), text="Sudah diperbaiki")
            # E: rejected Mon 7 with a listed reason; F: rejected Fri 11 with one written by hand.
            await o.file("E", dec(4), "kes.bpjs", "Loa Kulu")
            await o.act("E", "reject", ADMIN, dec(7), reason="Terlalu umum", code="vague")
            await o.file("F", dec(7), "pend.sekolah", "Tenggarong", report_class="informasi")
            await o.act("F", "reject", ADMIN, dec(11), reason="Sudah dijawab di situs sekolah")
            # G: a whistleblower's, routed Wed 9 to DINKES (due Wed 16), classified as a demand for
            # payment, answered Tue 15, rated 2 on Wed 16.
            await o.file("G", dec(8), "anonim", None, privacy="anonim", anonymous=True, agency="DINKES")
            await o.act("G", "verify_and_route", ADMIN, dec(9, 9), agency_code="DINKES")
            await o.act("G", "classify", ADMIN, dec(9, 11), maladministration="imbalan")
            await o.act("G", "respond", DINKES, dec(15), text="Petugas diperiksa")
            await o.act("G", "rate", WHISTLEBLOWER, dec(16), score=2)
            # H: a duplicate of A; K: routed Tue 15 to DINKES (due Tue 22), never answered.
            await o.file("H", dec(9), "infra.jalan", "Tenggarong")
            await o.act("H", "mark_duplicate", ADMIN, dec(10), of_ticket=scenario.tickets["A"])
            await o.file("K", dec(14), "kes.lain", "Muara Badak")
            await o.act("K", "verify_and_route", ADMIN, dec(15, 9), agency_code="DINKES")
            # L: Diskominfo asks Tue 29; no answer yet.
            await o.file("L", dec(28), "duk.ktp", "Anggana")
            await o.act("L", "request_info", ADMIN, dec(29), question="Nomor KK?")
            # Reminders as the scheduler would claim them: (kind, tier, day).
            for kind, tier, day in (("due", OFFICERS, d(12, 17)), ("overdue", OFFICERS, d(12, 18)), ("overdue", HEAD, d(12, 18)),
                                    ("overdue", OFFICERS, d(12, 21)), ("overdue", HEAD, d(12, 21)),
                                    ("verify_due", ADMINS, d(12, 4))):  # fmt: skip
                await o.remind("B", kind, tier, day)
            for kind, tier, day in (("due", OFFICERS, d(12, 14)), ("overdue", OFFICERS, d(12, 15)), ("overdue", HEAD, d(12, 15)),
                                    ("overdue", OFFICERS, d(12, 16)), ("overdue", HEAD, d(12, 16)),
                                    ("overdue", OFFICERS, d(12, 17)), ("overdue", HEAD, d(12, 17)),
                                    ("overdue", ADMINS, d(12, 17))):  # fmt: skip
                await o.remind("D", kind, tier, day)
            for kind, tier, day in (("due", OFFICERS, d(12, 22)), ("overdue", OFFICERS, d(12, 23)), ("overdue", HEAD, d(12, 23)),
                                    ("overdue", OFFICERS, d(1, 4, 2027)), ("overdue", HEAD, d(1, 4, 2027)),
                                    ("overdue", ADMINS, d(1, 4, 2027))):  # fmt: skip
                await o.remind("K", kind, tier, day)
    finally:
        await db.dispose()
    return scenario


async def load(url: str, period: Period = DECEMBER, scope: Scope = Scope()) -> Tallies:
    db = Database(url)
    try:
        return await statistics.tallies(db.read, period, scope, POLICY.calendar, AS_OF)
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def december(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Scenario]]:
    """One database with the December scenario, read by the tests of this module."""
    with fresh_database(tmp_path_factory.mktemp("statistics")) as url:
        yield url, asyncio.run(build(url))


NOVEMBER_AND_DECEMBER = Period(d(11, 1), d(12, 31))


# -- the rows ------------------------------------------------------------------------------------------


def test_the_case_rows_hold_their_milestones(december: tuple[str, Scenario]) -> None:
    url, scenario = december
    streamed, pauses = asyncio.run(stream(url, NOVEMBER_AND_DECEMBER))
    names = {case_id: name for name, case_id in scenario.ids.items()}
    rows = {names[c.id]: c for c, _ in streamed}
    assert sorted(rows) == ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"]
    b = rows["B"]
    assert (b.status, b.agency, b.kecamatan, b.privacy, b.anonymous) == ("verified", "DINKES", "Loa Kulu", "rahasia", False)
    assert b.created_at == dec(1) and b.verification_due == d(12, 9)  # Fri 4 + the 3 paused days
    assert (b.verified_at, b.first_routed_at) == (dec(8, 9), dec(8, 9))
    assert (b.response_routed_at, b.first_response_at, b.first_response_due) == (dec(10, 9), dec(21), d(12, 17))
    assert (b.rating, b.rated_at, b.reopen_count, b.closed_at) == (1, dec(22), 1, None)
    assert b.response_due == d(1, 4, 2027)  # reopened Wed 23: 28, 29, 30, 31 Dec, (1 Jan off) 4 Jan
    # Every agency reminder about the case: tier 0 on 17, 18, 21 Dec; the head on 18 and 21; the
    # admins' verification reminder is not about the agency. K's include January's.
    assert (b.reminders, b.escalations) == (3, 2)
    assert (rows["D"].reminders, rows["D"].escalations) == (4, 4)
    assert (rows["K"].reminders, rows["K"].escalations) == (3, 3)
    c = rows["C"]
    assert (c.first_response_due, c.response_routed_at) == (d(12, 14), dec(3, 9))  # Thu 10 + 2 paused days
    g = rows["G"]
    assert (g.anonymous, g.kecamatan, g.topic, g.privacy, g.agency, g.maladministration) == (True, None, "anonim", "anonim", "DINKES", "imbalan")
    assert (g.rating, g.rated_at, g.closed_at, g.status) == (2, dec(16), dec(16), "closed")
    assert (rows["J"].verified_at, rows["J"].status) == (at(d(11, 30), 23, 30), "rejected")
    assert rows["I"].first_routed_at == at(d(11, 30), 9) and rows["I"].first_response_due == d(12, 7)
    n = scenario.id
    assert set(pauses) == {
        Pause(n("B"), dec(2), dec(7), agency=False),
        Pause(n("C"), dec(7), dec(9), agency=True),
        Pause(n("L"), dec(29), None, agency=False),  # still waiting for the reporter
    }


def test_the_tallies_count_the_periods_decisions(december: tuple[str, Scenario]) -> None:
    url, _ = december
    tallied = asyncio.run(load(url))
    decided = {(r.action, r.agency, r.code): r.n for r in tallied.decided}
    # November's decisions (I's routing, J's rejection at 23:30 WITA on the 30th) are not December's.
    # 7 routings: first ones A, B (to DPU), C, D, G, K, and B's re-route to DINKES; rejections E
    # (a listed reason) and F (none); H merged; B returned by DPU; answers A, C, D, I (DPU), B, G
    # (DINKES); B reopened.
    assert decided == {
        ("verify_and_route", "DPU", None): 4, ("verify_and_route", "DINKES", None): 3,
        ("reject", None, "vague"): 1, ("reject", None, None): 1, ("mark_duplicate", None, None): 1,
        ("not_ours", "DPU", None): 1, ("respond", "DPU", None): 4, ("respond", "DINKES", None): 2,
        ("reopen", "DINKES", None): 1,
    }  # fmt: skip
    assert tallied.first_routings == 6
    # The agencies' reminders and escalations of December only (K's January ones are not).
    loads = {r.agency: (r.reminders, r.escalations, r.overdue) for r in tallied.load}
    assert loads["DPU"] == (4, 4, 0) and loads["DINKES"] == (5, 3, 1)
    assert tallied.agencies["DPU"] == "Dinas Pekerjaan Umum" and tallied.agencies["DINKES"] == "Dinas Kesehatan"


# -- the figures ---------------------------------------------------------------------------------------


def december_figures(url: str, scope: Scope = Scope()) -> Figures:
    return compute(asyncio.run(load(url, DECEMBER, scope)), DECEMBER, scope, POLICY, AS_OF)


def test_intake_of_december(december: tuple[str, Scenario]) -> None:
    url, _ = december
    intake = december_figures(url).intake
    # Received: A, B, C, D, E, F, G, H, K, L (I and J were filed in November).
    assert (intake.received, intake.anonymous) == (10, 1)
    assert intake.by_class == {"pengaduan": 7, "aspirasi": 1, "informasi": 1}  # the named ones
    assert intake.by_privacy == {"biasa": 8, "rahasia": 1, "anonim": 1}
    assert intake.by_topic == {"infra.jalan": 3, "kes.puskesmas": 1, "infra.drainase": 1, "kes.bpjs": 1,
                               "pend.sekolah": 1, "kes.lain": 1, "duk.ktp": 1}  # fmt: skip
    assert intake.by_parent_topic == {"infra": 4, "kes": 3, "pend": 1, "duk": 1}
    assert intake.by_kecamatan == {"Tenggarong": 4, "Loa Kulu": 2, "Samboja": 1, "Muara Badak": 1, "Anggana": 1}
    # First routings A, B, C, D, G, K (not I's, on 30 Nov); B's second routing; E's and F's
    # rejections (J's was on 30 Nov, WITA).
    assert (intake.verified, intake.rerouted) == (6, 1)
    assert intake.rejected == {"vague": 1, "other": 1}
    assert (intake.duplicates, intake.returned, intake.reopened) == (1, 1, 1)


def test_speed_of_december(december: tuple[str, Scenario]) -> None:
    url, scenario = december
    speed = december_figures(url).speed
    # Verification: A 1 (Tue 1 -> Wed 2), B 2 (Tue 1 -> Tue 8 = 5, less the pause Thu 3, Fri 4,
    # Mon 7), C 1, D 2 (Thu 3 -> Mon 7), E 1, F 4 (Mon 7 -> Fri 11, due Thu 10: late), G 1, H 1,
    # K 1: [1, 1, 1, 1, 1, 1, 2, 2, 4] -> median 1, p90 the 9th of 9 (ceil 8.1), 8 in time.
    assert speed.verification == Duration(n=9, median=1.0, p90=4, within=8)
    # First answers: A 2 (Wed 2 -> Fri 4), B 7 (from its second routing Thu 10 -> Mon 21, due Thu
    # 17: late), C 4 (Thu 3 -> Fri 11 = 6, less the pause Tue 8, Wed 9; due Mon 14), D 9 (Mon 7 ->
    # Fri 18, due Mon 14: late), G 4 (Wed 9 -> Tue 15), I 1: [1, 2, 4, 4, 7, 9] -> median 4,
    # p90 the 6th (ceil 5.4), 4 in time.
    assert speed.first_response == Duration(n=6, median=4.0, p90=9, within=4)
    # Closed (Selesai) in December: A 4 (Tue 1 -> Mon 7), G 6 (Tue 8 -> Wed 16); B was reopened.
    assert speed.close == Duration(n=2, median=5.0, p90=6, within=2)
    # Open on Thu 31 Dec: K late since Tue 22 (Wed 23, Mon 28, Tue 29, Wed 30, Thu 31 = 5), age 11
    # (Tue 15 .. Thu 31); B due Mon 4 Jan; C, D, I answered; L waiting for the reporter.
    assert speed.overdue == (OpenCase(scenario.id("K"), scenario.tickets["K"], "DINKES", 11, "agency", d(12, 22), 5),)
    assert speed.overdue_count == 1
    # Ages: L 3; K 11; B 20, C 19, D 18, I 22 (Mon 30 Nov + 21 working days of December).
    assert speed.ageing_count == {"0-5": 1, "6-14": 1, "15-60": 4, ">60": 0}
    assert [(o.ticket, o.age) for o in speed.ageing["15-60"]] == [
        (scenario.tickets["I"], 22), (scenario.tickets["B"], 20), (scenario.tickets["C"], 19), (scenario.tickets["D"], 18)]


def test_the_agencies_of_december(december: tuple[str, Scenario]) -> None:
    url, _ = december
    dpu, dinkes = december_figures(url).agencies
    # DPU: cases A, B (routed, returned), C, D, I; routed A, B, C, D; first answers A 2, C 4, D 9
    # (late), I 1 -> median 3; D's reminders on 14 (due), 15, 16, 17 and escalations to the head
    # on 15, 16, 17 and the admins on 17; A rated 5. Five cases: ranked.
    assert (dpu.code, dpu.cases, dpu.routed, dpu.answered, dpu.on_time, dpu.median_response) == ("DPU", 5, 4, 4, 3, 3.0)
    assert (dpu.returned, dpu.reopened, dpu.reminders, dpu.escalations) == (1, 0, 4, 4)
    assert (dpu.rated, dpu.average_rating, dpu.overdue_now, dpu.small, dpu.rank) == (1, 5.0, 0, False, 1)
    # DINKES: cases B, G, K; routed B (re-route), G, K; answers B 7 (late) and G 4 -> median 5.5;
    # B reopened; reminders B 17, 18, 21 and K 22, 23 Dec; escalations B 18, 21 and K 23; ratings
    # 1 and 2; K overdue now. Three cases: small, unranked.
    assert (dinkes.code, dinkes.cases, dinkes.routed, dinkes.answered, dinkes.on_time, dinkes.median_response) == (
        "DINKES", 3, 3, 2, 1, 5.5)
    assert (dinkes.returned, dinkes.reopened, dinkes.reminders, dinkes.escalations) == (0, 1, 5, 3)
    assert (dinkes.rated, dinkes.average_rating, dinkes.overdue_now, dinkes.small, dinkes.rank) == (2, 1.5, 1, True, None)
    assert dinkes.name == "Dinas Kesehatan"


def test_satisfaction_maladministration_and_trend_of_december(december: tuple[str, Scenario]) -> None:
    url, scenario = december
    result = december_figures(url)
    s = result.satisfaction
    # Rated in December: A 5, B 1, G 2 (the whistleblower's: in the totals and DINKES's only).
    assert s.distribution == {1: 1, 2: 1, 3: 0, 4: 0, 5: 1} and (s.rated, s.average) == (3, 8 / 3)
    assert s.by_agency == {"DINKES": (2, 1.5), "DPU": (1, 5.0)}
    assert s.by_topic == {"infra": (1, 5.0), "kes": (1, 1.0)}
    assert (s.answered, s.answered_rated) == (6, 3)  # first answers A, B, C, D, G, I; rated A, B, G
    assert s.low == (LowRating(scenario.id("B"), scenario.tickets["B"], "DINKES", 1),)
    m = result.maladministration
    assert (m.total, m.by_form) == (2, {"penundaan": 1, "imbalan": 1})
    assert m.by_agency == {"DINKES": {"imbalan": 1}, "DPU": {"penundaan": 1}}
    assert m.by_month == {"2026-12": {"penundaan": 1, "imbalan": 1}}
    # Weekly, without the whistleblower's G. Received: W49 A, B, C, D, E; W50 F, H; W51 K; W53 L.
    # Closed: A (Mon 7), E (Mon 7), H (Thu 10), F (Fri 11); J closed in November; B reopened.
    # Backlog: W49 {I, J, A..E} - {J} = 6; W50 + F, H - A, E, F, H = 4; W51 + K = 5; W53 + L = 6.
    assert result.trend.unit == "week" and result.trend.spikes == ()
    assert result.trend.buckets == (
        Bucket("2026-W49", d(12, 1), d(12, 6), 5, 0, 6),
        Bucket("2026-W50", d(12, 7), d(12, 13), 2, 4, 4),
        Bucket("2026-W51", d(12, 14), d(12, 20), 1, 0, 5),
        Bucket("2026-W52", d(12, 21), d(12, 27), 0, 0, 5),
        Bucket("2026-W53", d(12, 28), d(12, 31), 1, 0, 6),
    )
    assert result.grid.cells == {("infra", "Tenggarong"): 3, ("pend", "Tenggarong"): 1, ("kes", "Loa Kulu"): 2,
                                 ("infra", "Samboja"): 1, ("kes", "Muara Badak"): 1, ("duk", "Anggana"): 1}  # fmt: skip


def test_an_agencys_own_figures(december: tuple[str, Scenario]) -> None:
    url, scenario = december
    result = december_figures(url, Scope(agency="DPU"))
    # The cases with DPU now: A, C, D, I (B went on to DINKES); received in December: A, C, D.
    # Its decisions include those on cases that moved on: B's first routing was to DPU.
    assert (result.intake.received, result.intake.verified, result.intake.returned) == (3, 4, 1)
    assert [a.code for a in result.agencies] == ["DPU"]
    assert (result.agencies[0].cases, result.agencies[0].returned) == (5, 1)  # B's routing and return stay DPU's
    assert result.speed.first_response == Duration(n=4, median=3.0, p90=9, within=3)
    dinkes = december_figures(url, Scope(agency="DINKES"))
    assert (dinkes.intake.received, dinkes.intake.anonymous) == (3, 1)  # B, G, K
    assert dinkes.satisfaction.low == (LowRating(scenario.id("B"), scenario.tickets["B"], "DINKES", 1),)
    loa_kulu = december_figures(url, Scope(kecamatan="Loa Kulu"))
    assert (loa_kulu.intake.received, loa_kulu.satisfaction.rated) == (2, 1)  # B, E; B's rating


# -- the Data sheet ------------------------------------------------------------------------------------


async def stream(url: str, period: Period, agency: str | None = None) -> tuple[list[tuple[CaseRow, str]], list[Pause]]:
    db = Database(url)
    try:
        async with db.read() as session:
            rows = [item async for item in statistics.received(session, period, WITA, agency, chunk=2)]
            pauses = await statistics.pauses_of_received(session, period, WITA, agency)
            return rows, pauses
    finally:
        await db.dispose()


def test_received_streams_the_periods_cases_with_their_titles(december: tuple[str, Scenario]) -> None:
    url, scenario = december
    n = scenario.id
    rows, pauses = asyncio.run(stream(url, DECEMBER))
    # Oldest first; the whistleblower's G last, so that its place does not date it.
    assert [(row.ticket, title) for row, title in rows] == [
        (scenario.tickets[x], "Laporan anonim #ABC" if x == "G" else f"Kasus {x}") for x in "ABCDEFHKLG"]
    assert (rows[-1][0].anonymous, rows[-1][0].kecamatan) == (True, None)
    found = {row.ticket: row for row, _ in rows}
    k = found[scenario.tickets["K"]]
    # Every reminder ever sent about the case, January's too: tier 0 on 22, 23 Dec and 4 Jan;
    # the head on 23 Dec and 4 Jan, the admins on 4 Jan.
    assert (k.reminders, k.escalations) == (3, 3)
    b = found[scenario.tickets["B"]]
    assert (b.first_response_due, b.response_routed_at, b.reopen_count) == (d(12, 17), dec(10, 9), 1)
    assert set(pauses) == {Pause(n("B"), dec(2), dec(7), False), Pause(n("C"), dec(7), dec(9), True),
                           Pause(n("L"), dec(29), None, False)}  # fmt: skip
    dpu_rows, dpu_pauses = asyncio.run(stream(url, DECEMBER, "DPU"))
    assert [row.ticket for row, _ in dpu_rows] == [scenario.tickets[x] for x in "ACD"]
    assert dpu_pauses == [Pause(n("C"), dec(7), dec(9), True)]
    november, none = asyncio.run(stream(url, Period(d(11, 1), d(11, 30))))
    assert [row.ticket for row, _ in november] == [scenario.tickets["I"], scenario.tickets["J"]] and none == []


# -- an old case open through a past period ------------------------------------------------------------


async def old_case(url: str) -> tuple[Tallies, Scenario]:
    await upgrade_async(url)
    db = Database(url)
    scenario = Scenario()
    try:
        await agencies.seed_if_empty(db.write)
        async with db.write() as session, session.begin():
            session.add(User(telegram_id=CITIZEN, display_name="Warga", language="id", created_at=at(d(9, 1)),
                             last_seen_at=at(d(9, 1))))  # fmt: skip
            await session.flush()
            o = Office(session, scenario)
            # M: filed Thu 1 Oct, routed Fri 2 Oct to DPU (due Fri 9 Oct), left unanswered through
            # November (the officers and the head reminded on Mon 2 Nov), answered Tue 1 Dec and
            # rated Wed 2 Dec. N: filed Tue 10 Nov, still waiting.
            await o.file("M", at(d(10, 1)), "infra.jalan", "Tenggarong")
            await o.act("M", "verify_and_route", ADMIN, at(d(10, 2), 9), agency_code="DPU")
            await o.remind("M", "overdue", OFFICERS, d(11, 2))
            await o.remind("M", "overdue", HEAD, d(11, 2))
            await o.act("M", "respond", DPU, dec(1), text="Akhirnya diperbaiki")
            await o.act("M", "rate", REPORTER, dec(2), score=4)
            await o.file("N", at(d(11, 10)), "kes.lain", "Anggana")
        november = Period(d(11, 1), d(11, 30))
        return await statistics.tallies(db.read, november, Scope(), POLICY.calendar, AS_OF), scenario
    finally:
        await db.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


def test_a_case_open_through_a_past_period_is_in_its_backlog(database_url: str) -> None:
    tallied, _ = asyncio.run(old_case(database_url))
    november = Period(d(11, 1), d(11, 30))
    result = compute(tallied, november, Scope(), POLICY, AS_OF)
    # Weeks of November: W44 (1 Nov only), W45 .. W48, W49 (30 Nov only). M was open all month; N
    # from Tue 10 Nov (W46).
    assert [b.backlog for b in result.trend.buckets] == [1, 1, 2, 2, 2, 2]
    dpu = next(a for a in result.agencies if a.code == "DPU")
    assert (dpu.reminders, dpu.escalations) == (1, 1)


# -- working days in SQL ---------------------------------------------------------------------------


def test_working_days_in_sql_equal_the_calendars(database_url: str) -> None:
    """`_Workdays` (weekdays by arithmetic, days off by a nested CASE) against `WorkCalendar`,
    over three years with holidays, cuti bersama and declared days off, on this database."""
    import random

    from sqlalchemy import Integer, column, select, values
    from sqlalchemy.ext.asyncio import create_async_engine

    from cases.calendar import WorkCalendar
    from cases.figures import WorkdayIndex

    rng = random.Random(7)
    first, last = d(1, 1, 2025), d(12, 31, 2027)
    span = (last - first).days
    declared = {first + timedelta(days=rng.randrange(span)) for _ in range(30)}
    calendar = WorkCalendar(WITA, declared)
    index = WorkdayIndex(calendar, first, last)
    pairs = [sorted((first + timedelta(days=rng.randrange(span)), first + timedelta(days=rng.randrange(span)))) for _ in range(300)]
    pairs += [(day, day + timedelta(days=1)) for day in sorted(declared)]  # each declared day, alone

    async def run() -> list[int]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                sql = statistics._Dialect(connection.dialect.name, WITA, last)
                w = statistics._Workdays(sql, calendar, first, last)
                days = values(column("n", Integer), column("a", Integer), column("b", Integer), name="pairs",
                              literal_binds=True).data([(n, a.toordinal(), b.toordinal()) for n, (a, b) in enumerate(pairs)]).cte("pairs")
                found = dict((await connection.execute(select(days.c.n, w(days.c.b) - w(days.c.a)))).all())
                return [int(found[n]) for n in range(len(pairs))]
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == [index.between(a, b) for a, b in pairs]
    assert any(not calendar.is_working_day(day) and day.weekday() < 5 for day in declared), "a declared day off on a weekday"


def test_on_postgresql_both_lanes_read_one_snapshot(december: tuple[str, Scenario]) -> None:
    """`tallies` runs three lanes on three sessions; on PostgreSQL one exports its snapshot and
    the others read through it, so the figures are of one moment. (SQLite has no such thing: there
    the lanes' snapshots are a moment apart, as `tallies` says.)"""
    url, _ = december
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only; CI runs this module on PostgreSQL too")
    from sqlalchemy import event

    db = Database(url)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)

    async def run() -> Tallies:
        try:
            return await statistics.tallies(db.read, DECEMBER, Scope(), POLICY.calendar, AS_OF)
        finally:
            await db.dispose()

    tallied = asyncio.run(run())
    assert tallied.first_routings == 6
    exported = [s for s in statements if "pg_export_snapshot()" in s]
    imported = [s for s in statements if s.startswith("SET TRANSACTION SNAPSHOT '")]
    assert len(exported) == 1 and len(imported) == 2, statements[:3]


def test_on_postgresql_the_snapshot_outlives_a_lane_that_finishes_first(december: tuple[str, Scenario]) -> None:
    """A snapshot can be imported only while its exporter's transaction is open. Under load the
    exporting lane can finish before the others have started; it must wait for them (seen in CI
    as "invalid snapshot identifier"). Here the other lanes' sessions open late on purpose."""
    url, _ = december
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only; CI runs this module on PostgreSQL too")
    from contextlib import asynccontextmanager

    db = Database(url)
    opened = [0]

    @asynccontextmanager
    async def late_sessions() -> Any:
        opened[0] += 1
        if opened[0] > 1:  # every lane but the first (the exporter) starts a while later
            await asyncio.sleep(0.5)
        async with db.read() as session:
            yield session

    async def run() -> tuple[Tallies, Tallies]:
        try:
            late = await statistics.tallies(late_sessions, DECEMBER, Scope(), POLICY.calendar, AS_OF)
            prompt = await statistics.tallies(db.read, DECEMBER, Scope(), POLICY.calendar, AS_OF)
            return late, prompt
        finally:
            await db.dispose()

    late, prompt = asyncio.run(run())
    assert opened[0] == 3
    assert late == prompt and late.first_routings == 6
