"""How the figures read in Telegram (handlers/staff/figures_view.py) and the periods of /statistik
(handlers/staff/statistics.py): the summary, the chart specs (and that the renderer draws them),
folding to ten bars, the typed and encoded periods."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.reports import charts
from cases.calendar import WITA
from cases.figures import CaseRow, Period, Scope, Tallies, compute
from cases.workflow import Policy
from handlers.core.i18n import texts
from handlers.core.topics import load_topics
from handlers.staff import figures_view as view
from handlers.staff.statistics import decode, encode, presets, typed
from tests.figures_history import Event, figures_of as stored_figures, history  # noqa: F401 (history: the database fixture)

T = texts("id")
TOPICS = load_topics()
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
AS_OF = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
KECAMATAN = ["Anggana", "Kembang Janggut", "Kenohan", "Kota Bangun", "Loa Janan", "Loa Kulu", "Marang Kayu",
             "Muara Badak", "Muara Jawa", "Muara Kaman", "Muara Muntai", "Samboja"]  # fmt: skip
TOPIC_CODES = ["infra.jalan", "kes.puskesmas", "pend.sekolah", "duk.ktp", "izin", "ling.sampah", "sos", "desa",
               "trans", "kerja", "tertib", "wisata"]  # fmt: skip


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=WITA).astimezone(timezone.utc)


def case(n: int, agency: str, *, answered: int | None = None, due: date | None = None, topic: str = "infra.jalan",
         kecamatan: str = "Tenggarong", mal: str | None = None) -> CaseRow:
    filed = at(2 + n % 20)
    routed = filed + timedelta(hours=20)
    return CaseRow(
        id=n, ticket=f"KKR-2026-{n:06d}", report_class="pengaduan", topic=topic, agency=agency, kecamatan=kecamatan,
        privacy="biasa", anonymous=False, status="responded" if answered else "verified", created_at=filed,
        verification_due=filed.date() + timedelta(days=5), response_due=due or routed.date() + timedelta(days=7),
        verified_at=routed, first_routed_at=routed, first_response_at=at(answered) if answered else None,
        response_routed_at=routed, first_response_due=due or routed.date() + timedelta(days=7), maladministration=mal,
    )  # fmt: skip


def figures_of(cases: list[CaseRow], names: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    events = [Event(c.id, "verify_and_route", c.first_routed_at, c.agency, None, None, True) for c in cases if c.first_routed_at]  # type: ignore[arg-type]
    events += [Event(c.id, "respond", c.first_response_at, c.agency, c.first_response_due) for c in cases if c.first_response_at]  # type: ignore[arg-type]
    return stored_figures(cases, events, names=names, period=NOVEMBER, policy=Policy(), as_of=AS_OF)


def test_typed_periods() -> None:
    assert typed("01-11-2026 30-11-2026") == NOVEMBER
    assert typed("30/11/2026 - 1/11/2026") == NOVEMBER, "either order, slashes, a dash between"
    assert typed("1.11.2026 s/d 30.11.2026") == NOVEMBER
    assert typed("31-11-2026 30-12-2026") is None, "no 31 November"
    assert typed("01-11-2026") is None and typed("laporan jalan") is None and typed("") is None


def test_a_period_travels_in_button_data_and_forged_data_is_refused() -> None:
    assert decode(encode(NOVEMBER)) == NOVEMBER
    assert encode(NOVEMBER) == "20261101-20261130"
    for forged in ("20261340-20261350", "2026111-20261130", "20261130-20261101", "x", "20261101-20261130/DPU"):
        assert decode(forged) is None


def test_the_picker_offers_this_month_last_month_thirty_days_and_this_year() -> None:
    got = dict(presets(date(2026, 12, 1)))
    assert got["This month"] == Period(date(2026, 12, 1), date(2026, 12, 1))
    assert got["Last month"] == NOVEMBER
    assert got["Last 30 days"] == Period(date(2026, 11, 2), date(2026, 12, 1))
    assert got["This year"] == Period(date(2026, 1, 1), date(2026, 12, 1))
    assert dict(presets(date(2027, 1, 15)))["Last month"] == Period(date(2026, 12, 1), date(2026, 12, 31))


def test_the_summary_escapes_names_and_reads_in_indonesian() -> None:
    figures = figures_of([case(1, "X", answered=5)], names={"X": "Dinas <Uji> & Co"})
    html = view.summary_html(figures, T, {"X": "Dinas <Uji> & Co"}, TOPICS, WITA)
    assert "<b>Laporan masuk</b>: 1" in html
    assert "Kabupaten Kutai Kartanegara" in html
    score = figures.agencies[0]
    card = view.agency_html(score, "X", "Dinas <Uji> & Co", figures, T)
    assert "Dinas &lt;Uji&gt; &amp; Co" in card and "<Uji>" not in card


def test_the_scorecard_shows_at_most_ten_agencies_ranked_first_and_small_ones_grey() -> None:
    cases = []
    for a in range(12):  # twelve agencies with six answered cases each: all ranked
        for k in range(6):
            late = k < a % 6
            cases.append(case(a * 10 + k, f"A{a:02d}", answered=10, due=date(2026, 11, 9) if late else date(2026, 11, 20)))
    cases += [case(500 + k, "SMALL", answered=10, due=date(2026, 11, 20)) for k in range(2)]  # 100% on time, n=2
    figures = figures_of(cases, {f"A{a:02d}": f"Agency {a}" for a in range(12)} | {"SMALL": "Small one"})
    spec = view.scorecard_chart(figures, T)
    assert spec is not None and len(spec["items"]) == 10
    values = [item["value"] for item in spec["items"] if not item["muted"]]
    assert values == sorted(values, reverse=True), "best share on time first"
    assert not any(item["label"] == "Small one" for item in spec["items"][:1]), "a small sample never ranks first"
    assert "3 OPD lainnya" in spec["note"], "the agencies left out are counted"
    assert charts.render(spec).startswith(b"\x89PNG")


def test_nobody_on_time_is_still_a_chart() -> None:
    figures = figures_of([case(n, "LATE", answered=20, due=date(2026, 11, 9)) for n in range(6)], {"LATE": "Late agency"})
    spec = view.scorecard_chart(figures, T)
    assert spec is not None and [item["value"] for item in spec["items"]] == [0.0]
    assert charts.render(spec).startswith(b"\x89PNG"), "0% on time is news, and drawn"


def test_the_heat_table_folds_the_rest_into_others() -> None:
    cases = [case(n, "X", topic=TOPIC_CODES[n % 12], kecamatan=KECAMATAN[(n // 12) % 12]) for n in range(144)]
    figures = figures_of(cases)
    spec = view.grid_chart(figures, T, TOPICS)
    assert spec is not None
    assert len(spec["rows"]) == 10 and len(spec["columns"]) == 10
    assert spec["rows"][-1] == "Lainnya" and spec["columns"][-1] == "Lainnya"
    assert sum(map(sum, spec["values"])) == 144, "folding loses no case"
    assert charts.render(spec).startswith(b"\x89PNG")


def test_no_chart_when_there_is_nothing_to_show() -> None:
    figures = compute(Tallies(), NOVEMBER, Scope(), Policy(), AS_OF)
    assert view.charts(figures, T, TOPICS, agencies=True) == []
    assert view.maladministration_chart(figures, T) is None and view.grid_chart(figures, T, TOPICS) is None


def test_every_chart_of_a_busy_month_is_drawn() -> None:
    cases = [case(n, f"A{n % 3}", answered=25 if n % 2 else None, mal="penundaan" if n % 5 == 0 else None,
                  kecamatan=KECAMATAN[n % 4]) for n in range(30)]  # fmt: skip
    specs = view.charts(figures_of(cases), T, TOPICS, agencies=True)
    assert [s["kind"] for s in specs] == ["lines", "bars", "heat", "bars"]
    for spec in specs:
        assert charts.render(spec).startswith(b"\x89PNG")
    officer = view.charts(figures_of(cases), T, TOPICS, agencies=False)
    assert "bars" not in [s["kind"] for s in officer[:2]], "no scorecard of all agencies for an officer"


@pytest.mark.parametrize(("period", "agency", "name"), [
    (NOVEMBER, None, "kanal-aduan-2026-11.xlsx"),
    (NOVEMBER, "DPU", "kanal-aduan-2026-11-DPU.xlsx"),
    (Period(date(2026, 11, 2), date(2026, 11, 30)), None, "kanal-aduan-20261102-20261130.xlsx"),
])  # fmt: skip
def test_report_names(period: Period, agency: str | None, name: str) -> None:
    assert view.report_name(period, agency) == name
