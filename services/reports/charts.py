"""The monthly report's charts, drawn once by the report's job (never on a
request) with matplotlib's Agg backend: SVG for pages, PNG for the PDF. The
Chinese font is set explicitly from the file the notices use (matplotlib's
default family has no Chinese glyphs and would draw boxes); SVG text is
written as paths, so a browser needs no font to show it."""

from __future__ import annotations

import base64
import functools
import threading
from collections.abc import Mapping, Sequence
from io import BytesIO
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: files only

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from domain.report import LOAN_OVERDUE_LIMIT  # noqa: E402
from schemas.report import ReportChart  # noqa: E402

# pyplot's global state is not used (Figure objects only); the font manager
# is shared, so registering a font is done once under a lock.
_LOCK = threading.Lock()


@functools.cache
def font_family(font: Path) -> str:
    """Registers the font file with matplotlib and returns its family name."""
    with _LOCK:
        font_manager.fontManager.addfont(str(font))
        return font_manager.FontProperties(fname=str(font)).get_name()


def _figure(font: Path, height: float = 3.6) -> Figure:
    fig = Figure(figsize=(7.2, height), dpi=110, layout="constrained")
    fig.set_facecolor("white")
    return fig


def _rc(font: Path) -> dict[str, object]:
    return {
        "font.family": [font_family(font)],
        "font.size": 9,
        "axes.unicode_minus": False,  # the font's hyphen, not U+2212 it may lack
        "svg.fonttype": "path",
        "svg.hashsalt": "povwatch",  # the same figures give the same file
    }


def _render(fig: Figure, name: str, title: str) -> ReportChart:
    svg, png = BytesIO(), BytesIO()
    fig.savefig(svg, format="svg", metadata={"Date": None})
    fig.savefig(png, format="png", dpi=150)
    return ReportChart(
        name=name,
        title=title,
        svg=svg.getvalue().decode(),
        png=base64.b64encode(png.getvalue()).decode(),
    )


def trend_chart(
    font: Path, months: Sequence[str], series: dict[str, list[int]], title: str
) -> ReportChart:
    """Monitoring objects at each month's end, one line per township."""
    with matplotlib.rc_context(_rc(font)):
        fig = _figure(font)
        ax = fig.add_subplot()
        labels = [m[2:] for m in months]  # 25-12: short enough for a phone
        for township, values in sorted(series.items()):
            ax.plot(labels, values, marker="o", markersize=3, label=township)
        # The county's line is drawn even when no township has an object:
        # a month without objects shows as zero, not as an empty frame.
        county = [sum(v[i] for v in series.values()) for i in range(len(labels))]
        ax.plot(labels, county, color="#333333", linestyle="--", linewidth=1.5, label="全县")
        ax.set_title(title)
        ax.set_ylabel("户")
        ax.set_ylim(0, max([1, *county]) * 1.15)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(axis="x", labelrotation=45)
        ax.legend(fontsize=7, ncols=2 if len(series) > 6 else 1, loc="upper left")
        ax.grid(axis="y", alpha=0.3)
        return _render(fig, "trend", title)


def stages_chart(
    font: Path, stages: Sequence[str], on_time: Sequence[int], overdue: Sequence[int], title: str
) -> ReportChart:
    """Open stages on time and overdue, stacked, one bar per stage."""
    with matplotlib.rc_context(_rc(font)):
        fig = _figure(font)
        ax = fig.add_subplot()
        ax.bar(stages, on_time, color="#4a7fb5", label="按期")
        ax.bar(stages, overdue, bottom=on_time, color="#c0392b", label="超期")
        for i, n in enumerate(overdue):
            if n:
                ax.annotate(str(n), (i, on_time[i] + n), ha="center", va="bottom", fontsize=8)
        ax.set_title(title)
        ax.set_ylabel("件")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        return _render(fig, "stages", title)


def loans_chart(
    font: Path, places: Sequence[str], ratios: Mapping[str, Sequence[float]], title: str
) -> ReportChart:
    """The overdue ratios per township and the county (each series' bars side
    by side: by balance first, by count second), against the plan's 1% line;
    a bar at or over the line is red."""
    limit = float(LOAN_OVERDUE_LIMIT) * 100
    width = 0.8 / max(len(ratios), 1)
    with matplotlib.rc_context(_rc(font)):
        fig = _figure(font)
        ax = fig.add_subplot()
        tops = [limit * 2]
        for i, (label, series) in enumerate(ratios.items()):
            values = [r * 100 for r in series]
            tops.extend(values)
            light = i > 0  # the second basis drawn lighter
            colours = [
                ("#e6a19a" if light else "#c0392b") if v >= limit else
                ("#a9c4e0" if light else "#4a7fb5") for v in values
            ]  # fmt: skip
            xs = [k + (i - (len(ratios) - 1) / 2) * width for k in range(len(places))]
            bars = ax.bar(xs, values, width=width, color=colours, label=label)
            ax.bar_label(bars, labels=[f"{v:.2f}%" for v in values], fontsize=6, padding=2)
        ax.set_xticks(range(len(places)), places)
        ax.axhline(limit, color="#333333", linestyle="--", linewidth=1)
        ax.annotate("1%（方案§3(2)8）", (0, limit), xytext=(2, 3), textcoords="offset points",
                    xycoords=("axes fraction", "data"), fontsize=8)  # fmt: skip
        ax.set_title(title)
        ax.set_ylabel("逾期率（%）")
        ax.set_ylim(0, max(tops) * 1.15)
        ax.tick_params(axis="x", labelrotation=30)
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        return _render(fig, "loans", title)
