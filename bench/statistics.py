"""Benchmark: the problem-mapping figures and the report workbook over a year of 100,000 complaints.

    .venv/bin/python -m bench.statistics [--cases 100000] [--database URL] [--repeat 3] [--keep]

Without `--database` it runs on a fresh SQLite file in a temporary folder and, if the PostgreSQL
server of the tests answers (TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test),
on a fresh database created for the run (dropped afterwards unless `--keep`). With `--database URL`
it runs only there; a database that already holds complaints is measured as it is (nothing is
generated), so a kept database can be measured again.

The data: migrations, the agency directory, ~0.6 users per complaint, then the complaints of 2026
(more on working days and in office hours, WITA) with a realistic audit trail each — submitted;
verified within 0–6 working days (mostly routed, some rejected with a listed reason, a few merged
as duplicates); questions to the reporter and their answers; *bukan wewenang* returns and
re-routings; answers after 1–12 working days against the 5-working-day deadline; ratings, automatic
closing, reopenings; maladministration forms; LAPOR! numbers — and the reminder rows the scheduler
would have written. Bulk inserts: SQLAlchemy Core in chunks on SQLite, asyncpg's COPY on PostgreSQL.

Then, each measurement in a fresh process of its own (so the memory the generator used and freed
cannot hide what the measured code takes), `--repeat` times:

1. `storage.statistics.dataset` and `cases.figures.compute` for the year, regency-wide; the same for
   November and for the biggest agency's year. Peak RSS above the process's RSS before (sampled
   every 10 ms in a thread); tracemalloc's peak in a separate, untimed run.
2. `bot.reports.build.write_xlsx` of the year (a Data row per case) and of its first 20,000 cases:
   time, peak RSS growth, and the RSS while the Data rows stream (sampled per 10,000 rows).

It also prints the query plans (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN ANALYZE`) of every
statement `dataset` runs, captured as it runs them. The machine is shared: compare the lines of one
run with each other; the absolute numbers move from run to run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import os
import random
import shutil
import statistics as stats
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from bisect import bisect_right
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from cases.calendar import WITA, WorkCalendar  # noqa: E402
from cases.figures import Period, Scope, compute  # noqa: E402
from cases.kukar import KECAMATAN  # noqa: E402
from cases.workflow import Policy  # noqa: E402
from handlers.casework.inputs import REJECT_REASONS  # noqa: E402
from handlers.core.topics import load_topics  # noqa: E402
from storage import agencies, statistics  # noqa: E402
from storage.db import Database, upgrade_async  # noqa: E402
from storage.models import Agency, AuditEntry, Complaint, Reminder, TicketCounter, User  # noqa: E402

YEAR = 2026
AS_OF = datetime(YEAR + 1, 1, 4, 8, 0, tzinfo=WITA)  # the year's report, made on its first working morning after
YEAR_PERIOD = Period(date(YEAR, 1, 1), date(YEAR, 12, 31))
NOVEMBER = Period(date(YEAR, 11, 1), date(YEAR, 11, 30))
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
SOURCES = ("storage/statistics.py", "cases/figures.py", "storage/models.py", "storage/migrations/versions/0009_figures.py",
           "bot/reports/build.py", "bot/reports/workbook.py")  # fmt: skip
MB = 1048576


# -- working days, fast ---------------------------------------------------------------------------


class Workdays:
    """`WorkCalendar.add_working_days` and `working_days_between` by table lookup (checked
    against the calendar at start): the generator asks a few million times."""

    def __init__(self, first: date, last: date) -> None:
        calendar = WorkCalendar()
        self.calendar = calendar
        self.days: list[date] = []
        self.rank: dict[date, int] = {}  # working days <= the date, since `first`
        self.working: dict[date, bool] = {}
        day = first
        while day <= last:
            working = calendar.is_working_day(day)
            if working:
                self.days.append(day)
            self.working[day] = working
            self.rank[day] = len(self.days)
            day += timedelta(days=1)

    def add(self, day: date, n: int) -> date:
        return day if n == 0 else self.days[self.rank[day] + n - 1]

    def between(self, start: date, end: date) -> int:
        return self.rank[end] - self.rank[start]

    def after(self, start: date, end: date) -> list[date]:
        """The working days in (start, end)."""
        return [d for d in self.days[self.rank[start]:self.rank[end]] if d < end]

    def check(self, rng: random.Random) -> None:
        for _ in range(400):
            day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(400))
            n = rng.randrange(13)
            assert self.add(day, n) == self.calendar.add_working_days(day, n), (day, n)
            other = day + timedelta(days=rng.randrange(30))
            assert self.between(day, other) == self.calendar.working_days_between(day, other), (day, other)


OFFSET = WITA.utcoffset(datetime(YEAR, 6, 1))  # WITA keeps +08:00 all year
assert OFFSET is not None and all(WITA.utcoffset(datetime(YEAR, m, 1)) == OFFSET for m in range(1, 13))


def local(moment: datetime) -> date:
    return (moment + OFFSET).date()


def at_local(day: date, hours: float) -> datetime:
    """The instant `hours` after the local midnight of `day`, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(hours=hours) - OFFSET


# -- what the year is made of ---------------------------------------------------------------------

TOPIC_WEIGHTS = {"infra": 30, "kes": 14, "pend": 12, "duk": 10, "ling": 7, "sos": 6, "izin": 4, "trans": 3, "tertib": 3,
                 "desa": 3, "kerja": 2, "wisata": 1, "pemb": 1, "kominfo": 1, "lain": 3}  # fmt: skip
TOPIC_AGENCY = {"infra": ("DPU", "DPU", "DPU", "DISPERKIM"), "kes": ("DINKES", "DINKES", "RSUD-AMP", "RSUD-ABADS"),
                "pend": ("DISDIKBUD",), "duk": ("DISDUKCAPIL",), "ling": ("DLHK",), "sos": ("DINSOS",), "izin": ("DPMPTSP",),
                "trans": ("DISHUB",), "tertib": ("SATPOLPP",), "desa": ("DPMD",), "kerja": ("DISTRANSNAKER",),
                "wisata": ("DISPAR",), "pemb": ("BAPPEDA", "DPU"), "kominfo": ("DISKOMINFO",)}  # fmt: skip
# People per kecamatan, roughly (thousands): where reports come from.
KECAMATAN_WEIGHTS = {"Tenggarong": 115, "Tenggarong Seberang": 75, "Loa Janan": 70, "Samboja": 65, "Muara Badak": 50,
                     "Loa Kulu": 55, "Sanga-Sanga": 20, "Muara Jawa": 40, "Anggana": 45, "Sebulu": 40, "Kota Bangun": 35,
                     "Muara Kaman": 40, "Marang Kayu": 30, "Kembang Janggut": 30, "Tabang": 12, "Kenohan": 12,
                     "Muara Muntai": 18, "Muara Wis": 9, "Kota Bangun Darat": 12, "Samboja Barat": 30}  # fmt: skip
