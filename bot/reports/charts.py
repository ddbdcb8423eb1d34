"""Draw the statistics' charts: a chart *spec* (a plain, JSON-able dict whose strings are already
translated) becomes PNG bytes sized and lettered to be read on a phone.

matplotlib is used through its object API only (a ``Figure`` on its own Agg canvas), never through
``matplotlib.pyplot``: pyplot keeps global state (the current figure, a registry of open figures)
and is not thread-safe, while render() is called from worker threads. For the same reason nothing
here touches ``matplotlib.rcParams``; fonts and sizes are passed to each artist. matplotlib is
imported inside render(), not at the top of this module, so the bot does not pay its import time
and memory until it draws its first chart.

Spec kinds (``note`` is optional everywhere: a string or null, printed small under the chart):

* ``{"kind": "bars", "title": str, "unit": "percent" | "count", "note": str | None,
  "items": [{"label": str, "value": number, "text": str, "muted": bool (optional)}, ...]}``
  1-10 horizontal bars, top to bottom in the given order; ``text`` is printed at the bar's end
  ("" prints nothing); ``muted`` bars are grey and hatched (shown but not ranked). Percent values
  lie in 0..100 on a fixed 0-100 % axis; counts start at 0 with whole-number ticks.
* ``{"kind": "lines", "title": str, "note": str | None, "labels": [str, ...] (1-60),
  "series": [{"name": str, "values": [number, ...], "style": "line" | "area" (optional)}, ...]}``
  1-4 series, each with one value per label.
* ``{"kind": "heat", "title": str, "note": str | None, "rows": [str, ...] (1-10),
  "columns": [str, ...] (1-10), "values": [[int, ...], ...] (rows x columns)}``

Numbers are never negative, never NaN; a chart with nothing to show (no items, every count zero;
a percentage of 0 is shown) is refused, as is anything else that does not fit: render() raises ValueError naming the problem.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

# About 960 x 720 px: sharp on a phone, small enough to send quickly.
FIGSIZE = (8.0, 6.0)
DPI = 120
FONT = "DejaVu Sans"  # bundled with matplotlib, so every machine draws the same glyphs
TITLE_SIZE = 19
TEXT_SIZE = 14
SMALL_SIZE = 13  # the smallest type on any chart
LABEL_WIDTH = 28  # characters per line of a label, at most LABEL_LINES lines
LABEL_LINES = 2
TITLE_WIDTH = 46
NOTE_WIDTH = 70

MAX_BARS = 10
MAX_LABELS = 60
MAX_SERIES = 4
MAX_HEAT = 10
MAX_TICKS = 8  # x labels shown on a time series; the others are skipped

# Okabe-Ito, a palette told apart with every common colour-vision deficiency.
BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREEN = "#009E73"
PURPLE = "#CC79A7"
SERIES_COLOURS = (BLUE, VERMILLION, GREEN, PURPLE)
SERIES_MARKERS = ("o", "s", "^", "D")  # a second cue besides colour
MUTED = "#B0B0B0"
MUTED_EDGE = "#555555"
INK = "#222222"
SOFT_INK = "#444444"
GRID = "#DDDDDD"
EMPTY_CELL = "#EFEFEF"
HEAT_COLOURS = "Blues"  # single-hue sequential map: light = few, readable in grey too


# --- The spec, checked -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    muted: bool


@dataclass(frozen=True)
class Bars:
    title: str
    note: str | None
    unit: str
    items: tuple[Bar, ...]


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]
    style: str


@dataclass(frozen=True)
class Lines:
    title: str
    note: str | None
    labels: tuple[str, ...]
    series: tuple[Series, ...]


@dataclass(frozen=True)
class Heat:
    title: str
    note: str | None
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    values: tuple[tuple[int, ...], ...]


Chart = Bars | Lines | Heat

KINDS = ("bars", "lines", "heat")


def _keys(obj: object, where: str, required: Set[str], optional: Set[str] = frozenset()) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise ValueError(f"{where}: expected an object, got {type(obj).__name__}")
    missing = required - obj.keys()
    if missing:
        raise ValueError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
    unknown = obj.keys() - required - optional
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    return obj


def _string(value: object, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string, got {type(value).__name__}")
    text = _clean(value)
    if not text and not empty:
        raise ValueError(f"{where}: empty string")
    return text


def _note(value: object, where: str) -> str | None:
    return None if value is None else _string(value, where, empty=True) or None


def _number(value: object, where: str) -> float:
    # bool is an int in Python, but True as a count is a bug in the caller.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{where}: not a finite number")
    if value < 0:
        raise ValueError(f"{where}: negative value {value}")
    return float(value)


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: expected a whole number, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{where}: negative count {value}")
    return value


def _list(value: object, where: str, low: int, high: int) -> Sequence[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
    if len(value) < low:
        raise ValueError(f"{where}: empty, nothing to draw" if not value else f"{where}: fewer than {low} entries")
    if len(value) > high:
        raise ValueError(f"{where}: {len(value)} entries, at most {high} allowed")
    return value


def _parse(spec: object) -> Chart:
    if not isinstance(spec, Mapping):
        raise ValueError(f"chart spec: expected an object, got {type(spec).__name__}")
    if "kind" not in spec:
        raise ValueError("chart spec: missing key kind")
    kind = spec["kind"]
    if kind == "bars":
        return _parse_bars(spec)
    if kind == "lines":
        return _parse_lines(spec)
    if kind == "heat":
        return _parse_heat(spec)
    raise ValueError(f"chart spec: unknown kind {kind!r}, expected one of {', '.join(KINDS)}")


def _parse_bars(spec: Mapping[str, Any]) -> Bars:
    _keys(spec, "bars chart", {"kind", "title", "unit", "items"}, {"note"})
    unit = spec["unit"]
    if unit not in ("percent", "count"):
        raise ValueError(f"bars chart: unit must be 'percent' or 'count', got {unit!r}")
    items = []
    for i, raw in enumerate(_list(spec["items"], "bars chart: items", 1, MAX_BARS)):
        where = f"bars chart: items[{i}]"
        item = _keys(raw, where, {"label", "value", "text"}, {"muted"})
        value = _number(item["value"], f"{where}.value")
        if unit == "percent" and value > 100:
            raise ValueError(f"{where}.value: {value} is more than 100 percent")
        muted = item.get("muted", False)
        if not isinstance(muted, bool):
            raise ValueError(f"{where}.muted: expected true or false, got {type(muted).__name__}")
        text = _string(item["text"], f"{where}.text", empty=True)
        items.append(Bar(_string(item["label"], f"{where}.label"), value, text, muted))
    # 0% everywhere is news (nobody answered on time); zero counts are nothing to show.
    if unit == "count" and not any(bar.value for bar in items):
        raise ValueError("bars chart: every value is zero, nothing to draw")
    return Bars(_string(spec["title"], "bars chart: title"), _note(spec.get("note"), "bars chart: note"), unit,
                tuple(items))  # fmt: skip


def _parse_lines(spec: Mapping[str, Any]) -> Lines:
    _keys(spec, "lines chart", {"kind", "title", "labels", "series"}, {"note"})
    labels = tuple(_string(label, f"lines chart: labels[{i}]")
                   for i, label in enumerate(_list(spec["labels"], "lines chart: labels", 1, MAX_LABELS)))  # fmt: skip
    series = []
    for i, raw in enumerate(_list(spec["series"], "lines chart: series", 1, MAX_SERIES)):
        where = f"lines chart: series[{i}]"
        entry = _keys(raw, where, {"name", "values"}, {"style"})
        style = entry.get("style", "line")
        if style not in ("line", "area"):
            raise ValueError(f"{where}.style: must be 'line' or 'area', got {style!r}")
        values = _list(entry["values"], f"{where}.values", 0, MAX_LABELS)
        if len(values) != len(labels):
            raise ValueError(f"{where}.values: {len(values)} values for {len(labels)} labels")
        numbers = tuple(_number(v, f"{where}.values[{j}]") for j, v in enumerate(values))
        series.append(Series(_string(entry["name"], f"{where}.name"), numbers, style))
    if not any(any(s.values) for s in series):
        raise ValueError("lines chart: every value is zero, nothing to draw")
    return Lines(_string(spec["title"], "lines chart: title"), _note(spec.get("note"), "lines chart: note"), labels,
                 tuple(series))  # fmt: skip


def _parse_heat(spec: Mapping[str, Any]) -> Heat:
    _keys(spec, "heat table", {"kind", "title", "rows", "columns", "values"}, {"note"})
    rows = tuple(_string(r, f"heat table: rows[{i}]")
                 for i, r in enumerate(_list(spec["rows"], "heat table: rows", 1, MAX_HEAT)))  # fmt: skip
    columns = tuple(_string(c, f"heat table: columns[{i}]")
                    for i, c in enumerate(_list(spec["columns"], "heat table: columns", 1, MAX_HEAT)))  # fmt: skip
    grid = _list(spec["values"], "heat table: values", 0, MAX_HEAT)
    if len(grid) != len(rows):
        raise ValueError(f"heat table: values has {len(grid)} rows for {len(rows)} row labels")
    values = []
    for i, raw in enumerate(grid):
        row = _list(raw, f"heat table: values[{i}]", 0, MAX_HEAT)
        if len(row) != len(columns):
            raise ValueError(f"heat table: values[{i}] has {len(row)} cells for {len(columns)} columns")
        values.append(tuple(_count(v, f"heat table: values[{i}][{j}]") for j, v in enumerate(row)))
    if not any(any(row) for row in values):
        raise ValueError("heat table: every count is zero, nothing to draw")
    return Heat(_string(spec["title"], "heat table: title"), _note(spec.get("note"), "heat table: note"), rows,
                columns, tuple(values))  # fmt: skip


# --- Text ----------------------------------------------------------------------------------------

# DejaVu Sans has no emoji; drop what it would draw as empty boxes (astral-plane characters,
# variation selectors, zero-width joiners) rather than print tofu.
_UNDRAWABLE = re.compile("[\U00010000-\U0010ffff\ufe00-\ufe0f\u200d]")


def _clean(text: str) -> str:
    return " ".join(_UNDRAWABLE.sub("", text).split())


def _escape(text: str) -> str:
    # A label with two "$" would otherwise be typeset as mathtext.
    return text.replace("$", r"\$")


def _wrap(text: str, width: int = LABEL_WIDTH, lines: int = LABEL_LINES) -> str:
    """At most `lines` lines of `width` characters; what does not fit ends in an ellipsis."""
    return _escape("\n".join(textwrap.wrap(text, width=width, max_lines=lines, placeholder="…")))


def _font(size: float, weight: str = "normal") -> FontProperties:
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=FONT, size=size, weight=weight)


# --- Drawing -------------------------------------------------------------------------------------


def render(spec: dict[str, Any]) -> bytes:
    """PNG bytes for a chart spec (see the module docstring). Raises ValueError for a spec it cannot draw."""
    chart = _parse(spec)
    # Imported here, not at module level: the bot loads matplotlib only once it draws a chart.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    # Constrained layout keeps the title, legend, note and every label inside the image.
    figure = Figure(figsize=FIGSIZE, dpi=DPI, facecolor="white", layout=ConstrainedLayoutEngine(w_pad=0.1, h_pad=0.1))
    FigureCanvasAgg(figure)
    figure.suptitle(_wrap(chart.title, TITLE_WIDTH), fontproperties=_font(TITLE_SIZE, "bold"), color=INK)
    if chart.note:
        # The figure's x label slot, so that the layout leaves room for it under the chart.
        figure.supxlabel(_wrap(chart.note, NOTE_WIDTH), fontproperties=_font(SMALL_SIZE), color=SOFT_INK)
    axes = figure.add_subplot()
    axes.set_facecolor("white")
    axes.tick_params(labelsize=TEXT_SIZE, labelfontfamily=FONT, labelcolor=INK, color=SOFT_INK)
    if isinstance(chart, Bars):
        _draw_bars(figure, axes, chart)
    elif isinstance(chart, Lines):
        _draw_lines(axes, chart)
    else:
        _draw_heat(axes, chart)
    buffer = io.BytesIO()
    # No "Software" stamp: the bytes depend on the spec alone (and the machine's matplotlib).
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _plain_axes(axes: Axes, grid_axis: Literal["x", "y"]) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis=grid_axis, color=GRID, linewidth=1)
    axes.set_axisbelow(True)


def _draw_bars(figure: Figure, axes: Axes, chart: Bars) -> None:
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    positions = range(len(chart.items))
    for y, bar in zip(positions, chart.items):
        if bar.muted:
            axes.barh(y, bar.value, height=0.65, color=MUTED, edgecolor=MUTED_EDGE, hatch="//", linewidth=1)
        else:
            axes.barh(y, bar.value, height=0.65, color=BLUE)
    axes.set_yticks(list(positions), [_wrap(bar.label) for bar in chart.items])
    # Given order top to bottom; a few bars keep a sensible thickness instead of filling the plot.
    axes.set_ylim(max(len(chart.items), 3) - 0.5, -0.5)
    axes.tick_params(axis="y", length=0)
    if chart.unit == "percent":
        axes.set_xlim(0, 100)
        axes.set_xticks(range(0, 101, 20))
        axes.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    else:
        axes.set_xlim(0, max(bar.value for bar in chart.items) * 1.15)
        axes.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    _plain_axes(axes, "x")
    annotations = [
        axes.annotate(_escape(bar.text), xy=(bar.value, y), xytext=(6, 0), textcoords="offset points",
                      ha="left", va="center", fontproperties=_font(TEXT_SIZE, "bold"), color=INK,
                      annotation_clip=False, in_layout=False)  # fmt: skip
        for y, bar in zip(positions, chart.items)
        if bar.text
    ]
    _keep_inside(figure, axes, annotations)


def _keep_inside(figure: Figure, axes: Axes, annotations: list[Any]) -> None:
    """Move a bar's text that would run past the plot's right edge inside the bar, on a white box."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import blended_transform_factory

    figure.draw_without_rendering()  # runs the layout, so the sizes measured below are final
    assert isinstance(figure.canvas, FigureCanvasAgg)
    renderer = figure.canvas.get_renderer()
    box = axes.get_window_extent(renderer)
    for annotation in annotations:
        if annotation.get_window_extent(renderer).x1 <= box.x1:
            continue
        annotation.xyann = (-6, 0)
        annotation.set_horizontalalignment("right")
        annotation.set_bbox({"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none"})
        if annotation.get_window_extent(renderer).x0 < box.x0:
            # Too long even for its bar: pin it to the plot's right edge.
            annotation.xycoords = blended_transform_factory(axes.transAxes, axes.transData)
            annotation.xy = (1, annotation.xy[1])


