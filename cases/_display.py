"""Helpers for a case's ``display`` hook: turning record parts into page blocks."""

from __future__ import annotations

from collections.abc import Callable


def sweep_series(points: list[dict], label: str, pick: Callable[[dict], dict | None]) -> dict:
    """A figure series over a knob sweep: ``pick(point)`` gives the estimate to plot.

    An estimate is ``{"value", "ci_low", "ci_high"}``; ``None`` (a quantity
    absent at that knob value) leaves a gap in the line.
    """
    ests = [pick(p) or {} for p in points]
    return {"label": label, "x": [p["value"] for p in points],
            "y": [e.get("value") for e in ests],
            "low": [e.get("ci_low") for e in ests], "high": [e.get("ci_high") for e in ests]}
