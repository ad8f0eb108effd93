"""Typed page blocks: what a case's page shows beyond the sections every case has.

A case's page module (``cases/pages/<module>.py``) turns its record into a
list of blocks with ``blocks(record) -> list[Block]``; the renderer
(``reports``) draws them with its templates. Page modules and this file are
outside a record's identity: editing a caption re-renders the page and
re-runs nothing. Numbers in a block come from the record; estimates are given
as they are (dicts or :class:`fairness.Estimate`) and formatted by the
renderer, with the column's ``kind``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["text", "number", "percent", "points", "count", "ratio"]
CHART_KINDS = ("line", "errorbar")


@dataclass(frozen=True)
class Text:
    """A paragraph of the case's own words (markdown); numbers formatted from the record."""

    markdown: str


@dataclass(frozen=True)
class Col:
    """A table column: its header and how its cells print (``kind``)."""

    header: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    """A table of cells: strings, numbers or estimates (``{"value", "ci_low", "ci_high"}``)."""

    title: str
    columns: Sequence[Col]
    rows: Sequence[Sequence[Any]]
    caption: str

    def __post_init__(self) -> None:
        for r in self.rows:
            if len(r) != len(self.columns):
                raise ValueError(f"table {self.title!r}: a row has {len(r)} cells for "
                                 f"{len(self.columns)} columns")


def _get(est: Any, key: str) -> Any:
    if est is None:
        return None
    return est.get(key) if isinstance(est, dict) else getattr(est, key, None)


@dataclass(frozen=True)
class Series:
    """One line (or set of points) of a figure; ``low``/``high`` draw a band or bars."""

    label: str
    x: Sequence[Any]
    y: Sequence[float | None]
    low: Sequence[float | None] | None = None
    high: Sequence[float | None] | None = None

    @classmethod
    def of(cls, label: str, x: Sequence[Any], estimates: Sequence[Any]) -> Series:
        """A series from estimates (dicts or Estimates; ``None`` leaves a gap)."""
        return cls(label, list(x), [_get(e, "value") for e in estimates],
                   [_get(e, "ci_low") for e in estimates],
                   [_get(e, "ci_high") for e in estimates])

    @classmethod
    def over_sweep(cls, points: Sequence[dict], label: str,
                   pick: Callable[[dict], Any]) -> Series:
        """A series over a knob sweep: ``pick(point)`` gives the estimate to plot."""
        return cls.of(label, [p["value"] for p in points], [pick(p) for p in points])


@dataclass(frozen=True)
class Figure:
    """A chart: its file id, title, caption and alt text (both required), axes and series."""

    id: str
    title: str
    caption: str
    alt: str
    series: Sequence[Series]
    xlabel: str = ""
    ylabel: str = ""
    chart: str = "line"
    y_kind: Kind = "number"  # "percent" prints the y axis as percentages
    xscale: str = "linear"
    reference_line: float | None = None
    notes: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.chart not in CHART_KINDS:
            raise ValueError(f"figure {self.id!r}: chart must be one of {CHART_KINDS}")
        if not self.alt.strip() or not self.caption.strip():
            raise ValueError(f"figure {self.id!r} needs a caption and alt text")
        if self.xscale not in ("linear", "log"):
            raise ValueError(f"figure {self.id!r}: xscale must be linear or log")


Block = Text | Table | Figure