MONTH_FACTOR = (1.15, 1.05, 1.0, 0.85, 0.95, 1.0, 1.15, 1.0, 1.0, 1.0, 1.05, 0.9)  # floods in Jan, PPDB in Jul, Lebaran in Mar/Apr
MALADMINISTRATION = ("penundaan", "tidak_melayani", "prosedur", "tidak_patut", "tidak_kompeten", "penyalahgunaan", "imbalan",
                     "diskriminasi", "berpihak", "konflik")  # fmt: skip
MALADMINISTRATION_WEIGHTS = (30, 20, 15, 10, 8, 5, 7, 2, 2, 1)
RESPONSE_DAYS = tuple(range(1, 13))
RESPONSE_WEIGHTS = (12, 16, 17, 15, 13, 8, 6, 4, 3, 2.5, 2, 1.5)  # ~73% within the 5 working days
VERIFY_DAYS = (0, 1, 2, 3, 4, 5, 6)
VERIFY_WEIGHTS = (22, 30, 20, 12, 7, 5, 4)  # ~84% within the 3 working days
RATINGS, RATING_WEIGHTS = (1, 2, 3, 4, 5), (5, 7, 13, 35, 40)
PLACES = ("Jl. Mangkurawang", "Jl. Wolter Monginsidi", "Jl. Soekarno-Hatta", "Desa Bukit Raya", "Kel. Loa Ipuh", "Jl. Poros Samarinda",
          "Desa Sumber Sari", "RT 12 Kel. Timbau", "Jl. Panjaitan", "Desa Jembayan", "Pasar Tangga Arung", "Jl. Ahmad Yani")  # fmt: skip
TITLES = {"infra": ("Jalan berlubang di {p}", "Drainase tersumbat di {p}, banjir tiap hujan", "Lampu jalan mati di {p}",
                    "Air PDAM tidak mengalir tiga hari di {p}", "Jembatan rusak di {p}"),
          "kes": ("Antrean panjang di Puskesmas {k}", "Obat kosong di Puskesmas {k}", "Kartu BPJS ditolak di RSUD"),
          "pend": ("Pungutan di sekolah dekat {p}", "PPDB zonasi tidak sesuai", "Beasiswa belum cair"),
          "duk": ("KTP-el belum jadi setelah tiga bulan", "Akta kelahiran anak ditunda"),
          "ling": ("Sampah menumpuk di {p}", "Limbah tambang mencemari sungai di {k}")}  # fmt: skip
WORDS = ("warga", "sudah", "melapor", "berkali-kali", "ke", "kelurahan", "namun", "belum", "ada", "tindak", "lanjut", "sejak",
         "bulan", "lalu", "kondisi", "semakin", "parah", "saat", "hujan", "anak-anak", "sekolah", "kesulitan", "lewat", "mohon",
         "segera", "ditangani", "petugas", "mengatakan", "menunggu", "anggaran", "kami", "berharap", "pemerintah", "kabupaten",
         "memperhatikan", "masalah", "ini", "karena", "mengganggu", "kegiatan", "sehari-hari")  # fmt: skip


def _texts(rng: random.Random, count: int, low: int, high: int) -> list[str]:
    out = []
    for _ in range(count):
        length, words = rng.randint(low, high), []
        while sum(len(w) + 1 for w in words) < length:
            words.append(rng.choice(WORDS))
        out.append(" ".join(words).capitalize() + ".")
    return out


class Year:
    """Everything fixed for the generation: the calendar, weights, texts."""

    def __init__(self, n: int, codes: list[str], rng: random.Random) -> None:
        self.n = n
        self.rng = rng
        self.wd = Workdays(date(YEAR - 1, 12, 1), date(YEAR + 1, 6, 30))
        self.wd.check(rng)
        self.codes = codes
        shuffled = sorted(codes)
        random.Random(7).shuffle(shuffled)
        self.zipf = shuffled
        self.zipf_cum = list(accumulate(1 / (rank + 1) for rank in range(len(shuffled))))
        tree = load_topics()
        self.children = {root.code: [c.code for c in root.children] or [root.code] for root in tree.roots}
        self.parents = list(TOPIC_WEIGHTS)
        self.parent_cum = list(accumulate(TOPIC_WEIGHTS.values()))
        self.kecamatan = list(KECAMATAN)
        assert set(KECAMATAN_WEIGHTS) == set(KECAMATAN)
        self.kecamatan_cum = list(accumulate(KECAMATAN_WEIGHTS[k] for k in KECAMATAN))
        self.descriptions = _texts(rng, 300, 150, 900)
        self.answers = _texts(rng, 200, 120, 500)
        self.questions = _texts(rng, 50, 40, 120)
        self.comments = _texts(rng, 50, 15, 80)
        self.users = max(1, int(n * 0.6))

    def pick(self, items: list[str], cum: list[float]) -> str:
        return items[bisect_right(cum, self.rng.random() * cum[-1])]

    def agency_for(self, parent: str, kecamatan: str | None) -> str:
        r = self.rng.random()
        if parent in TOPIC_AGENCY and r < 0.65:
            return self.rng.choice(TOPIC_AGENCY[parent])
        if kecamatan and r < 0.80:
            office = "KEC-" + kecamatan.upper().replace(" ", "").replace("-", "")
            if office in self.codes:
                return office
        return self.pick(self.zipf, self.zipf_cum)

    def filing_moments(self) -> list[tuple[datetime, bool, int | None]]:
        """(created_at, anonymous, citizen) per complaint, in filing order."""
        rng, wd = self.rng, self.wd
        days = [date(YEAR, 1, 1) + timedelta(days=d) for d in range((date(YEAR, 12, 31) - date(YEAR, 1, 1)).days + 1)]

        def weight(day: date) -> float:
            base = 1.0 if wd.working[day] else (0.35 if day.weekday() == 5 else 0.25 if day.weekday() == 6 else 0.3)
            return base * MONTH_FACTOR[day.month - 1]

        cum = list(accumulate(weight(d) for d in days))
        moments = []
        for _ in range(self.n):
            day = days[bisect_right(cum, rng.random() * cum[-1])]
            anonymous = rng.random() < 0.03
            if anonymous:  # a whistleblower's moments are kept to the day (handlers/whistleblower/state.day)
                moments.append((at_local(day, 0), True, None))
                continue
            r = rng.random()
            hours = rng.uniform(8, 16) if r < 0.75 else rng.uniform(16, 22) if r < 0.95 else rng.uniform(5, 8)
            citizen = int(self.users * rng.random() ** 1.7)  # some report often, most once or twice
            moments.append((at_local(day, hours) + timedelta(microseconds=rng.randrange(1_000_000)), False, citizen))
        moments.sort(key=lambda m: m[0])
        return moments