def _draw_lines(axes: Axes, chart: Lines) -> None:
    from matplotlib.ticker import MaxNLocator

    count = len(chart.labels)
    x = list(range(count))
    markers = count <= 20  # a few points read better as dots, and a single point needs one
    handles: list[Any] = []
    names: list[str] = []
    for i, series in enumerate(chart.series):
        colour = SERIES_COLOURS[i]
        marker = SERIES_MARKERS[i] if markers else None
        if series.style == "area":
            fill = axes.fill_between(x, series.values, color=colour, alpha=0.25, linewidth=0, zorder=1)
            (line,) = axes.plot(x, series.values, color=colour, linewidth=2, marker=marker, markersize=6, zorder=2)
            handles.append((fill, line))  # the legend shows the band and its edge, as drawn
        else:
            (line,) = axes.plot(x, series.values, color=colour, linewidth=3, marker=marker, markersize=8, zorder=3)
            handles.append(line)
        names.append(_wrap(series.name))
    axes.set_xticks(*_x_ticks(chart.labels))
    axes.set_xlim((-0.5, 0.5) if count == 1 else (-0.3, count - 0.7))
    top = max(max(s.values) for s in chart.series)
    axes.set_ylim(0, max(top * 1.1, 1))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    _plain_axes(axes, "y")
    # Above the plot, where it never covers a line; the axes' own legend (not the figure's), so that
    # the layout puts the title above it. One row if the names are short, else two columns.
    width = sum(len(s.name) + 6 for s in chart.series) * _CHAR_POINTS
    axes.legend(handles, names, loc="lower center", bbox_to_anchor=(0.5, 1.02),
                ncols=len(chart.series) if width <= _AXIS_POINTS else 2, frameon=False, prop=_font(TEXT_SIZE),
                handlelength=1.8, columnspacing=1.5, borderaxespad=0)  # fmt: skip


