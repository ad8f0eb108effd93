"""Estimates and their intervals: the value, the interval, or why there is none.

Two interval methods, chosen for their behaviour on small groups (where the
disparities that matter live):

- a group's rate (a proportion ``x / n``) gets the Wilson score interval with
  Brown, Cai and DasGupta's (2001) one-sided Poisson correction for one to
  three events (or non-events): it covers close to its nominal level down to
  a handful of rows and is never a single point;
- anything else (differences, ratios, between-group summaries, balanced
  accuracy) gets a Bayesian bootstrap of the counts (Rubin 1981): the cell
  shares are drawn from Dirichlet(counts + 1/2), the Jeffreys half-count prior,
  and the interval is the percentile interval of the draws. Unlike a
  multinomial bootstrap, an empty cell still varies, so the interval cannot
  collapse to a point on a small group.

See ``docs/methodology.md`` for the coverage these give, measured by
``casebook coverage``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Any

import numpy as np
from scipy.special import gammaincinv

# Interval methods, as each estimate's ``ci_method`` names them (``METHODS`` in words).
WILSON = "wilson"
DIRICHLET = "bayesian-bootstrap"
PERCENTILE = "percentile"
METHODS = {
    WILSON: "Wilson score interval, with Brown, Cai and DasGupta's (2001) correction near 0 "
            "and 1",
    DIRICHLET: "Bayesian bootstrap of the counts (Rubin 1981): Dirichlet(counts + 1/2), "
               "percentile interval",
    PERCENTILE: "percentile interval of the draws",
    "hanley-mcneil": "Hanley and McNeil (1982), with half a pair added to each side for "
                     "the variance",
    "normal": "normal approximation (mean plus or minus z standard errors)",
}
PRIOR = 0.5  # the half-count (Jeffreys) prior of each cell
TOLERANCE = 1e-9  # absolute: two implementations (or two machines) agree on a number


@dataclass(frozen=True)
class Estimate:
    """A number with its interval, or the reason it has none.

    Attributes
    ----------
    value : float or None
        The point estimate; ``None`` when undefined (see ``reason``).
    ci_low, ci_high : float or None
        The interval's bounds; ``None`` when there is no interval (see
        ``ci_reason``).
    reason : str or None
        Why ``value`` is undefined (a group with no positives, say).
    method : str or None
        How the interval was made (stored as ``ci_method``).
    ci_reason : str or None
        Why there is a value but no interval.
    ci_undefined_share : float or None
        Share of bootstrap draws where the quantity was undefined (left out).

    Examples
    --------
    >>> e = Estimate.from_draws(0.5, np.linspace(0.4, 0.6, 101))
    >>> round(e.ci_low, 3), round(e.ci_high, 3)
    (0.405, 0.595)
    >>> e.scaled(100).value
    50.0
    """

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str | None = None
    method: str | None = None
    ci_reason: str | None = None
    ci_undefined_share: float | None = None

    @property
    def defined(self) -> bool:
        return self.value is not None

    def __str__(self) -> str:
        from ._format import format_estimate

        return format_estimate(self)

    @classmethod
    def undefined(cls, reason: str) -> Estimate:
        """An estimate with no value, and why."""
        return cls(None, reason=reason)

    @classmethod
    def from_draws(cls, value: float, draws: np.ndarray | None, confidence: float = 0.95,
                   reason: str = "undefined", method: str = PERCENTILE) -> Estimate:
        """The point ``value`` with the percentile interval of ``draws``.

        Draws that are NaN or infinite (undefined in that replicate) are left
        out and their share is reported.
        """
        reps = None if draws is None else np.asarray(draws, dtype=float).reshape(-1, 1)
        return cls.from_dict(estimates([value], reps, confidence, reason, method)[0])

    @classmethod
    def from_dict(cls, d: dict | None) -> Estimate:
        if d is None:
            return cls.undefined("missing")
        return cls(d.get("value"), d.get("ci_low"), d.get("ci_high"), d.get("reason"),
                   d.get("ci_method"), d.get("ci_reason"), d.get("ci_undefined_share"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``value``, ``ci_low``, ``ci_high`` and the optional keys set."""
        out: dict[str, Any] = {"value": self.value, "ci_low": self.ci_low,
                               "ci_high": self.ci_high}
        for key, v in (("reason", self.reason), ("ci_method", self.method),
                       ("ci_reason", self.ci_reason),
                       ("ci_undefined_share", self.ci_undefined_share)):
            if v is not None:
                out[key] = v
        return out

    def scaled(self, factor: float) -> Estimate:
        """The same estimate times ``factor`` (a rate per 100,000 people, say)."""
        def s(x):
            return None if x is None else x * factor
        lo, hi = s(self.ci_low), s(self.ci_high)
        if factor < 0 and lo is not None and hi is not None:
            lo, hi = hi, lo
        return replace(self, value=s(self.value), ci_low=lo, ci_high=hi)


def _clean(x: Any) -> float | None:
    if x is None:
        return None
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