class Case:
    """One complaint's life, written as the case rules and `storage.cases.record` would."""

    def __init__(self, year: Year, cid: int, filed: datetime, anonymous: bool, citizen: int | None) -> None:
        self.y, self.rng, self.wd = year, year.rng, year.wd
        self.id, self.now = cid, filed
        self.audit: list[dict[str, Any]] = []
        self.reminders: dict[str, dict[str, Any]] = {}
        rng = self.rng
        parent = year.pick(year.parents, year.parent_cum)
        topic = rng.choice(year.children[parent])
        kecamatan = None if anonymous else year.pick(year.kecamatan, year.kecamatan_cum)
        self.right_agency = ("INSPEKTORAT" if rng.random() < 0.4 else year.pick(year.zipf, year.zipf_cum)) if anonymous \
            else year.agency_for(parent, kecamatan)  # fmt: skip
        chosen = self.right_agency if rng.random() < 0.6 else None if rng.random() < 0.75 else year.pick(year.zipf, year.zipf_cum)
        pseudonym = "#" + "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(3))
        day = local(filed)
        place = rng.choice(PLACES)
        title = f"Laporan anonim {pseudonym}" if anonymous else \
            rng.choice(TITLES.get(parent, ("Pelayanan {k} lambat", "Keluhan layanan di {p}"))).format(p=place, k=kecamatan)  # fmt: skip
        located = not anonymous and rng.random() < 0.4
        self.row: dict[str, Any] = {
            "id": cid, "ticket": f"KKR-{YEAR}-{cid:06d}", "citizen_id": None if anonymous else 10_000_000 + (citizen or 0),
            "source_update_id": 500_000_000 + cid,
            "report_class": "pengaduan" if anonymous else rng.choices(("pengaduan", "aspirasi", "informasi"), (75, 15, 10))[0],
            "topic": "anonim" if anonymous else topic, "agency_code": chosen, "title": title,
            "description": "" if anonymous else rng.choice(year.descriptions),
            "event_date": day - timedelta(days=int(rng.expovariate(1 / 6))) if not anonymous else day,
            "latitude": -0.4 + rng.uniform(-0.3, 0.3) if located else None,
            "longitude": 117.0 + rng.uniform(-0.3, 0.3) if located else None,
            "kecamatan": kecamatan, "address": None if anonymous else f"{place} No. {rng.randint(1, 200)}",
            "privacy": "anonim" if anonymous else ("rahasia" if rng.random() < 0.10 else "biasa"),
            "phone": None if anonymous or rng.random() < 0.6 else f"+62812{rng.randrange(10**7, 10**8)}",
            "language": "id" if rng.random() < 0.97 else "en", "status": "submitted", "created_at": filed,
            "verification_due": self.wd.add(day, 3), "response_due": None, "paused_since": None, "responded_at": None,
            "closed_at": None, "reopen_count": 0, "rating": None, "rating_comment": None, "citizen_replied_at": None,
            "anonymous": anonymous, "pseudonym": pseudonym if anonymous else None, "category": None,
            "maladministration": None, "lapor_number": None,
            # milestones (storage.cases.record keeps them, where the schema has them)
            "verified_at": None, "first_routed_at": None, "routed_at": None, "first_response_at": None,
            "first_response_routed_at": None, "first_response_due": None, "rated_at": None,
        }  # fmt: skip
        self.citizen = "whistleblower" if anonymous else f"citizen:{10_000_000 + (citizen or 0)}"
        self.act("submit", None, filed, "submitted", self.citizen)
        self.live()

    # -- plumbing --

    def step(self, working_days: int, hours: float | None = None) -> datetime | None:
        """The moment `working_days` after now (office hours), or None if that is after AS_OF."""
        rng = self.rng
        moment = at_local(self.wd.add(local(self.now), working_days), hours if hours is not None else rng.uniform(8, 16))
        moment += timedelta(microseconds=rng.randrange(1_000_000))
        if moment <= self.now:
            moment = self.now + timedelta(minutes=rng.uniform(5, 120))
        if moment > AS_OF:
            return None
        self.now = moment
        return moment

    def act(self, action: str, due: date | None, at: datetime, to_status: str, actor: str, *, code: str | None = None,
            reason: str | None = None) -> None:
        row = self.row
        self.audit.append({"complaint_id": self.id, "actor": actor, "action": action, "from_status": None if action == "submit" else row["status"],
                           "to_status": to_status, "reason": reason, "at": at, "agency_code": None if action == "submit" else row["agency_code"],
                           "due": due, "code": code})  # fmt: skip
        row["status"] = to_status
        if action in ("verify_and_route", "reject", "mark_duplicate") and row["verified_at"] is None:
            row["verified_at"] = at
        if action == "verify_and_route":
            row["first_routed_at"] = row["first_routed_at"] or at
            row["routed_at"] = at
        elif action == "respond" and row["first_response_at"] is None:
            row.update(first_response_at=at, first_response_routed_at=row["routed_at"], first_response_due=due)
        elif action == "rate":
            row["rated_at"] = at

    def remind(self, kind: str, tier: int, day: date) -> None:
        key = f"{self.id}:{kind}:{tier}:{day.isoformat()}"
        self.reminders[key] = {"key": key, "complaint_id": self.id, "kind": kind, "tier": tier, "day": day,
                               "recipients": 1 if tier == 2 else self.rng.randint(1, 3), "created_at": at_local(day, 8.05)}  # fmt: skip

    def agency_reminders(self, since: datetime, until: datetime | None) -> None:
        """What the sweep sent while the case waited for its agency's answer: the day before the
        deadline, on the day, and each working day late (the head from the first, the admins from
        the third)."""
        due = self.row["response_due"]
        end = local(until) if until is not None else local(AS_OF) + timedelta(days=1)
        for day in self.wd.after(local(since), end):
            if day == due:
                self.remind("due", 0, day)
            elif day > due:
                late = self.wd.between(due, day)
                self.remind("overdue", 0, day)
                if late >= 1:
                    self.remind("overdue", 1, day)
                if late >= 3:
                    self.remind("overdue", 2, day)
            elif self.wd.add(day, 1) == due:
                self.remind("before", 0, day)

    def verify_reminders(self, since: datetime, until: datetime | None) -> None:
        due = self.row["verification_due"]
        end = local(until) if until is not None else local(AS_OF) + timedelta(days=1)
        for day in self.wd.after(local(since), end):
            if day == due:
                self.remind("verify_due", 2, day)
            elif day > due:
                self.remind("verify_late", 2, day)

    def officer(self) -> str:
        return f"officer:{self.row['agency_code']}:{20_000_000 + self.y.codes.index(self.row['agency_code']) * 10 + self.rng.randrange(3)}"

    # -- the story --

    def live(self) -> None:
        rng, row, y = self.rng, self.row, self.y
        admin = f"admin:{90_000_000 + rng.randrange(4)}"
        if rng.random() < 0.06:  # Diskominfo asks the reporter first (the verification clock stops)
            asked_from = self.now
            if (t := self.step(rng.choice((0, 0, 1, 1, 2)))) is None:
                return self.verify_reminders(asked_from, None)
            self.verify_reminders(asked_from, t)
            self.act("request_info", row["verification_due"], t, "info_requested", admin, reason=rng.choice(y.questions))
            row["paused_since"] = t
            if rng.random() > 0.88:  # never answered: some are rejected after a while
                if rng.random() < 0.5 and (t := self.step(10)) is not None:
                    self.act("reject", row["verification_due"], t, "rejected", admin, code="other", reason="Tidak ada jawaban dari pelapor.")
                    row.update(closed_at=t, paused_since=None)
                return
            if (t := self.step(rng.choice((1, 1, 2, 2, 3, 4, 6)))) is None:
                return
            paused = self.wd.between(local(row["paused_since"]), local(t))
            row.update(verification_due=self.wd.add(row["verification_due"], paused), paused_since=None)
            self.act("answer_info", None, t, "submitted", self.citizen, reason=rng.choice(y.comments))
        waited_from = self.now
        t = self.step(rng.choices(VERIFY_DAYS, VERIFY_WEIGHTS)[0])
        self.verify_reminders(waited_from, t)
        if t is None:
            return
        r = rng.random()
        if r < 0.09:
            code = rng.choices((*REJECT_REASONS, "other"), (40, 25, 5, 10, 10, 10))[0]
            self.act("reject", row["verification_due"], t, "rejected", admin, code=code, reason="Laporan tidak dapat diteruskan.")
            row["closed_at"] = t
            return
        if r < 0.12:
            self.act("mark_duplicate", row["verification_due"], t, "duplicate", admin,
                     reason=f"duplicate of KKR-{YEAR}-{max(1, self.id - rng.randint(1, 400)):06d}")  # fmt: skip
            row["closed_at"] = t
            return
        self.route(t, self.right_agency if rng.random() < 0.95 else y.pick(y.zipf, y.zipf_cum), admin)
        if rng.random() < 0.10:
            moment = t + timedelta(minutes=rng.uniform(2, 40))
            form = rng.choices(MALADMINISTRATION, MALADMINISTRATION_WEIGHTS)[0]
            if moment <= AS_OF:
                row["maladministration"] = form
                self.act("classify", None, moment, row["status"], admin, reason=f"maladministration={form}")
                self.now = max(self.now, moment)
        if rng.random() < 0.05:
            moment = t + timedelta(minutes=rng.uniform(2, 60))
            if moment <= AS_OF:
                row["lapor_number"] = f"LPR{rng.randrange(10**6, 10**7)}"
                self.act("link_lapor", None, moment, row["status"], admin, reason=row["lapor_number"])
                self.now = max(self.now, moment)
        self.agency_stage(admin)

    def route(self, t: datetime, agency: str, admin: str) -> None:
        row = self.row
        due = row["verification_due"]
        row.update(agency_code=agency, response_due=self.wd.add(local(t), 5), paused_since=None)
        self.act("verify_and_route", due, t, "verified", admin)

    def agency_stage(self, admin: str) -> None:
        rng, row, y = self.rng, self.row, self.y
        returned = reopened = False
        while True:
            since = self.now
            if not returned and not reopened and rng.random() < 0.05:  # bukan wewenang, then another agency
                t = self.step(rng.randint(1, 3))
                self.agency_reminders(since, t)
                if t is None:
                    return
                self.act("not_ours", row["response_due"], t, "returned", self.officer(), reason="Bukan kewenangan kami; mohon diteruskan ke dinas terkait.")
                returned = True
                if (t := self.step(rng.choice((0, 1, 1, 2)))) is None:
                    return
                others = [c for c in (y.pick(y.zipf, y.zipf_cum) for _ in range(5)) if c != row["agency_code"]] or ["DPU"]
                self.route(t, others[0], admin)
                continue
            if rng.random() < 0.03:  # the agency asks the reporter (its clock stops)
                t = self.step(rng.randint(1, 3))
                self.agency_reminders(since, t)
                if t is None:
                    return
                self.act("agency_request_info", row["response_due"], t, "agency_info_req", self.officer(), reason=rng.choice(y.questions))
                row["paused_since"] = t
                if rng.random() < 0.1 or (t := self.step(rng.randint(1, 4))) is None:
                    return
                paused = self.wd.between(local(row["paused_since"]), local(t))
                row.update(response_due=self.wd.add(row["response_due"], paused), paused_since=None)
                self.act("answer_info", None, t, "verified", self.citizen, reason=rng.choice(y.comments))
                since = t
            r = rng.random()
            if r < 0.003:  # never answered: reminded and escalated every working day, overdue now
                return self.agency_reminders(since, None)
            # A few stragglers answer weeks late; the rest within 1–12 working days.
            t = self.step(rng.randint(13, 30) if r < 0.018 else rng.choices(RESPONSE_DAYS, RESPONSE_WEIGHTS)[0])
            self.agency_reminders(since, t)
            if t is None:
                return
            self.act("respond", row["response_due"], t, "responded", self.officer(), reason=rng.choice(y.answers))
            row.update(responded_at=t, citizen_replied_at=None)
            if rng.random() < 0.08:  # a thread: the reporter writes back, the agency may answer
                if (t := self.step(rng.randint(0, 3))) is None:
                    return
                self.act("citizen_reply", None, t, "responded", self.citizen, reason=rng.choice(y.comments))
                row["citizen_replied_at"] = t
                if rng.random() < 0.5:
                    if (t := self.step(rng.randint(0, 2))) is None:
                        return
                    self.act("agency_reply", None, t, "responded", self.officer(), reason=rng.choice(y.answers))
                    row["responded_at"] = t
            if not reopened and rng.random() < 0.04:
                if (t := self.step(rng.randint(1, 8))) is None:
                    return
                row.update(response_due=self.wd.add(local(t), 5), reopen_count=row["reopen_count"] + 1, responded_at=None,
                           closed_at=None, citizen_replied_at=None)  # fmt: skip
                self.act("reopen", None, t, "verified", self.citizen, reason="Belum ada perbaikan di lapangan.")
                reopened = True
                continue
            if rng.random() < 0.40:
                if (t := self.step(rng.choice((0, 0, 1, 1, 2, 3, 5)))) is None:
                    return
                score = rng.choices(RATINGS, RATING_WEIGHTS)[0]
                comment = rng.choice(y.comments) if rng.random() < 0.4 else None
                self.act("rate", None, t, "closed", self.citizen, reason=comment)
                row.update(closed_at=t, rating=score, rating_comment=comment)
                return
            if row["citizen_replied_at"] is not None and row["citizen_replied_at"] > row["responded_at"]:
                return  # the agency's turn: no automatic closing
            moment = at_local(self.wd.add(local(row["responded_at"]), 10), 8.1) + timedelta(seconds=rng.uniform(0, 600))
            if moment > AS_OF:
                return
            self.now = moment
            self.act("auto_close", None, moment, "closed", "system")
            row["closed_at"] = moment
            return


