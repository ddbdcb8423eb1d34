"""bot.reports.charts: chart specs become phone-sized PNGs; bad specs are refused; threads are safe."""

from __future__ import annotations

import copy
import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.reports.charts import filename, render

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LONG_LABEL = "Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten Kutai Kartanegara, Bidang Bina Marga"[:80]


def bars_spec(count: int = 4) -> dict[str, Any]:
    items = [{"label": f"Dinas nomor {i + 1}", "value": 90.0 - 8 * i, "text": f"{90 - 8 * i}% (n={12 - i})",
              "muted": i == count - 1} for i in range(count)]  # fmt: skip
    return {"kind": "bars", "title": "Persentase tepat waktu per OPD", "unit": "percent", "items": items,
            "note": "OPD dengan < 5 kasus tidak diberi peringkat"}  # fmt: skip


def lines_spec(weeks: int = 12) -> dict[str, Any]:
    labels = [f"2026-W{w + 1:02d}" for w in range(weeks)]
    return {"kind": "lines", "title": "Laporan masuk dan selesai", "labels": labels, "note": None,
            "series": [{"name": "Masuk", "values": [(w * 7) % 9 + 1 for w in range(weeks)]},
                       {"name": "Selesai", "values": [(w * 5) % 8 for w in range(weeks)]},
                       {"name": "Belum selesai", "values": [10 + w % 4 for w in range(weeks)], "style": "area"}]}  # fmt: skip


def heat_spec(rows: int = 5, columns: int = 6) -> dict[str, Any]:
    return {"kind": "heat", "title": "Topik × kecamatan", "note": None,
            "rows": [f"Topik {i + 1}" for i in range(rows)], "columns": [f"Kecamatan {j + 1}" for j in range(columns)],
            "values": [[(i * 3 + j * 5) % 7 for j in range(columns)] for i in range(rows)]}  # fmt: skip


SPECS = {"bars": bars_spec, "lines": lines_spec, "heat": heat_spec}


def assert_phone_png(data: bytes) -> None:
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "PNG"
        assert 700 <= image.width <= 2000
        assert image.height <= 2000
        assert image.mode in ("RGB", "RGBA")


@pytest.mark.parametrize("kind", SPECS)
def test_each_kind_renders_a_phone_sized_png(kind: str) -> None:
    assert_phone_png(render(SPECS[kind]()))


@pytest.mark.parametrize("kind", SPECS)
def test_the_same_spec_gives_the_same_bytes(kind: str) -> None:
    assert render(SPECS[kind]()) == render(SPECS[kind]())


def test_render_does_not_change_the_spec() -> None:
    spec = bars_spec()
    before = copy.deepcopy(spec)
    render(spec)
    assert spec == before


def test_edge_cases_still_draw() -> None:
    single_week = lines_spec(1)
    many_weeks = lines_spec(60)
    one_bar = {"kind": "bars", "title": "Jumlah laporan", "unit": "count", "note": None,
               "items": [{"label": "Dinas Sosial", "value": 3, "text": "3"}]}  # fmt: skip
    one_cell = {"kind": "heat", "title": "Topik", "rows": ["Kesehatan"], "columns": ["Tenggarong"], "values": [[1]]}
    full_table = heat_spec(10, 10)
    for spec in (single_week, many_weeks, one_bar, one_cell, full_table, bars_spec(10)):
        assert_phone_png(render(spec))


def test_long_labels_and_special_characters_render() -> None:
    assert len(LONG_LABEL) == 80
    bars = bars_spec()
    bars["items"][0]["label"] = LONG_LABEL
    bars["title"] = LONG_LABEL
    bars["note"] = LONG_LABEL + " – ≥ 5 kasus × 2, 10 % dan $5 $6"
    lines = lines_spec()
    lines["labels"][0] = LONG_LABEL
    lines["series"][0]["name"] = LONG_LABEL
    heat = heat_spec()
    heat["rows"][0] = LONG_LABEL
    heat["columns"][0] = LONG_LABEL
    for spec in (bars, lines, heat):
        assert_phone_png(render(spec))


def test_eleven_bars_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 10"):
        render(bars_spec(11))


def test_a_series_not_matching_the_labels_is_refused() -> None:
    spec = lines_spec(6)
    spec["series"][1]["values"] = [1, 2, 3]
    with pytest.raises(ValueError, match="3 values for 6 labels"):
        render(spec)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        render({"kind": "pie", "title": "Kue"})


def test_an_empty_bars_chart_is_refused() -> None:
    spec = bars_spec()
    spec["items"] = []
    with pytest.raises(ValueError, match="items"):
        render(spec)


def test_an_all_zero_heat_table_is_refused() -> None:
    spec = heat_spec()
    spec["values"] = [[0] * 6 for _ in range(5)]
    with pytest.raises(ValueError, match="zero"):
        render(spec)


def bars_without(key: str) -> dict[str, Any]:
    spec = bars_spec()
    del spec[key]
    return spec


def with_item(**changes: Any) -> dict[str, Any]:
    spec = bars_spec()
    spec["items"][0].update(changes)
    return spec


def with_cell(value: Any) -> dict[str, Any]:
    spec = heat_spec()
    spec["values"][0][0] = value
    return spec


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        pytest.param(bars_without("title"), "missing key", id="missing-title"),
        pytest.param(bars_without("kind"), "missing key kind", id="missing-kind"),
        pytest.param(with_item(value=-1), "negative", id="negative-bar"),
        pytest.param(with_item(value=101), "more than 100", id="percent-over-100"),
        pytest.param(with_item(value=float("nan")), "finite", id="nan"),
        pytest.param(with_item(value="12"), "number", id="string-value"),
        pytest.param(with_item(colour="red"), "unknown key", id="unknown-key"),
        pytest.param({**bars_spec(), "unit": "rupiah"}, "unit", id="unknown-unit"),
        pytest.param(with_cell(-2), "negative", id="negative-cell"),
        pytest.param(heat_spec(11, 3), "at most 10", id="eleven-rows"),
        pytest.param(heat_spec(3, 11), "at most 10", id="eleven-columns"),
        pytest.param({**heat_spec(), "values": [[1] * 6] * 4}, "4 rows for 5", id="heat-rows-mismatch"),
        pytest.param({**lines_spec(), "series": []}, "series", id="no-series"),
        pytest.param(lines_spec(61), "at most 60", id="too-many-labels"),
        pytest.param("bars", "expected an object", id="not-a-dict"),
    ],
)
def test_bad_specs_are_refused_with_the_problem_named(spec: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        render(spec)


def test_render_is_safe_from_several_threads() -> None:
    specs = [bars_spec(3), lines_spec(8), heat_spec(4, 4), bars_spec(10), lines_spec(40), heat_spec(10, 10),
             bars_spec(6), lines_spec(1)]  # fmt: skip
    alone = [render(spec) for spec in specs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(render, specs))
    for data in together:
        assert_phone_png(data)
    assert together == alone  # threads do not disturb each other's drawing


def test_filename_is_short_and_safe() -> None:
    assert filename(bars_spec()) == "grafik-bars.png"
    assert filename(heat_spec()) == "grafik-heat.png"
    assert filename({"kind": "../../etc/passwd ✓"}) == "grafik-etc-passwd.png"
    assert filename({}) == "grafik.png"


def test_importing_the_module_does_not_load_matplotlib() -> None:
    code = "import sys, bot.reports.charts; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