def estimates(values, replicates, confidence: float, reasons, method: str = DIRICHLET
              ) -> list[dict]:
    """Estimates (as dicts) for many quantities at once (``replicates``: shape (B, m))."""
    values = np.atleast_1d(np.asarray(values, dtype=float))
    if isinstance(reasons, str):
        reasons = [reasons] * len(values)
    if replicates is None or len(replicates) == 0:
        return [_one(v, None, None, 0, 0, r, method) for v, r in zip(values, reasons,
                                                                        strict=True)]
    reps = np.asarray(replicates, dtype=float).reshape(len(replicates), -1)
    lo, hi, k = percentile_intervals(reps, confidence)
    return [_one(values[i], lo[i], hi[i], int(k[i]), len(reps), reasons[i], method)
            for i in range(len(values))]


def _one(value, lo, hi, k, n_reps, reason, method) -> dict:
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
    out["ci_method"] = method
    if k < n_reps:
        # The interval rests on fewer draws; a reader should know.
        out["ci_undefined_share"] = 1 - k / n_reps
    return out


def estimate(value: float, replicates: np.ndarray | None, confidence: float, reason: str,
             method: str = DIRICHLET) -> dict:
    """``{"value", "ci_low", "ci_high"}``, or ``value: None`` with ``reason``."""
    reps = None if replicates is None else np.asarray(replicates, dtype=float).reshape(-1, 1)
    return estimates([value], reps, confidence, reason, method)[0]


@functools.cache
def _poisson_bounds(confidence: float) -> np.ndarray:
    """chi2(alpha/2; 2x) for x = 0..3, the one-sided Poisson bounds the correction uses."""
    alpha = 1 - confidence
    # chi2.ppf(q, 2x) is 2 * gammaincinv(x, q), which is how scipy.stats computes it;
    # scipy.special loads in a third of the time scipy.stats takes (audit start-up).
    return np.array([0.0, *(2 * gammaincinv(x, alpha / 2) for x in (1, 2, 3))])


def wilson_interval(x: np.ndarray, n: np.ndarray, confidence: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``x`` successes in ``n`` trials, vectorised.

    With Brown, Cai and DasGupta's (2001, section 4.1.1) correction: for one
    to ``x*`` successes (``x*`` = 2 up to 50 trials, 3 above) the lower bound
    is lowered to the one-sided Poisson bound ``chi2(alpha/2; 2x) / (2n)``,
    and symmetrically the upper bound near ``n``; this removes the Wilson
    interval's dips in coverage close to 0 and 1. ``n = 0`` gives NaN.
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        z2n = z * z / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n + z2n / (4 * n))
        lo, hi = centre - half, centre + half
        x_star = np.where(n <= 50, 2, 3)
        table = _poisson_bounds(confidence)
        poisson_lo = table[np.clip(x, 0, 3).astype(int)] / (2 * n)
        poisson_hi = 1 - table[np.clip(n - x, 0, 3).astype(int)] / (2 * n)
    lo = np.where((x >= 1) & (x <= x_star), np.minimum(lo, poisson_lo), lo)
    hi = np.where((n - x >= 1) & (n - x <= x_star), np.maximum(hi, poisson_hi), hi)
    lo = np.where(x == 0, 0.0, np.clip(lo, 0.0, 1.0))
    hi = np.where(x == n, 1.0, np.clip(hi, 0.0, 1.0))
    bad = ~(n > 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def proportion_estimates(x: np.ndarray, n: np.ndarray, confidence: float,
                         reason: str | list[str]) -> list[dict]:
    """Estimates (dicts) of proportions ``x / n`` with Wilson intervals."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    n = np.atleast_1d(np.asarray(n, dtype=float))
    reasons = [reason] * len(x) if isinstance(reason, str) else reason
    lo, hi = wilson_interval(x, n, confidence)
    out = []
    for xi, ni, li, hi_, why in zip(x.tolist(), n.tolist(), lo.tolist(), hi.tolist(), reasons,
                                    strict=True):
        if not ni > 0:
            out.append({"value": None, "ci_low": None, "ci_high": None, "reason": why})
        else:
            out.append({"value": xi / ni, "ci_low": li, "ci_high": hi_, "ci_method": WILSON})
    return out


def proportion(x: float, n: float, confidence: float = 0.95,
               reason: str = "no one to count") -> Estimate:
    """A share ``x / n`` with its Wilson interval.

    Examples
    --------
    >>> e = proportion(0, 20)
    >>> e.value, e.ci_low, round(e.ci_high, 3)
    (0.0, 0.0, 0.161)
    """
    return Estimate.from_dict(proportion_estimates([x], [n], confidence, reason)[0])


def dirichlet_counts(cells: np.ndarray, n_replicates: int, rng: np.random.Generator,
                     prior: float = PRIOR) -> np.ndarray:
    """Bayesian-bootstrap replicates of ``cells`` (any shape), as expected counts.

    The cell shares are drawn from Dirichlet(cells + prior) (independent
    gamma draws, normalised) and scaled by the total count, so each replicate
    is a table of (fractional) counts with the same total as ``cells``.
    Returns an array of shape ``(n_replicates, *cells.shape)``.
    """
    cells = np.asarray(cells, dtype=float)
    alpha = cells + prior
    draws = rng.standard_gamma(np.broadcast_to(alpha, (n_replicates, *cells.shape)))
    axes = tuple(range(1, draws.ndim))
    draws *= cells.sum() / draws.sum(axis=axes, keepdims=True)
    return draws