def overviews(year: Year) -> list[dict[str, Any]]:
    """The scheduler's digests (per agency, each working morning) and weekly summaries."""
    rows = []
    for day in year.wd.days:
        if not (date(YEAR, 1, 1) <= day <= local(AS_OF)):
            continue
        for code in year.zipf[:40]:
            key = f"digest:{code}:{day.isoformat()}"
            rows.append({"key": key, "complaint_id": None, "kind": "digest", "tier": 0, "day": day, "recipients": 2, "created_at": at_local(day, 8)})
        if day.weekday() == 0:
            iso = day.isocalendar()
            key = f"weekly:{iso[0]}-W{iso[1]:02d}"
            rows.append({"key": key, "complaint_id": None, "kind": "weekly", "tier": 2, "day": day, "recipients": 4, "created_at": at_local(day, 8)})
    return rows


# -- storing it -----------------------------------------------------------------------------------


def _shape(table: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with exactly the table's columns (the schema of the code being measured: its
    milestone columns if it has them); ids of tables that number themselves are given."""
    names = [c.name for c in table.columns]
    return [{name: row.get(name) for name in names} for row in rows]


class Store:
    def __init__(self, db: Database, copy: bool) -> None:
        self.db = db
        self.copy = copy and db.is_postgres
        self.rows: dict[str, int] = {}
        self.next_id: dict[str, int] = {}

    async def put(self, table: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
        if not rows:
            return
        shaped = _shape(table, rows)
        if "id" in table.columns and shaped[0]["id"] is None:  # number them ourselves: COPY takes no defaults
            first = self.next_id.get(table.name, 1)
            for offset, row in enumerate(shaped):
                row["id"] = first + offset
            self.next_id[table.name] = first + len(shaped)
        self.rows[table.name] = self.rows.get(table.name, 0) + len(shaped)
        async with self.db.engine.begin() as connection:
            if self.copy:
                raw = await connection.get_raw_connection()
                driver = raw.driver_connection
                columns = list(shaped[0])
                await driver.copy_records_to_table(table.name, records=[tuple(r[c] for c in columns) for r in shaped], columns=columns)  # type: ignore[union-attr]
                return
            for offset in range(0, len(shaped), chunk):
                await connection.execute(insert(table), shaped[offset:offset + chunk])


async def generate(url: str, n: int, seed: int, copy: bool) -> dict[str, Any]:
    started = time.perf_counter()
    await upgrade_async(url)
    db = Database(url)
    try:
        await agencies.seed_if_empty(db.write)
        async with db.read() as session:
            codes = list(await session.scalars(select(Agency.code).order_by(Agency.code)))
        migrated = time.perf_counter() - started
        rng = random.Random(seed)
        year = Year(n, codes, rng)
        moments = year.filing_moments()
        first_seen: dict[int, datetime] = {}
        for filed, _, citizen in moments:
            if citizen is not None and citizen not in first_seen:
                first_seen[citizen] = filed
        store = Store(db, copy)
        users = [{"telegram_id": 10_000_000 + u, "display_name": f"Warga {u}", "username": f"warga{u}" if u % 3 else None,
                  "language": "id", "language_chosen": False, "created_at": first_seen.get(u, at_local(date(YEAR, 1, 1), 9)) - timedelta(minutes=20),
                  "last_seen_at": first_seen.get(u, at_local(date(YEAR, 1, 1), 9)), "blocked_at": None}
                 for u in range(year.users)]  # fmt: skip
        await store.put(User.__table__, users)
        del users
        chunk = 2000
        for offset in range(0, n, chunk):
            cases = [Case(year, offset + i + 1, *moments[offset + i]) for i in range(min(chunk, n - offset))]
            await store.put(Complaint.__table__, [c.row for c in cases])
            await store.put(AuditEntry.__table__, [a for c in cases for a in c.audit])
            await store.put(Reminder.__table__, [r for c in cases for r in c.reminders.values()])
        await store.put(Reminder.__table__, overviews(year))
        await store.put(TicketCounter.__table__, [{"year": YEAR, "last_number": n}])
        async with db.engine.begin() as connection:
            if db.is_postgres:
                # Our explicit ids: move the sequences past them, and give the planner its statistics
                # (autovacuum would, a minute after such a load).
                for table in ("complaints", "audit_log", "reminders"):
                    await connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
                await connection.execute(text("ANALYZE"))
        if not db.is_postgres:
            from storage.db import checkpoint_truncate

            await checkpoint_truncate(db.engine)  # fold the WAL in, as a year of auto-checkpoints would have
        counts = await table_counts(db)
        return {"seconds": time.perf_counter() - started, "migrate_seconds": migrated, "counts": counts,
                "method": "COPY" if store.copy else "Core insert"}  # fmt: skip
    finally:
        await db.dispose()


async def table_counts(db: Database) -> dict[str, int]:
    async with db.read() as session:
        counts = {t.name: int(await session.scalar(select(func.count()).select_from(t)) or 0)
                  for t in (User.__table__, Complaint.__table__, AuditEntry.__table__, Reminder.__table__)}  # fmt: skip
        actions = (await session.execute(select(AuditEntry.action, func.count()).group_by(AuditEntry.action).order_by(func.count().desc()))).all()
        statuses = (await session.execute(select(Complaint.status, func.count()).group_by(Complaint.status).order_by(func.count().desc()))).all()
    return {**counts, "actions": dict(actions), "statuses": dict(statuses)}  # type: ignore[dict-item]


# -- measuring ------------------------------------------------------------------------------------


class RssPeak:
    """The process's resident memory sampled every 10 ms in a thread: the peak above `before`."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.before = self.process.memory_info().rss
        self.peak = self.before
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def now(self) -> int:
        return self.process.memory_info().rss

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, self.now())
        return (self.peak - self.before) / MB


