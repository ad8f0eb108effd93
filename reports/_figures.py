"""Figures for the case pages: matplotlib, SVG, colour-blind-safe, deterministic bytes.

Every function takes plain record data (never a model or a frame) and returns
a matplotlib ``Figure``; :func:`save_svg` writes it. Two runs on the same
record and the same matplotlib give byte-identical files: the SVG hash salt is
fixed and the date and creator metadata are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every
# common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
SERIES_COLOURS = ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue",
                  "black")
GREY = "#6E6E6E"

_RC = {
    "svg.hashsalt": "fairness-casebook",  # fixed ids for clip paths and glyphs
    "svg.fonttype": "none",  # text stays text: smaller, selectable, read by screen readers
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "text.usetex": False,
    "path.simplify": False,
}


matplotlib.rcParams.update(_RC)


def colour(i: int) -> str:
    """The ``i``-th colour of the series palette (Okabe-Ito)."""
    return OKABE_ITO[SERIES_COLOURS[i % len(SERIES_COLOURS)]]


def plain(text: Any) -> str:
    """A user's string made inert for matplotlib: no mathtext (``$``)."""
    return str(text).replace("$", r"\$")


def save_svg(fig: Figure, path: str | Path) -> bool:
    """Write ``fig`` as deterministic SVG; return whether the file changed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (closed afterwards).
    path : str or pathlib.Path
        Where to write.

    Returns
    -------
    bool
        True when the bytes on disk changed.
    """
    import io

    path = Path(path)
    buf = io.StringIO()
    with plt.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                    bbox_inches="tight", pad_inches=0.08)
    plt.close(fig)
    data = buf.getvalue().encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _new(width: float, height: float, ncols: int = 1, sharey: bool = False):
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, ncols, figsize=(width, height), sharey=sharey,
                                 squeeze=False)
    return fig, list(axes[0])


def _val(est: Any) -> float:
    if isinstance(est, dict):
        v = est.get("value")
    else:
        v = est
    return math.nan if v is None else float(v)


def _bounds(est: Any) -> tuple[float, float]:
    if isinstance(est, dict):
        lo, hi = est.get("ci_low"), est.get("ci_high")
        return (math.nan if lo is None else float(lo), math.nan if hi is None else float(hi))
    return math.nan, math.nan


def _percent_axis(ax, axis: str = "y", points: bool = False, decimals: int | None = None
                  ) -> None:
    """Tick labels in percent (or percentage points), with as many decimals as the
    ticks' spacing needs: a span of a fraction of a point must not read "0, 0, +1"."""
    if decimals is None:
        lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
        ticks = [t for t in (ax.get_yticks() if axis == "y" else ax.get_xticks())
                 if lo <= t <= hi]
        step = min((b - a for a, b in zip(ticks, ticks[1:], strict=False)), default=1.0)
        decimals = max(0, min(3, -math.floor(math.log10(100 * step)))) if step > 0 else 0

    def fmt(x, _pos):
        v = 100 * x
        s = f"{v:+.{decimals}f}" if points else f"{v:.{decimals}f}%"
        if points and abs(v) < 10 ** -decimals / 2:
            s = "0"
        return s.replace("-", "\u2212")

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(fmt))


METRIC_MARKERS = ("o", "s", "D", "^", "v", "P")


