"""A point estimate with its percentile bootstrap interval, as JSON-safe data."""

from __future__ import annotations

import math

import numpy as np


def _clean(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def estimate(
    value: float, replicates: np.ndarray | None, confidence: float, reason: str
) -> dict:
    """``{"value", "ci_low", "ci_high"}``, or ``value: None`` with ``reason``.

    Replicates where the quantity is undefined (a resampled group with no
    positives, say) are left out of the interval; their share is reported
    when it is not zero, because a reader should know the interval rests on
    fewer draws.
    """
    v = _clean(value)
    if v is None:
        return {"value": None, "ci_low": None, "ci_high": None, "reason": reason}
    out: dict = {"value": v, "ci_low": None, "ci_high": None}
    if replicates is None or len(replicates) == 0:
        return out
    reps = np.asarray(replicates, dtype=float)
    finite = reps[np.isfinite(reps)]
    if len(finite) < 2:
        out["ci_reason"] = "too few bootstrap replicates where it is defined"
        return out
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(finite, [tail, 1 - tail])
    out["ci_low"], out["ci_high"] = float(lo), float(hi)
    undefined = 1 - len(finite) / len(reps)
    if undefined > 0:
        out["ci_undefined_share"] = float(undefined)
    return out