def _policy() -> Policy:
    calendar = WorkCalendar()
    for year in (YEAR - 1, YEAR, YEAR + 1):  # the running bot's calendar has its holiday years loaded
        calendar.is_working_day(date(year, 6, 1))
    return Policy(calendar=calendar)


async def _warm(db: Database) -> None:
    async with db.read() as session:
        await session.execute(select(func.count()).select_from(Agency))
    gc.collect()


async def task_figures(url: str, start: str, end: str, agency: str | None, repeat: int) -> dict[str, Any]:
    period, scope, policy = Period(date.fromisoformat(start), date.fromisoformat(end)), Scope(agency=agency), _policy()
    db = Database(url)
    try:
        await _warm(db)
        rss = RssPeak()
        runs = []
        for _ in range(repeat):
            began = time.perf_counter()
            async with db.read() as session:
                data = await statistics.dataset(session, period, policy.calendar.tz)
            loaded = time.perf_counter()
            figures = compute(data, period, scope, policy, AS_OF)
            done = time.perf_counter()
            runs.append({"dataset": loaded - began, "compute": done - loaded, "sum": done - began})
            sizes = {"cases": len(data.cases), "events": len(data.events), "pauses": len(data.pauses), "received": figures.intake.received}
            del data, figures
            gc.collect()
        grown = rss.stop()
        return {"runs": runs, "rss_mb": grown, "sizes": sizes}
    finally:
        await db.dispose()