def disparity_figure(
    rows: Sequence[dict],
    metrics: Sequence[tuple[str, str]],
    reference: str,
    title: str,
    xlabel: str | None = None,
) -> Figure:
    """Dot plot of each group's difference from the reference, one colour per metric.

    Parameters
    ----------
    rows : sequence of dict
        One per non-reference group: ``{"group", "n", "small", "differences":
        {metric: estimate}}``.
    metrics : sequence of (name, label)
        The metrics to draw, in order; all are rates, so differences are drawn
        in percentage points on one shared axis.
    reference : str
        The reference group's name (the zero line).
    title : str
        The figure's title.
    xlabel : str, optional
        The x axis's label (default: the difference from the reference, in
        percentage points).

    Returns
    -------
    matplotlib.figure.Figure
    """
    n_groups = max(len(rows), 1)
    k = len(metrics)
    step = 0.26 if k > 1 else 0.0
    height = 1.45 + (0.2 + 0.16 * k) * n_groups
    fig, (ax,) = _new(7.6, height)
    any_small = False
    lows, highs = [0.0], [0.0]
    with plt.rc_context(_RC):
        ax.axvline(0, color=OKABE_ITO["black"], linewidth=1.0, zorder=1)
        for i, r in enumerate(rows):
            base = n_groups - 1 - i
            if i:
                ax.axhline(base + 0.5, color="#E6E6E6", linewidth=0.8, zorder=0)
            small = bool(r.get("small"))
            any_small |= small
            for j, (metric, _label) in enumerate(metrics):
                y = base + ((k - 1) / 2 - j) * step
                est = r["differences"].get(metric)
                v = _val(est)
                c = colour(j)
                if math.isnan(v):
                    ax.text(0, y, "  undefined", va="center", fontsize=7.5, color=GREY)
                    continue
                lo, hi = _bounds(est)
                err = None
                if not (math.isnan(lo) or math.isnan(hi)):
                    err = [[max(v - lo, 0)], [max(hi - v, 0)]]
                    lows.append(lo)
                    highs.append(hi)
                lows.append(v)
                highs.append(v)
                ax.errorbar([v], [y], xerr=err, fmt=METRIC_MARKERS[j % len(METRIC_MARKERS)],
                            color=c, ecolor=c, elinewidth=1.5, capsize=2.5, markersize=5.5,
                            markerfacecolor="white" if small else c, markeredgewidth=1.3,
                            alpha=0.75 if small else 1.0, zorder=3)
        labels = [plain(f"{r['group']}\n(n = {r['n']:,}" + (", small)" if r.get("small") else ")"))
                  for r in rows]
        ax.set_yticks([n_groups - 1 - i for i in range(len(rows))])
        ax.set_yticklabels(labels)
        ax.set_ylim(-0.6, n_groups - 0.4)
        ax.grid(axis="y", visible=False)
        span = (max(highs) - min(lows)) or 0.1
        ax.set_xlim(min(lows) - 0.05 * span, max(highs) + 0.05 * span)
        _percent_axis(ax, "x", points=True)
        ax.set_xlabel(plain(xlabel or f"difference from {reference} (percentage points)"))
        handles = [plt.Line2D([], [], marker=METRIC_MARKERS[j % len(METRIC_MARKERS)],
                              linestyle="-", linewidth=1.2, color=colour(j), label=plain(lab))
                   for j, (_m, lab) in enumerate(metrics)]
        if any_small:
            handles.append(plt.Line2D([], [], marker="o", linestyle="none", color=GREY,
                                      markerfacecolor="white", label="hollow: small group"))
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0),
                  ncol=len(handles), handlelength=1.6, columnspacing=1.2, borderaxespad=0.3)
        ax.set_title(plain(title), loc="left", pad=22)
        fig.tight_layout()
    return fig


