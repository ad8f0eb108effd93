"""Intervals that keep their promise on small groups.

Group rates get Wilson intervals (with Brown, Cai and DasGupta's correction near
0 and 1); differences, ratios and summaries a Bayesian bootstrap of the counts
(Dirichlet, half-count prior). The coverage record of the methodology page is
checked here against the thresholds the page promises, and a live simulation of
the hardest setting is run through ``audit`` itself.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from fairness import audit, proportion
from reports._paths import COVERAGE
from reports.coverage import simulate

N = 2_000


def test_wilson_matches_scipy_away_from_the_edges():
    for n in (10, 37, 200):
        for x in range(4, n - 3, max(1, n // 9)):
            ours = proportion(x, n)
            ref = binomtest(x, n).proportion_ci(0.95, method="wilson")
            assert (ours.ci_low, ours.ci_high) == pytest.approx((ref.low, ref.high), abs=1e-12)


def test_near_the_edges_the_poisson_correction_only_widens():
    for n in (10, 50, 80):
        for x in (1, 2, 3):
            ours = proportion(x, n)
            ref = binomtest(x, n).proportion_ci(0.95, method="wilson")
            assert ours.ci_low <= ref.low + 1e-15 and ours.ci_high == pytest.approx(ref.high)


def test_no_rate_interval_has_zero_width_under_a_hundred_rows():
    for n in range(1, 100):
        for x in range(n + 1):
            e = proportion(x, n)
            assert e.ci_high - e.ci_low > 0.01, (x, n)
            assert e.ci_low <= e.value <= e.ci_high


def test_a_small_group_with_no_one_selected_gets_a_real_interval():
    df = pd.DataFrame({"y": [0, 1] * (N // 2), "pred": [0] * 20 + [1, 0] * ((N - 20) // 2),
                       "g": ["small"] * 20 + ["rest"] * (N - 20)})
    r = audit(df, label="y", prediction="pred", sensitive="g", reference={"g": "rest"},
              bootstrap=1000, cross_check=False)
    rate = r.group("g", "small")["metrics"]["selection_rate"]
    assert rate["value"] == 0 and rate["ci_low"] == 0 and rate["ci_high"] > 0.1
    diff = r.disparity("g", "selection_rate", "small")["difference"]
    assert diff["ci_high"] - diff["ci_low"] > 0.05
    assert diff["ci_method"] == "bayesian-bootstrap" and rate["ci_method"] == "wilson"


def _row_bootstrap(df: pd.DataFrame, seed: int, b: int = 2000) -> np.ndarray:
    """The textbook bootstrap: resample rows with replacement, recount, replicate by replicate."""
    rng = np.random.default_rng(seed)
    g = (df.g.to_numpy() == "B").astype(np.int64)
    sel = df.pred.to_numpy()
    idx = rng.integers(0, len(df), size=(b, len(df)))
    key = (np.arange(b)[:, None] * 4 + g[idx] * 2 + sel[idx]).ravel()
    c = np.bincount(key, minlength=b * 4).reshape(b, 2, 2)
    rate = c[:, :, 1] / c.sum(axis=2)
    return rate[:, 1] - rate[:, 0]


def test_on_a_large_group_the_bayesian_bootstrap_is_the_usual_one():
    """With 800 rows a group, the half-count prior is negligible: the interval of a
    difference matches the row-resampling bootstrap's within Monte-Carlo error
    (4 standard errors of a 2.5% quantile of 2,000 draws, 0.34 sd, and a lattice step)."""
    rng = np.random.default_rng(2024)
    g = rng.choice(["A", "B"], N, p=[0.6, 0.4])
    pred = (rng.random(N) < np.where(g == "A", 0.45, 0.35)).astype(int)
    df = pd.DataFrame({"y": rng.integers(0, 2, N), "pred": pred, "g": g})
    r = audit(df, label="y", prediction="pred", sensitive="g", bootstrap=2000,
              cross_check=False)
    d = r.disparity("g", "selection_rate", "B")["difference"]
    rows = _row_bootstrap(df, seed=3)
    lo, hi = np.quantile(rows, [0.025, 0.975])
    tol = 0.34 * rows.std() + 1 / 800
    assert abs(d["ci_low"] - lo) <= tol and abs(d["ci_high"] - hi) <= tol
    # ... and the comparison has power: half the rows would widen it by sqrt(2).
    assert abs((d["ci_high"] - d["ci_low"]) * np.sqrt(2) - (hi - lo)) > 2 * tol


def test_the_committed_coverage_table_keeps_the_promise():
    """The methodology page's table (``casebook coverage``): at least 92% on average,
    at least 88% in every setting, never a zero-width interval."""
    record = json.loads(COVERAGE.read_text(encoding="utf-8"))
    assert record["settings"]["repetitions"] >= 200
    rows = record["rows"]
    assert {(r["n"], r["rate"]) for r in rows} == {(n, p) for n in (20, 50, 200)
                                                    for p in (0.05, 0.5, 0.95)}
    assert record["mean_rate_coverage"] >= 0.92 and record["mean_difference_coverage"] >= 0.92
    for r in rows:
        assert r["rate_coverage"] >= 0.88 and r["difference_coverage"] >= 0.88, r
        assert r["zero_width"] == 0, r
    # The old multinomial bootstrap fails where the issue said it did.
    worst = next(r for r in rows if r["n"] == 20 and r["rate"] == 0.05)
    assert worst["before_rate_coverage"] < 0.8 and worst["before_zero_width"] > 0


def test_live_coverage_where_it_is_hardest():
    """A fresh simulation of the hardest settings through ``audit`` itself."""
    result = simulate(repetitions=120, random_state=7, sizes=(20,), rates=(0.05, 0.95))
    for r in result["rows"]:
        assert r["rate_coverage"] >= 0.88 and r["difference_coverage"] >= 0.88, r
        assert r["zero_width"] == 0
