"""Score-based metrics per group: AUC, Brier score and a calibration table.

These need the scores, not just the counts, so they are a separate path. It
still avoids sorting the rows: scores are binned with one ``bincount`` and the
AUC is read off the two histograms (ties within a bin count one half, as in
the Mann-Whitney statistic).

The AUC is a rank statistic, so any real-valued score will do. The bins
follow the score's scale (:func:`score_scale`):

- probabilities in [0, 1]: 10,000 bins of width 1e-4, exact for scores with at
  most four decimals;
- whole numbers spanning fewer than 10,000 values (a 1-10 decile score, risk
  points): one bin per value, exact;
- anything else: 10,000 equal bins between the smallest and largest score,
  an approximation whose error the cross-check against scikit-learn reports.

The Brier score and the calibration table need probabilities: for any other
scale they are undefined, with the reason, and the audit goes on. Their sums
are kept exactly, as whole numbers of 2**-60 (:func:`fixed_point_sums`): a
floating-point sum depends on the order of the rows, so the same file summed
by pandas, by DuckDB's threads or by Spark's partitions would differ in the
last bits; a sum of integers is the same in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

AUC_BINS = 10_000
CALIBRATION_BINS = 10
HANLEY_MCNEIL = "hanley-mcneil"
# Sums of values in [0, 1] are exact integers in units of 2**-60: each value is
# floor(v * 2**60), whose error (under 1e-18) is far below a double's at 0.5.
FIXED_POINT_BITS = 60
_HALF = float(2**30)
_CHUNK = 1 << 16  # rows per step: the temporaries stay in cache and are reused
_FLUSH = 1 << 22  # 2**22 rows of 30-bit halves sum below 2**53: exact in float64


def fixed_point_sums(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the exact sum of ``floor(v * 2**60)`` over values ``v`` in [0, 1].

    Returns Python integers (an object array) in units of 2**-60. Each value is
    split into two 30-bit halves whose float64 ``bincount`` sums are exact, so
    the result does not depend on the order of the rows; an SQL engine gets the
    same integers from ``sum(CAST(floor(v * 2**60) AS BIGINT))``.

    Examples
    --------
    >>> import numpy as np
    >>> sums = fixed_point_sums(np.array([0, 1, 1]), np.array([0.5, 0.25, 1.0]), 2)
    >>> [int(s) / 2**60 for s in sums]
    [0.5, 1.25]
    """
    out = np.zeros(n_groups, dtype=object)
    hi_sum = np.zeros(n_groups)
    lo_sum = np.zeros(n_groups)
    for start in range(0, len(values), _CHUNK):
        x = values[start:start + _CHUNK] * _HALF  # exact: a power of two
        g = group[start:start + _CHUNK]
        lo, hi = np.modf(x)  # hi = floor(v * 2**30), lo its fraction (both exact, v >= 0)
        lo *= _HALF
        np.floor(lo, out=lo)  # floor(v * 2**60) = hi * 2**30 + lo
        hi_sum += np.bincount(g, weights=hi, minlength=n_groups)
        lo_sum += np.bincount(g, weights=lo, minlength=n_groups)
        if (start + _CHUNK) % _FLUSH == 0 or start + _CHUNK >= len(values):
            out += (hi_sum.astype(np.int64).astype(object) * (1 << 30)
                    + lo_sum.astype(np.int64).astype(object))
            hi_sum[:] = 0
            lo_sum[:] = 0
    return out


def fixed_point_mean(total: int, n: float) -> float:
    """``total`` (units of 2**-60) over ``n``, correctly rounded (Python's int division)."""
    return int(total) / (int(n) << FIXED_POINT_BITS)


@dataclass(frozen=True)
class ScoreScale:
    """How a score column is binned: ``bin = floor((score - offset) * scale + 1e-6)``."""

    kind: str  # "probability", "integer" or "real"
    low: float
    high: float
    offset: float
    scale: float
    bins: int
    exact: bool  # the histogram AUC equals the exact (tie-corrected) AUC

    @property
    def probabilities(self) -> bool:
        return self.kind == "probability"

    def describe(self) -> str:
        where = f"from {self.low:g} to {self.high:g}"
        if self.kind == "probability":
            how = ("probabilities in [0, 1], binned at width 1e-4"
                   + ("; every score has at most four decimals, so the AUC is exact"
                      if self.exact else "; the AUC is approximate (scores with more than "
                      "four decimals share bins)"))
        elif self.kind == "integer":
            how = "whole numbers, one bin per value: the AUC is exact"
        else:
            how = (f"real numbers in {AUC_BINS:,} equal bins: the AUC is approximate; Brier "
                   "score and calibration need probabilities")
        return f"scores {where}: {how}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "min": self.low, "max": self.high, "bins": self.bins,
                "auc_exact": self.exact, "description": self.describe()}


