"""The multinomial-count bootstrap against the textbook row-resampling bootstrap.

Resampling n rows with replacement makes the cell counts Multinomial(n, observed
cell shares), so the two bootstraps draw from one distribution; what separates
their intervals is Monte-Carlo error alone, which bounds the tolerances below.

Monte-Carlo error of a percentile: the p-quantile of B draws from a density f
has standard error sqrt(p (1 - p) / B) / f(q_p). For a near-normal bootstrap
distribution with standard deviation s, f(q_0.025) = phi(1.96) / s = 0.0584 / s,
so with B = 2,000 the standard error is 0.0598 s, and for the difference of two
independent runs sqrt(2) times that, 0.085 s. We allow 4 such errors (0.34 s)
plus one step of the statistic's lattice (1 / group size), since counts move
it in steps. The standard deviation of B draws has a relative standard error
of 1 / sqrt(2 (B - 1)) = 1.6 %, 2.2 % for a difference of two runs; we allow
4 times that, 9 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairness import audit
from fairness._counts import bootstrap_cells, group_cells, reduce
from fairness._metrics import compute_metric
from fairness._prepare import prepare

N = 2_000
B = 2_000
TAIL = 0.025
QUANTILE_SE = np.sqrt(2 * TAIL * (1 - TAIL) / B) / 0.0584  # in units of the sd, both runs
SD_REL_TOL = 4 * np.sqrt(2) / np.sqrt(2 * (B - 1))


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    g = rng.choice(["A", "B"], N, p=[0.6, 0.4])
    y = (rng.random(N) < np.where(g == "A", 0.45, 0.35)).astype(int)
    # The model is better for A and selects B less often.
    p_hat = np.where(y == 1, np.where(g == "A", 0.8, 0.6), np.where(g == "A", 0.2, 0.15))
    y_hat = (rng.random(N) < p_hat).astype(int)
    return pd.DataFrame({"y": y, "pred": y_hat, "g": g})


def _statistics(counts: np.ndarray) -> dict[str, np.ndarray]:
    """The two statistics under test from group counts ``(..., group, 4)`` (A, B)."""
    sr = compute_metric("selection_rate", counts)
    tpr = compute_metric("tpr", counts)
    return {"sr_difference": sr[..., 1] - sr[..., 0], "tpr_B": tpr[..., 1]}


def _multinomial(df: pd.DataFrame, seed: int) -> dict[str, np.ndarray]:
    prepared = prepare(df, label="y", prediction="pred", sensitive=["g"], score=None,
                       positive_label=None, drop_missing=False, max_groups=1000)
    counts = reduce(prepared, intersectional=False)
    reps = bootstrap_cells(counts.cells, B, np.random.default_rng(seed))
    return _statistics(group_cells(reps, counts.views[0]))


def _rows(df: pd.DataFrame, seed: int, size: int = N) -> dict[str, np.ndarray]:
    """Resample row indices with replacement and recount, replicate by replicate."""
    rng = np.random.default_rng(seed)
    g = (df.g.to_numpy() == "B").astype(np.int64)
    cell = 2 * df.y.to_numpy() + df.pred.to_numpy()
    key = g * 4 + cell
    idx = rng.integers(0, len(df), size=(B, size))
    flat = (np.arange(B)[:, None] * 8 + key[idx]).ravel()
    counts = np.bincount(flat, minlength=B * 8).reshape(B, 2, 4)
    return _statistics(counts)


def _sd(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1))


@pytest.mark.parametrize("stat, group_size", [("sr_difference", 0.4 * N), ("tpr_B", 0.4 * N *
                                                                               0.35)])
def test_intervals_match_row_resampling(data, stat, group_size):
    ours = _multinomial(data, seed=1)[stat]
    theirs = _rows(data, seed=2)[stat]
    sd = _sd(theirs)
    tol = 4 * QUANTILE_SE * sd + 1 / group_size
    lo_ours, hi_ours = np.quantile(ours, [TAIL, 1 - TAIL])
    lo_rows, hi_rows = np.quantile(theirs, [TAIL, 1 - TAIL])
    assert abs(lo_ours - lo_rows) <= tol, (lo_ours, lo_rows, tol)
    assert abs(hi_ours - hi_rows) <= tol, (hi_ours, hi_rows, tol)
    assert abs(_sd(ours) / sd - 1) <= SD_REL_TOL, (_sd(ours), sd)
    assert abs(np.mean(ours) - np.mean(theirs)) <= 4 * np.sqrt(2 / B) * sd


def test_the_comparison_has_power(data):
    """Resampling half as many rows widens the intervals by sqrt(2): the tolerance sees it."""
    ours = _multinomial(data, seed=1)["sr_difference"]
    wrong = _rows(data, seed=2, size=N // 2)["sr_difference"]
    assert abs(_sd(ours) / _sd(wrong) - 1) > SD_REL_TOL
    lo_ours = np.quantile(ours, TAIL)
    lo_wrong = np.quantile(wrong, TAIL)
    assert abs(lo_ours - lo_wrong) > 4 * QUANTILE_SE * _sd(wrong) + 1 / (0.4 * N)


def test_audit_reports_the_same_percentile_intervals(data):
    """``audit`` draws exactly these replicates: same seed, same interval."""
    r = audit(data, label="y", prediction="pred", sensitive="g", bootstrap=B, random_state=1,
              cross_check=False)
    ours = _multinomial(data, seed=1)
    d = r.disparity("g", "selection_rate", "B")["difference"]
    lo, hi = np.quantile(ours["sr_difference"], [TAIL, 1 - TAIL])
    assert (d["ci_low"], d["ci_high"]) == pytest.approx((lo, hi), abs=1e-15)
    t = r.group("g", "B")["metrics"]["tpr"]
    lo, hi = np.quantile(ours["tpr_B"], [TAIL, 1 - TAIL])
    assert (t["ci_low"], t["ci_high"]) == pytest.approx((lo, hi), abs=1e-15)
    assert t["ci_low"] < t["value"] < t["ci_high"]