def sweep_figure(
    knob: str,
    points: Sequence[dict],
    default: Any,
    panels: Sequence[dict],
    title: str,
) -> Figure:
    """Lines with 95% bands: how the headline moves as one knob changes.

    Parameters
    ----------
    knob : str
        The knob's name (the x axis).
    points : sequence of dict
        The sweep's points, each with a ``"value"``.
    default : Any
        The knob's default (marked with a dotted line).
    panels : sequence of dict
        One per panel: ``{"title", "ylabel", "values": [estimate], "kind":
        "points" | "percent" | "number", "reference_line": float | None,
        "reference_label": str}``.
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    xs = [float(p["value"]) for p in points]
    ncols = min(len(panels), 2)  # more than two panels: a grid, so the text stays legible
    nrows = math.ceil(len(panels) / ncols)
    with plt.rc_context(_RC):
        fig, grid = plt.subplots(nrows, ncols, figsize=(7.8, 3.0 * nrows + 0.4), squeeze=False)
    axes = [ax for row in grid for ax in row]
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    log_x = min(xs) > 0 and max(xs) / min(xs) >= 50  # e.g. sample sizes from 32 to 5,000
    for i, (ax, panel) in enumerate(zip(axes, panels, strict=False)):
        with plt.rc_context(_RC):
            c = colour(i)
            ys = [_val(e) for e in panel["values"]]
            lo = [_bounds(e)[0] for e in panel["values"]]
            hi = [_bounds(e)[1] for e in panel["values"]]
            if not all(math.isnan(x) for x in lo):
                ax.fill_between(xs, lo, hi, color=c, alpha=0.22, linewidth=0)
            ax.plot(xs, ys, marker="o", color=c, linewidth=1.8, markersize=4.5)
            ref = panel.get("reference_line")
            if ref is not None:
                ax.axhline(ref, color=OKABE_ITO["black"], linewidth=0.9, linestyle="--")
            try:
                ax.axvline(float(default), color=GREY, linewidth=0.9, linestyle=":")
            except (TypeError, ValueError):
                pass
            ax.set_title(plain(panel["title"]))
            ax.set_xlabel(plain(knob) + (" (log scale)" if log_x else ""))
            ax.set_ylabel(plain(panel["ylabel"]))
            if log_x:
                ax.set_xscale("log")
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
            if panel.get("kind") == "points":
                _percent_axis(ax, "y", points=True)
            elif panel.get("kind") == "percent":
                _percent_axis(ax, "y")
            if ref is not None:
                ax.annotate(plain(panel.get("reference_label") or f"{ref:g}"), (1.0, ref),
                            xycoords=("axes fraction", "data"), xytext=(-2, 3),
                            textcoords="offset points", ha="right", va="bottom", fontsize=7.5,
                            color="#333333")
    with plt.rc_context(_RC):
        fig.suptitle(plain(title), fontsize=11, fontweight="bold", x=0.01, y=0.995, ha="left")
        handles = [plt.Line2D([], [], color=GREY, marker="o", markersize=4, label="estimate"),
                   matplotlib.patches.Patch(color=GREY, alpha=0.25, label="95% interval"),
                   plt.Line2D([], [], color=GREY, linestyle=":", label="default value")]
        fig.legend(handles=handles, loc="lower center", ncol=3, bbox_to_anchor=(0.5, 0.0))
        fig.tight_layout(rect=(0, 0.07 / nrows, 1, 1 - 0.04 / nrows))
    return fig


def _abs_interval(est: dict) -> tuple[float, float, float]:
    v = abs(_val(est))
    lo, hi = _bounds(est)
    if math.isnan(lo) or math.isnan(hi):
        return v, math.nan, math.nan
    if lo <= 0 <= hi:
        return v, 0.0, max(abs(lo), abs(hi))
    return v, min(abs(lo), abs(hi)), max(abs(lo), abs(hi))


STAGE_MARKERS = {"none": "*", "pre": "s", "in": "o", "post": "^"}
LIBRARY_COLOURS = {"fairlearn": OKABE_ITO["blue"], "aif360": OKABE_ITO["orange"],
                   "scikit-learn": OKABE_ITO["black"]}


def tradeoff_figure(entries: Sequence[dict], numbers: Sequence[int], metric_label: str,
                    percent_points: bool, title: str) -> Figure:
    """Accuracy against the size of the headline gap, with error bars and the Pareto front.

    Parameters
    ----------
    entries : sequence of dict
        Mitigation entries that ran (baseline first), with ``accuracy``,
        ``headline.difference``, ``pareto``, ``library`` and ``stage``.
    numbers : sequence of int
        The number each entry has in the page's table (drawn beside its point).
    metric_label : str
        The headline metric's name, for the x axis.
    percent_points : bool
        Whether the difference is of a rate (drawn in percentage points).
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax,) = _new(7.4, 4.6)
    front = []
    labels: dict[tuple[float, float], list[str]] = {}
    with plt.rc_context(_RC):
        for e, num in zip(entries, numbers, strict=True):
            x, xlo, xhi = _abs_interval(e["headline"]["difference"])
            y = _val(e["accuracy"])
            ylo, yhi = _bounds(e["accuracy"])
            if math.isnan(x) or math.isnan(y):
                continue
            xerr = None if math.isnan(xlo) else [[max(x - xlo, 0)], [max(xhi - x, 0)]]
            yerr = None if math.isnan(ylo) else [[max(y - ylo, 0)], [max(yhi - y, 0)]]
            c = LIBRARY_COLOURS.get(e.get("library"), OKABE_ITO["reddish_purple"])
            marker = STAGE_MARKERS.get(e.get("stage"), "D")
            ax.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt=marker, color=c, ecolor=c,
                        elinewidth=1.0, alpha=0.9, capsize=2,
                        markersize=11 if marker == "*" else 7, zorder=3)
            labels.setdefault((round(x, 3), round(y, 3)), []).append(str(num))
            if e.get("pareto"):
                front.append((x, y))
        for (x, y), nums in labels.items():  # models at the same point share one label
            ax.annotate(", ".join(nums), (x, y), textcoords="offset points", xytext=(6, 5),
                        fontsize=8.5, color="#222222", zorder=4)
        if front:
            front.sort()
            ax.plot([p[0] for p in front], [p[1] for p in front], color=OKABE_ITO["black"],
                    linestyle="--", linewidth=1.1, zorder=2)
            ax.scatter([p[0] for p in front], [p[1] for p in front], s=170, facecolors="none",
                       edgecolors=OKABE_ITO["black"], linewidths=1.0, zorder=5)
        ax.set_xlabel(plain(f"size of the {metric_label} gap |difference|"
                            + (" (percentage points)" if percent_points else "")))
        ax.set_ylabel("accuracy on the test set")
        if percent_points:
            _percent_axis(ax, "x", points=False)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{100 * v:.0f}"))
        _percent_axis(ax, "y")
        right = ax.get_xlim()[1]
        ax.set_xlim(-0.02 * right, right)  # a point at 0 stays whole
        handles = [plt.Line2D([], [], marker=STAGE_MARKERS[s], linestyle="none",
                              color=GREY, label=lab, markersize=9 if s == "none" else 6)
                   for s, lab in (("none", "baseline"), ("pre", "pre-processing"),
                                  ("in", "in-processing"), ("post", "post-processing"))]
        handles += [plt.Line2D([], [], marker="o", linestyle="none", color=c, label=lib)
                    for lib, c in LIBRARY_COLOURS.items() if lib != "scikit-learn"]
        handles.append(plt.Line2D([], [], color=OKABE_ITO["black"], linestyle="--",
                                  marker="o", markerfacecolor="none", markersize=10,
                                  label="Pareto front"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.set_title(plain(title), loc="left")
        fig.tight_layout()
    return fig


def block_figure(figure) -> Figure:
    """A case's own figure from its page block (``cases.blocks.Figure``).

    Parameters
    ----------
    figure : cases.blocks.Figure
        ``title``, ``xlabel``, ``ylabel``, ``y_kind``, ``xscale``,
        ``reference_line``, ``chart`` ("line" or "errorbar") and ``series``
        (``label``, ``x``, ``y``, ``low``, ``high``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import dataclasses

    block = dataclasses.asdict(figure)
    block["percent_y"] = figure.y_kind == "percent"
    fig, (ax,) = _new(7.0, 3.9)
    chart = block.get("chart", "line")
    series = block.get("series") or []
    with plt.rc_context(_RC):
        for i, s in enumerate(series):
            c = colour(i)
            x = list(s.get("x") or [])
            y = [math.nan if v is None else float(v) for v in s.get("y") or []]
            low, high = s.get("low"), s.get("high")
            numeric_x = all(isinstance(v, int | float) and not isinstance(v, bool) for v in x)
            xs = x if numeric_x else list(range(len(x)))
            if chart == "errorbar":
                err = None
                if low is not None and high is not None:
                    err = [[max(v - (lo if lo is not None else v), 0) for v, lo in zip(y, low,
                                                                                        strict=True)],
                           [max((hi if hi is not None else v) - v, 0) for v, hi in zip(y, high,
                                                                                        strict=True)]]
                offset = (i - (len(series) - 1) / 2) * 0.12 if not numeric_x else 0
                ax.errorbar([v + offset for v in xs], y, yerr=err, fmt="o", color=c,
                            ecolor=c, capsize=3, label=plain(s.get("label", "")))
            else:
                if low is not None and high is not None:
                    lo = [math.nan if v is None else float(v) for v in low]
                    hi = [math.nan if v is None else float(v) for v in high]
                    ax.fill_between(xs, lo, hi, color=c, alpha=0.2, linewidth=0)
                ax.plot(xs, y, marker="o" if len(xs) <= 30 else None, markersize=4, color=c,
                        linewidth=1.8, label=plain(s.get("label", "")))
            if not numeric_x:
                ax.set_xticks(xs)
                ax.set_xticklabels([plain(v) for v in x], rotation=20, ha="right")
        if block.get("reference_line") is not None:
            ax.axhline(float(block["reference_line"]), color=OKABE_ITO["black"],
                       linewidth=0.9, linestyle="--")
        if block.get("xscale") == "log":
            ax.set_xscale("log")
        if block.get("percent_y"):
            _percent_axis(ax, "y")
        elif max((abs(v) for v in ax.get_ylim()), default=0) >= 1000:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        ax.set_xlabel(plain(block.get("xlabel", "")))
        ax.set_ylabel(plain(block.get("ylabel", "")))
        ax.set_title(plain(block.get("title", "")), loc="left")
        if any(s.get("label") for s in series):
            ax.legend(loc="best")
        fig.tight_layout()
    return fig