def score_scale(low: float, high: float, all_integer: bool, four_decimals: bool) -> ScoreScale:
    """The binning of scores from ``low`` to ``high``.

    ``all_integer``: every score is a whole number; ``four_decimals``: every
    score is a multiple of 1e-4 (both only read for the scale they concern).
    """
    if 0.0 <= low and high <= 1.0:
        return ScoreScale("probability", low, high, 0.0, float(AUC_BINS), AUC_BINS, four_decimals)
    if all_integer and high - low < AUC_BINS:
        return ScoreScale("integer", low, high, low, 1.0, int(high - low) + 1, True)
    span = high - low
    return ScoreScale("real", low, high, low, AUC_BINS / span if span > 0 else 1.0, AUC_BINS,
                      span == 0)


def auc_from_histograms(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC from per-bin positive and negative counts (last axis)."""
    pos = np.asarray(pos, dtype=float)
    neg = np.asarray(neg, dtype=float)
    below = np.cumsum(neg, axis=-1) - neg
    wins = (pos * (below + 0.5 * neg)).sum(axis=-1)
    pairs = pos.sum(axis=-1) * neg.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, wins / np.where(pairs > 0, pairs, 1), np.nan)


def hanley_mcneil(auc: float, n_pos: float, n_neg: float, z: float) -> tuple[float, float]:
    """Hanley and McNeil's (1982) normal interval for an AUC, clipped to [0, 1].

    The variance is taken at the AUC with half a pair added to each side,
    ``(auc * P + 0.5) / (P + 1)`` for ``P`` pairs: on a small group whose AUC
    is exactly 0 or 1 the textbook variance is 0, an interval of one point.
    """
    pairs = n_pos * n_neg
    a = (auc * pairs + 0.5) / (pairs + 1)
    q1 = a / (2 - a)
    q2 = 2 * a**2 / (1 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a**2) + (n_neg - 1) * (q2 - a**2)) / pairs
    half = z * np.sqrt(max(var, 0.0))
    return float(max(0.0, auc - half)), float(min(1.0, auc + half))


def auc_estimate(auc: float, n_pos: float, n_neg: float, confidence: float = 0.95) -> dict:
    """An AUC with its Hanley-McNeil interval, or undefined with the reason."""
    if not (n_pos > 0 and n_neg > 0) or not np.isfinite(auc):
        return {"value": None, "ci_low": None, "ci_high": None,
                "reason": "the group lacks positives or negatives (y=1 or y=0)"}
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    lo, hi = hanley_mcneil(float(auc), n_pos, n_neg, z)
    return {"value": float(auc), "ci_low": lo, "ci_high": hi, "ci_method": HANLEY_MCNEIL}


@dataclass
class ScoreCounts:
    """What the score metrics need, per group: the scores reduced to small arrays.

    Like the confusion counts, these add up over groups, so one pass over the
    rows per joint group serves every view (attribute or intersection).
    """

    hist: np.ndarray  # (G, 2, bins): rows per (group, y, score bin)
    # The sums are exact integers in units of 2**-60 (object arrays; see fixed_point_sums).
    brier_sum: np.ndarray | None  # (G,) sum of (score - y)^2 (probabilities only)
    brier_sq: np.ndarray | None  # (G,) sum of (score - y)^4
    cal_s: np.ndarray | None  # (G, CALIBRATION_BINS) sum of scores per calibration bin

    def __add__(self, other: ScoreCounts) -> ScoreCounts:
        def add(a, b):
            return None if a is None else a + b
        return ScoreCounts(self.hist + other.hist, add(self.brier_sum, other.brier_sum),
                           add(self.brier_sq, other.brier_sq), add(self.cal_s, other.cal_s))

    def group(self, index: np.ndarray, n_groups: int) -> ScoreCounts:
        """Sum joint groups into the ``n_groups`` groups of a view (``index``: group of each)."""
        def add(a: np.ndarray | None) -> np.ndarray | None:
            if a is None:
                return None
            out = np.zeros((n_groups, *a.shape[1:]), dtype=a.dtype)
            np.add.at(out, index, a)
            return out

        return ScoreCounts(add(self.hist), add(self.brier_sum), add(self.brier_sq),
                           add(self.cal_s))


def score_counts(score: np.ndarray, y: np.ndarray, group: np.ndarray, n_groups: int,
                 scale: ScoreScale) -> ScoreCounts:
    """One pass over the rows: score histograms (and, for probabilities, sums) per group.

    ``group`` (int64) is used as scratch space and overwritten: on ten million
    rows every array not allocated is 80 MB of memory not touched.
    """
    t = np.subtract(score, y)
    brier_sum = brier_sq = None
    if scale.probabilities:
        t *= t
        brier_sum = fixed_point_sums(group, t, n_groups)
        t *= t
        brier_sq = fixed_point_sums(group, t, n_groups)
    bins = scale.bins
    # key = (2 * group + y) * bins + score bin, built in group's buffer.
    group *= 2
    group += y
    group *= bins
    np.subtract(score, scale.offset, out=t)
    t *= scale.scale
    # The nudge puts k / 10,000 into bin k even where float rounding makes
    # score * 10,000 a hair below k (0.0057 * 10_000 = 56.99999999999999).
    t += 1e-6
    np.floor(t, out=t)
    np.clip(t, 0, bins - 1, out=t)
    t += group  # exact: the keys are far below 2**53
    key = group
    np.copyto(key, t, casting="unsafe")
    del t
    hist = np.bincount(key, minlength=n_groups * 2 * bins).reshape(n_groups, 2, bins)
    cal_s = None
    if scale.probabilities:
        # The calibration bins are runs of score bins (10,000 / 10 = 1,000 each), so
        # key // 1,000 is (group, y, calibration bin).
        key //= bins // CALIBRATION_BINS
        cal_s = fixed_point_sums(key, score, n_groups * 2 * CALIBRATION_BINS)
        cal_s = cal_s.reshape(n_groups, 2, CALIBRATION_BINS).sum(axis=1)
    return ScoreCounts(hist, brier_sum, brier_sq, cal_s)


def metrics_from_counts(sc: ScoreCounts, scale: ScoreScale, confidence: float) -> list[dict]:
    """AUC (any scale), Brier score and calibration table (probabilities) from ``ScoreCounts``."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    hist = sc.hist
    n_groups = hist.shape[0]
    aucs = auc_from_histograms(hist[:, 1], hist[:, 0])
    n = hist.sum(axis=(1, 2)).astype(float)
    out = []
    if scale.probabilities:
        per_bin = hist.reshape(n_groups, 2, CALIBRATION_BINS, -1).sum(axis=3)
    not_probabilities = (f"the scores run from {scale.low:g} to {scale.high:g}, not "
                         "probabilities in [0, 1]")
    for g in range(n_groups):
        auc_est = auc_estimate(aucs[g], hist[g, 1].sum(), hist[g, 0].sum(), confidence)
        if not scale.probabilities:
            brier = {"value": None, "ci_low": None, "ci_high": None,
                     "reason": f"{not_probabilities}: the Brier score needs probabilities"}
            table = None
        elif n[g] == 0:
            brier = {"value": None, "ci_low": None, "ci_high": None, "reason": "the group is empty"}
            table = []
        else:
            mean = fixed_point_mean(sc.brier_sum[g], n[g])
            var = max(fixed_point_mean(sc.brier_sq[g], n[g]) - mean**2, 0.0)
            half = z * np.sqrt(var / n[g])
            brier = {"value": float(mean), "ci_low": float(max(0.0, mean - half)),
                     "ci_high": float(min(1.0, mean + half)), "ci_method": "normal"}
            table = []
            for k in range(CALIBRATION_BINS):
                cnt = per_bin[g, :, k].sum()
                if cnt == 0:
                    continue
                table.append({
                    "bin_low": k / CALIBRATION_BINS, "bin_high": (k + 1) / CALIBRATION_BINS,
                    "n": int(cnt), "mean_score": fixed_point_mean(sc.cal_s[g, k], cnt),
                    "observed_rate": float(per_bin[g, 1, k] / cnt),
                })
        entry = {"auc": auc_est, "brier": brier, "calibration": table}
        if table is None:
            entry["calibration_reason"] = f"{not_probabilities}: calibration needs probabilities"
        out.append(entry)
    return out
