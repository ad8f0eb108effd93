"""A point estimate with its percentile bootstrap interval, as JSON-safe data."""

from __future__ import annotations

import math

import numpy as np


def _clean(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def percentile_intervals(reps: np.ndarray, confidence: float):
    """Percentile interval of each column of ``reps`` (replicates on axis 0).

    Undefined replicates (NaN or inf) are left out column by column; the
    interpolation is numpy's default ('linear'), vectorised over columns so
    that thousands of intervals cost one sort. Returns ``(low, high,
    n_defined)`` arrays.
    """
    reps = np.asarray(reps, dtype=float)
    if reps.ndim == 1:
        reps = reps[:, None]
    reps = np.where(np.isfinite(reps), reps, np.nan)
    ordered = np.sort(reps, axis=0)  # NaN sorts last
    k = np.isfinite(ordered).sum(axis=0)
    tail = (1 - confidence) / 2
    cols = np.arange(reps.shape[1])
    out = []
    for q in (tail, 1 - tail):
        pos = q * np.maximum(k - 1, 0)
        lo_i = np.floor(pos).astype(int)
        hi_i = np.minimum(lo_i + 1, np.maximum(k - 1, 0))
        frac = pos - lo_i
        a, b = ordered[lo_i, cols], ordered[hi_i, cols]
        out.append(np.where(frac > 0, a + (b - a) * frac, a))
    return out[0], out[1], k


def estimates(values, replicates, confidence: float, reasons) -> list[dict]:
    """:func:`estimate` for many quantities at once (``replicates``: shape (B, m))."""
    values = np.atleast_1d(np.asarray(values, dtype=float))
    if isinstance(reasons, str):
        reasons = [reasons] * len(values)
    if replicates is None or len(replicates) == 0:
        return [_one(v, None, None, 0, 0, r) for v, r in zip(values, reasons, strict=True)]
    reps = np.asarray(replicates, dtype=float).reshape(len(replicates), -1)
    lo, hi, k = percentile_intervals(reps, confidence)
    return [_one(values[i], lo[i], hi[i], int(k[i]), len(reps), reasons[i])
            for i in range(len(values))]


def _one(value, lo, hi, k, n_reps, reason) -> dict:
    v = _clean(value)
    if v is None:
        return {"value": None, "ci_low": None, "ci_high": None, "reason": reason}
    out: dict = {"value": v, "ci_low": None, "ci_high": None}
    if n_reps == 0:
        return out
    if k < 2:
        out["ci_reason"] = "too few bootstrap replicates where it is defined"
        return out
    out["ci_low"], out["ci_high"] = float(lo), float(hi)
    if k < n_reps:
        # The interval rests on fewer draws; a reader should know.
        out["ci_undefined_share"] = 1 - k / n_reps
    return out


def estimate(value: float, replicates: np.ndarray | None, confidence: float, reason: str) -> dict:
    """``{"value", "ci_low", "ci_high"}``, or ``value: None`` with ``reason``.

    Replicates where the quantity is undefined (a resampled group with no
    positives, say) are left out of the interval, and their share is reported.
    """
    reps = None if replicates is None else np.asarray(replicates, dtype=float).reshape(-1, 1)
    return estimates([value], reps, confidence, reason)[0]