# Rough sizes, in points, to choose how many x labels fit side by side without measuring them.
_CHAR_POINTS = 0.62 * TEXT_SIZE  # DejaVu Sans' average character width
_AXIS_POINTS = 500.0  # the plot's width on an 8-inch figure, less the y labels
_LABEL_GAP = 3 * _CHAR_POINTS


def _x_ticks(labels: Sequence[str]) -> tuple[list[int], list[str]]:
    """Which x labels to show (every n-th, so that they never overlap) and their text.

    Labels stay horizontal, the easiest to read on a phone: on one line if at least 4 of them fit
    side by side, else wrapped onto two short lines (at least 3 of those always fit)."""
    for width in (LABEL_WIDTH, LABEL_WIDTH // 2):
        texts = [_wrap(label, width) for label in labels]
        longest = max(len(line) for text in texts for line in text.split("\n"))
        fit = int(_AXIS_POINTS // (longest * _CHAR_POINTS + _LABEL_GAP))
        if fit >= min(4, len(labels)):
            break
    step = math.ceil(len(labels) / max(1, min(fit, MAX_TICKS)))
    shown = list(range(0, len(labels), step))
    return shown, [texts[i] for i in shown]


def _draw_heat(axes: Axes, chart: Heat) -> None:
    import numpy
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    top = max(max(row) for row in chart.values)
    # Empty cells in neutral grey; the scale starts a little below zero so that a count of 1 is
    # already tinted and tells itself apart from an empty cell.
    colours = colormaps[HEAT_COLOURS].with_extremes(bad=EMPTY_CELL)
    norm = Normalize(vmin=-0.15 * top, vmax=top)
    cells = numpy.ma.masked_equal(numpy.array(chart.values), 0)
    axes.pcolormesh(cells, cmap=colours, norm=norm, edgecolors="white", linewidth=2)
    size = TEXT_SIZE + 2 if max(len(chart.rows), len(chart.columns)) <= 6 else SMALL_SIZE
    for i, row in enumerate(chart.values):
        for j, value in enumerate(row):
            if value:
                axes.text(j + 0.5, i + 0.5, str(value), ha="center", va="center",
                          fontproperties=_font(size, "bold"), color=_contrast(colours(norm(value))))  # fmt: skip
    axes.set_xlim(0, len(chart.columns))
    axes.set_ylim(len(chart.rows), 0)  # first row on top, as in a table
    axes.xaxis.tick_top()
    axes.set_xticks([j + 0.5 for j in range(len(chart.columns))], [_wrap(c) for c in chart.columns],
                    rotation=45, ha="left", rotation_mode="anchor")  # fmt: skip
    axes.set_yticks([i + 0.5 for i in range(len(chart.rows))], [_wrap(r) for r in chart.rows])
    axes.tick_params(length=0, labelsize=SMALL_SIZE)
    for spine in axes.spines.values():
        spine.set_visible(False)


def _contrast(rgba: tuple[float, float, float, float]) -> str:
    """Black on light cells, white on dark ones (relative luminance, WCAG)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in rgba[:3])
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    # The luminance at which black and white text have equal contrast.
    return "black" if luminance > 0.179 else "white"


def filename(spec: dict[str, Any]) -> str:
    """A short, safe file name for the chart's PNG, from its kind: "grafik-bars.png"."""
    kind = spec.get("kind") if isinstance(spec, Mapping) else None
    slug = re.sub(r"[^a-z0-9]+", "-", str(kind or "").lower()).strip("-")[:20].strip("-")
    return f"grafik-{slug}.png" if slug else "grafik.png"