async def task_tracemalloc(url: str, start: str, end: str) -> dict[str, Any]:
    import tracemalloc

    period, policy = Period(date.fromisoformat(start), date.fromisoformat(end)), _policy()
    db = Database(url)
    try:
        await _warm(db)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        async with db.read() as session:
            data = await statistics.dataset(session, period, policy.calendar.tz)
        after_dataset = tracemalloc.get_traced_memory()
        figures = compute(data, period, Scope(), policy, AS_OF)
        current, peak = tracemalloc.get_traced_memory()
        held = current - base
        tracemalloc.stop()
        del figures, data
        return {"peak_mb": (peak - base) / MB, "dataset_peak_mb": (after_dataset[1] - base) / MB,
                "dataset_held_mb": (after_dataset[0] - base) / MB, "held_mb": held / MB}  # fmt: skip
    finally:
        await db.dispose()


async def task_xlsx(url: str, start: str, end: str, repeat: int, trace: bool) -> dict[str, Any]:
    """`write_xlsx` of the period; the Data rows' stream is watched (not changed) through a wrapper
    of `storage.statistics.received`: the RSS when it starts and every 10,000 rows."""
    import tracemalloc

    import bot.reports.workbook  # noqa: F401  (imported by write_xlsx on first use: not part of what it takes)
    from bot.reports.build import ReportRequest, write_xlsx

    period, policy, topics = Period(date.fromisoformat(start), date.fromisoformat(end)), _policy(), load_topics()
    original = statistics.received
    watch: dict[str, Any] = {}

    async def received(*args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        process = psutil.Process()
        watch["data_started"] = time.perf_counter()
        watch["data_rss"] = [process.memory_info().rss]
        if trace:
            watch["trace_at_data"] = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
        count = 0
        async for item in original(*args, **kwargs):
            count += 1
            if count % 10_000 == 0:
                watch["data_rss"].append(process.memory_info().rss)
            yield item
        watch["data_rss"].append(process.memory_info().rss)

    statistics.received = received  # type: ignore[assignment]
    db = Database(url)
    folder = Path(tempfile.mkdtemp(prefix="bench-xlsx-"))
    try:
        await _warm(db)
        runs = []
        rss = RssPeak()
        if trace:
            tracemalloc.start()
        for n in range(repeat):
            target = folder / f"year-{n}.xlsx"
            began = time.perf_counter()
            rows = await write_xlsx(db, ReportRequest(period, None, "id", AS_OF), policy, topics, str(target))
            done = time.perf_counter()
            samples = [r / MB for r in watch["data_rss"]]
            run = {"seconds": done - began, "figures_seconds": watch["data_started"] - began, "data_seconds": done - watch["data_started"],
                   "rows": rows, "bytes": target.stat().st_size, "data_rss_mb": samples,
                   "data_growth_mb": max(samples) - samples[0], "rss_before_mb": rss.before / MB}  # fmt: skip
            if trace:
                current, peak = tracemalloc.get_traced_memory()
                run["trace_data_peak_mb"] = (peak - watch["trace_at_data"]) / MB
            runs.append(run)
            target.unlink()
            gc.collect()
        grown = rss.stop()
        return {"runs": runs, "rss_mb": grown}
    finally:
        statistics.received = original  # type: ignore[assignment]
        shutil.rmtree(folder, ignore_errors=True)
        await db.dispose()


async def task_profile(url: str, out: str) -> dict[str, Any]:
    """The year's figures under cProfile (main thread only: SQLite runs in aiosqlite's thread and
    shows here as time waiting in the event loop)."""
    import cProfile
    import pstats

    policy = _policy()
    db = Database(url)
    try:
        await _warm(db)
        profiler = cProfile.Profile()
        profiler.enable()
        async with db.read() as session:
            data = await statistics.dataset(session, YEAR_PERIOD, policy.calendar.tz)
        profiler.disable()
        dataset_stats = pstats.Stats(profiler)
        profiler2 = cProfile.Profile()
        profiler2.enable()
        compute(data, YEAR_PERIOD, Scope(), policy, AS_OF)
        profiler2.disable()
        lines = []
        for name, prof in (("dataset", profiler), ("compute", profiler2)):
            import io

            buffer = io.StringIO()
            pstats.Stats(prof, stream=buffer).sort_stats("tottime").print_stats(18)
            lines.append(f"--- {name}, by own time ---\n" + buffer.getvalue().split("\n", 6)[-1])
        dataset_stats.dump_stats(out)
        return {"text": "\n".join(lines)}
    finally:
        await db.dispose()


async def task_explain(url: str) -> dict[str, Any]:
    """Every statement `dataset` runs for the year, as it runs them, then its plan; and the case
    query once through the driver alone (no SQLAlchemy result processing): the floor."""
    policy = _policy()
    db = Database(url)
    captured: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        captured.append((statement, parameters))

    try:
        await _warm(db)
        event.listen(db.reader_engine.sync_engine, "before_cursor_execute", capture)
        async with db.read() as session:
            await statistics.dataset(session, YEAR_PERIOD, policy.calendar.tz)
        event.remove(db.reader_engine.sync_engine, "before_cursor_execute", capture)
        plans = []
        floor = []
        async with db.read() as session:
            connection = await session.connection()
            for statement, parameters in captured:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                if db.is_postgres:
                    result = await connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
                    plan = "\n".join(r[0] for r in result)
                else:
                    result = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                    rows = result.all()
                    depth: dict[int, int] = {0: 0}
                    out = []
                    for node, parent, _, detail in rows:
                        depth[node] = depth.get(parent, 0) + 1
                        out.append("  " * (depth[node] - 1) + detail)
                    plan = "\n".join(out)
                plans.append({"sql": statement, "plan": plan})
            case_sql, case_parameters = next((s, p) for s, p in captured if s.lstrip().upper().startswith("SELECT"))
            for _ in range(3):
                began = time.perf_counter()
                rows = (await connection.exec_driver_sql(case_sql, case_parameters)).all()
                floor.append(time.perf_counter() - began)
        return {"plans": plans, "floor": floor, "floor_rows": len(rows)}
    finally:
        await db.dispose()


TASKS = {"figures": task_figures, "tracemalloc": task_tracemalloc, "xlsx": task_xlsx, "profile": task_profile, "explain": task_explain}


def child(task: str, url: str, **arguments: Any) -> dict[str, Any]:
    """A task in a fresh process: its memory starts clean, whatever the generator left."""
    command = [sys.executable, "-m", "bench.statistics", "--task", task, "--database", url, "--task-args", json.dumps(arguments)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])  # type: ignore[no-any-return]
    sys.stderr.write(done.stdout + done.stderr)
    raise RuntimeError(f"task {task} failed ({done.returncode})")


# -- the run --------------------------------------------------------------------------------------


def _mb(value: float) -> str:
    return f"{value:+.1f}"


def run_on(name: str, url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    print(f"\n=== {name}: {make_url(url).render_as_string(hide_password=True)}", flush=True)
    db = Database(url)

    async def existing() -> int:
        try:
            async with db.read() as session:
                return int(await session.scalar(select(func.count()).select_from(Complaint)) or 0)
        except Exception:  # noqa: BLE001  (no tables yet)
            return 0
        finally:
            await db.dispose()

    present = asyncio.run(existing())
    if present:
        print(f"the database already holds {present:,} complaints: measuring them as they are (nothing generated)")
    else:
        made = asyncio.run(generate(url, args.cases, args.seed, copy=not args.no_copy))
        c = made["counts"]
        print(f"generated in {made['seconds']:.1f} s ({made['method']}; migrations and agencies {made['migrate_seconds']:.1f} s): "
              f"{c['complaints']:,} complaints, {c['audit_log']:,} audit rows, {c['reminders']:,} reminders, {c['users']:,} users")  # fmt: skip
        print("  audit actions: " + ", ".join(f"{k} {v:,}" for k, v in c["actions"].items()))
        print("  statuses now:  " + ", ".join(f"{k} {v:,}" for k, v in c["statuses"].items()))

    async def facts() -> tuple[str, str, int, int]:
        db2 = Database(url)
        try:
            async with db2.read() as session:
                start, end = statistics.bounds(YEAR_PERIOD, WITA)
                in_year = (Complaint.created_at >= start) & (Complaint.created_at < end)
                biggest, count = (await session.execute(select(Complaint.agency_code, func.count()).where(in_year, Complaint.agency_code.is_not(None))
                                                        .group_by(Complaint.agency_code).order_by(func.count().desc()).limit(1))).one()  # fmt: skip
                total = int(await session.scalar(select(func.count()).select_from(Complaint).where(in_year)) or 0)
                nth = await session.scalar(select(Complaint.created_at).where(in_year).order_by(Complaint.created_at).offset(min(total, 20_000) - 1).limit(1))
            return biggest, local(nth).isoformat(), count, total
        finally:
            await db2.dispose()

    biggest, part_end, biggest_count, total = asyncio.run(facts())
    repeat = args.repeat
    lines: list[dict[str, Any]] = []

    def figures_lines(label: str, result: dict[str, Any], goal: bool) -> None:
        runs = result["runs"]
        for part in ("dataset", "compute", "sum"):
            values = [r[part] for r in runs]
            line = {"database": name, "what": f"{label}: " + {"dataset": "dataset()", "compute": "compute()", "sum": "dataset + compute"}[part],
                    "median": stats.median(values), "min": min(values), "rss": result["rss_mb"] if part == "sum" else None}  # fmt: skip
            if goal and part == "sum":
                line["goal"] = "≤ 2 s, ≤ +100 MB"
                line["met"] = line["median"] <= 2.0 and result["rss_mb"] <= 100
            lines.append(line)
        s = result["sizes"]
        print(f"{label}: {s['cases']:,} case rows, {s['events']:,} events, {s['pauses']:,} pauses loaded; {s['received']:,} received in scope; "
              f"dataset median {stats.median(r['dataset'] for r in runs):.2f} s, compute median {stats.median(r['compute'] for r in runs):.2f} s, "
              f"peak RSS {_mb(result['rss_mb'])} MB", flush=True)  # fmt: skip

    print(f"\nquery plans (every statement of dataset() for {YEAR}, captured as it runs):", flush=True)
    explained = child("explain", url)
    for number, item in enumerate(explained["plans"], start=1):
        sql = " ".join(item["sql"].split())
        print(f"--- statement {number}: {sql[:240]}{' …' if len(sql) > 240 else ''}\n{item['plan']}")
    print(f"case query through the driver alone (no SQLAlchemy result processing, no CaseRow): "
          f"{', '.join(f'{t:.2f}' for t in explained['floor'])} s for {explained['floor_rows']:,} rows", flush=True)  # fmt: skip
    lines.append({"database": name, "what": "floor: the case query, driver only", "median": stats.median(explained["floor"]),
                  "min": min(explained["floor"]), "rss": None})  # fmt: skip

    year_range = (YEAR_PERIOD.start.isoformat(), YEAR_PERIOD.end.isoformat())
    figures_lines("year", child("figures", url, start=year_range[0], end=year_range[1], agency=None, repeat=repeat), goal=True)
    figures_lines("November", child("figures", url, start=NOVEMBER.start.isoformat(), end=NOVEMBER.end.isoformat(), agency=None, repeat=repeat), goal=False)
    figures_lines(f"year of {biggest} ({biggest_count:,} cases)", child("figures", url, start=year_range[0], end=year_range[1], agency=biggest, repeat=repeat), goal=False)
    traced = child("tracemalloc", url, start=year_range[0], end=year_range[1])
    print(f"tracemalloc (untimed run), year: peak {traced['peak_mb']:.1f} MB of Python objects (dataset alone: peak {traced['dataset_peak_mb']:.1f} MB, "
          f"held {traced['dataset_held_mb']:.1f} MB), held after compute {traced['held_mb']:.1f} MB", flush=True)  # fmt: skip
    lines.append({"database": name, "what": "year: tracemalloc peak (untimed)", "median": None, "min": None, "rss": traced["peak_mb"]})

    for label, period_end, goal in ((f"xlsx Jan 1–{part_end[5:]} (first 20,000)", part_end, False), (f"xlsx year ({total:,} rows)", year_range[1], True)):
        result = child("xlsx", url, start=year_range[0], end=period_end, repeat=repeat, trace=False)
        runs = result["runs"]
        first = runs[0]
        samples = " ".join(f"{s:.0f}" for s in first["data_rss_mb"])
        print(f"{label}: {first['rows']:,} Data rows, {first['bytes'] / MB:.1f} MB file; median {stats.median(r['seconds'] for r in runs):.2f} s "
              f"(figures part {stats.median(r['figures_seconds'] for r in runs):.2f} s, Data rows {stats.median(r['data_seconds'] for r in runs):.2f} s); "
              f"peak RSS {_mb(result['rss_mb'])} MB over {first['rss_before_mb']:.0f} MB; RSS while the Data rows stream, every 10,000 rows "
              f"(first run): {samples} MB → grows {_mb(first['data_growth_mb'])} MB", flush=True)  # fmt: skip
        line = {"database": name, "what": label, "median": stats.median(r["seconds"] for r in runs), "min": min(r["seconds"] for r in runs),
                "rss": result["rss_mb"], "data_growth": first["data_growth_mb"], "rows": first["rows"]}  # fmt: skip
        lines.append(line)
        lines.append({"database": name, "what": f"  of which Data rows ({first['rows']:,})", "median": stats.median(r["data_seconds"] for r in runs),
                      "min": min(r["data_seconds"] for r in runs), "rss": first["data_growth_mb"]})  # fmt: skip
        if goal:
            small = next(x for x in lines if x["what"].startswith("xlsx Jan"))
            # Flat: streaming 5x the Data rows takes no more memory than streaming the fifth (within 10 MB).
            flat = line["data_growth"] <= small["data_growth"] + 10
            line["goal"] = "≤ 30 s, flat memory"
            line["met"] = line["median"] <= 30 and flat
    if args.trace_xlsx:
        for period_end in (part_end, year_range[1]):
            traced = child("xlsx", url, start=year_range[0], end=period_end, repeat=1, trace=True)["runs"][0]
            print(f"tracemalloc, xlsx to {period_end}: {traced['rows']:,} rows, Python objects' peak during the Data rows "
                  f"{traced['trace_data_peak_mb']:.1f} MB above their start", flush=True)  # fmt: skip
    if args.profile:
        out = str(Path(tempfile.gettempdir()) / f"bench-statistics-{name}.pstats")
        print(child("profile", url, out=out)["text"])
        print(f"(cProfile stats of dataset() in {out})")
    return lines


async def _postgres(base: str) -> tuple[str, str] | None:
    """A fresh database on the test server: (its URL, the admin DSN), or None if none answers."""
    import asyncpg

    parsed = make_url(base)
    dsn = f"postgresql://{parsed.username or 'postgres'}@{parsed.host or '127.0.0.1'}:{parsed.port or 5432}/{parsed.database or 'postgres'}"
    try:
        connection = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
        return None
    name = f"aduan_bench_{uuid.uuid4().hex[:10]}"
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return str(parsed.set(drivername="postgresql+asyncpg", database=name)), dsn


async def _drop(dsn: str, url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()


def table(lines: list[dict[str, Any]]) -> str:
    out = ["| database | what | median s | min s | peak RSS +MB | goal | met |", "|---|---|---:|---:|---:|---|---|"]
    for line in lines:
        median = "" if line.get("median") is None else f"{line['median']:.2f}"
        least = "" if line.get("min") is None else f"{line['min']:.2f}"
        rss = "" if line.get("rss") is None else f"{line['rss']:.1f}"
        met = "" if "met" not in line else ("**yes**" if line["met"] else "**no**")
        out.append(f"| {line['database']} | {line['what']} | {median} | {least} | {rss} | {line.get('goal', '')} | {met} |")
    return "\n".join(out)


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in SOURCES:
        digest.update((ROOT / path).read_bytes())
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *SOURCES], cwd=ROOT, capture_output=True, text=True).stdout.split()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return f"HEAD {head}, measured sources {digest.hexdigest()[:12]}" + (" (uncommitted changes in them)" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database", help="only this database (default: a fresh SQLite file, then PostgreSQL if it answers)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated databases (their URLs are printed)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-copy", action="store_true", help="PostgreSQL: Core inserts instead of COPY")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the year's figures")
    parser.add_argument("--trace-xlsx", action="store_true", help="also trace the workbook's Python memory (slow)")
    parser.add_argument("--task", choices=sorted(TASKS), help=argparse.SUPPRESS)
    parser.add_argument("--task-args", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        result = asyncio.run(TASKS[args.task](args.database, **json.loads(args.task_args)))
        print("RESULT " + json.dumps(result, default=str))
        return

    print(f"bench.statistics: {args.cases:,} complaints of {YEAR}, as of {AS_OF:%Y-%m-%d %H:%M} WITA; {os.cpu_count()} CPUs "
          f"(shared: compare lines within one run); {fingerprint()}", flush=True)  # fmt: skip
    lines: list[dict[str, Any]] = []
    if args.database:
        url = args.database
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        lines += run_on("postgresql" if url.startswith("postgresql") else "sqlite", url, args)
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-statistics-"))
        try:
            lines += run_on("sqlite", f"sqlite+aiosqlite:///{folder / 'year.sqlite3'}", args)
        finally:
            if args.keep:
                print(f"kept: sqlite+aiosqlite:///{folder / 'year.sqlite3'}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        made = asyncio.run(_postgres(os.environ.get("TEST_DATABASE_URL", POSTGRES)))
        if made is None:
            print("\nPostgreSQL: no server answers; skipped")
        else:
            url, dsn = made
            try:
                lines += run_on("postgresql", url, args)
            finally:
                if args.keep:
                    print(f"kept: {url}")
                else:
                    asyncio.run(_drop(dsn, url))
    print("\n" + table(lines))


if __name__ == "__main__":
    main()
