"""The cross-check: our numbers against fairlearn's and aif360's, recomputed from the rows."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fairness._audit as audit_module
import fairness._crosscheck as crosscheck
from fairness import METRIC_NAMES, audit
from fairness._metrics import METRICS

EXACT = 1e-12
LIBRARIES = ("fairlearn", "aif360")


def _frame(n, attrs, p_y, p_hat, seed, score=False):
    """Rows with ``attrs[k]`` groups in attribute k, drawn with uneven shares."""
    rng = np.random.default_rng(seed)
    cols = {"y": (rng.random(n) < p_y).astype(int), "pred": (rng.random(n) < p_hat).astype(int)}
    for k, n_groups in enumerate(attrs):
        shares = rng.dirichlet(np.full(n_groups, 0.7))
        cols[f"a{k}"] = rng.choice([f"g{k}{i}" for i in range(n_groups)], n, p=shares)
    if score:
        cols["s"] = np.round(rng.random(n), 4)
    return pd.DataFrame(cols)


def _check_rows(cc: dict) -> None:
    """Every compared value agrees to 1e-12; differences of convention are explained."""
    assert cc["all_agree"], [r for r in cc["rows"] if not r["agree"]]
    assert cc["n_compared"] > 0
    assert cc["max_abs_diff"] <= EXACT
    for row in cc["rows"]:
        assert row["agree"], row
        for lib in LIBRARIES:
            theirs = row.get(lib)
            if row["ours"] is not None and theirs is not None and not row["note"]:
                assert abs(row["ours"] - theirs) <= EXACT, row
        if row["max_abs_diff"] is not None and row.get("tolerance") is None:
            assert row["max_abs_diff"] <= EXACT, row
        if "returns 0 where undefined" in row["note"]:
            assert row["ours"] is None
            assert 0.0 in (row["fairlearn"], row["aif360"]), row


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=1, max_value=1_600),
    attrs=st.lists(st.integers(min_value=2, max_value=4), min_size=1, max_size=2),
    p_y=st.sampled_from([0.0, 0.03, 0.3, 0.5, 0.9, 1.0]),
    p_hat=st.sampled_from([0.0, 0.05, 0.5, 0.97, 1.0]),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    intersectional=st.booleans(),
)
def test_every_shared_quantity_agrees_with_fairlearn_and_aif360(
    n, attrs, p_y, p_hat, seed, intersectional
):
    df = _frame(n, attrs, p_y, p_hat, seed)
    sensitive = [f"a{k}" for k in range(len(attrs))]
    r = audit(df, label="y", prediction="pred", sensitive=sensitive, bootstrap=0,
              intersectional=intersectional, cross_check=True)
    cc = r.cross_check
    _check_rows(cc)
    # Every metric of every group was checked by at least one library.
    checked = {(row["quantity"], row["attribute"], row["group"]) for row in cc["rows"]}
    for g in r.groups:
        for m in METRIC_NAMES:
            assert (m, g["attribute"], g["group"]) in checked
    for view in r.to_dict()["attributes"]:
        assert ("demographic_parity_difference", view, None) in checked
        for vs in r.summary["by_attribute"][view]["vs_reference"]:
            assert ("vs_reference.disparate_impact", view, vs["group"]) in checked
    assert ("theil_index", None, None) in checked


def test_result_shape_is_json_safe_and_deterministic():
    df = _frame(700, [3, 2], 0.4, 0.5, 11, score=True)
    kw = dict(label="y", prediction="pred", sensitive=["a0", "a1"], score="s", bootstrap=0,
              intersectional=True, cross_check=True)
    cc = audit(df, **kw).cross_check
    assert [lib.split()[0] for lib in cc["libraries"]] == ["fairlearn", "aif360", "scikit-learn"]
    assert cc["libraries"][2].startswith("scikit-learn ")
    assert cc["tolerance"] == 1e-9
    assert {"names", "reference", "between_groups", "undefined"} <= set(cc["conventions"])
    assert set(cc["rows"][0]) >= {"quantity", "attribute", "group", "ours", "fairlearn",
                                  "aif360", "max_abs_diff", "agree", "note"}
    json.dumps(cc, allow_nan=False)
    assert audit(df, **kw).cross_check == cc
    _check_rows(cc)


def test_scores_with_four_decimals_give_sklearn_auc_exactly():
    df = _frame(3_000, [3], 0.3, 0.4, 5, score=True)
    cc = audit(df, label="y", prediction="pred", sensitive="a0", score="s", bootstrap=0,
               cross_check=True).cross_check
    auc = [row for row in cc["rows"] if row["quantity"] == "auc"]
    brier = [row for row in cc["rows"] if row["quantity"] == "brier"]
    assert len(auc) == len(brier) == 3
    for row in auc + brier:
        assert row["agree"] and row["max_abs_diff"] <= EXACT, row
    assert auc[0]["tolerance"] == 1e-3


def test_continuous_scores_agree_within_the_histogram_tolerance():
    df = _frame(3_000, [2], 0.5, 0.5, 8).assign(s=np.random.default_rng(8).random(3_000))
    cc = audit(df, label="y", prediction="pred", sensitive="a0", score="s", bootstrap=0,
               cross_check=True).cross_check
    for row in (r for r in cc["rows"] if r["quantity"] == "auc"):
        assert row["agree"] and row["max_abs_diff"] <= 1e-3


def test_conventions_are_notes_not_disagreements():
    # Group B has no positives (TPR undefined) and no predicted negatives (NPV undefined).
    df = pd.DataFrame({"y": [1, 1, 0, 0, 0, 0, 0, 0], "pred": [1, 0, 1, 0, 1, 1, 1, 1],
                       "g": ["A"] * 4 + ["B"] * 4})
    cc = audit(df, label="y", prediction="pred", sensitive="g", bootstrap=0,
               cross_check=True).cross_check
    assert cc["all_agree"]
    rows = {(r["quantity"], r["group"], r["attribute"]): r for r in cc["rows"]}
    tpr = rows[("tpr", "B", "g")]
    assert tpr["ours"] is None and tpr["fairlearn"] == 0.0 and tpr["aif360"] is None
    assert tpr["note"] == "fairlearn returns 0 where undefined"
    npv = rows[("npv", "B", "g")]
    assert npv["ours"] is None and npv["aif360"] == 0.0
    assert npv["note"] == "aif360 returns 0 where undefined"
    bal = rows[("balanced_accuracy", "B", "g")]
    assert bal["ours"] is None and bal["fairlearn"] == 0.0  # recall of the negatives only
    assert "classes present" in bal["note"]
    # fairlearn counts B's undefined TPR as 0: its equal-opportunity gap is A's TPR.
    eo = rows[("equal_opportunity_difference", None, "g")]
    assert eo["ours"] == 0.0 and eo["fairlearn"] == 0.5 and "counts an undefined" in eo["note"]
    assert rows[("vs_reference.equal_opportunity_difference", "B", "g")]["ours"] is None


def test_a_wrong_metric_is_caught(monkeypatch):
    wrong = dataclasses.replace(METRICS["tpr"], numerator=(), denominator=(),
                                custom=lambda tp, fp, fn, tn: (tp + 0.5) / (tp + fn + 1.0))
    monkeypatch.setitem(METRICS, "tpr", wrong)
    df = _frame(400, [2], 0.5, 0.5, 2)
    cc = audit(df, label="y", prediction="pred", sensitive="a0", bootstrap=0,
               cross_check=True).cross_check
    assert not cc["all_agree"]
    bad = {r["quantity"] for r in cc["rows"] if not r["agree"]}
    assert "tpr" in bad and "vs_reference.equal_opportunity_difference" in bad
    assert "fpr" not in bad
    assert cc["max_abs_diff"] > 1e-4
    row = next(r for r in cc["rows"] if r["quantity"] == "tpr" and not r["agree"])
    assert "fairlearn gives" in row["note"] and "aif360 gives" in row["note"]


def test_weighted_fairlearn_input_equals_raw_rows(monkeypatch):
    df = _frame(900, [3, 2], 0.2, 0.6, 4)
    kw = dict(label="y", prediction="pred", sensitive=["a0", "a1"], bootstrap=0,
              intersectional=True, cross_check=True)
    raw = audit(df, **kw).cross_check
    monkeypatch.setattr(crosscheck, "FAIRLEARN_MAX_RAW_ROWS", 0)
    weighted = audit(df, **kw).cross_check
    assert raw["fairlearn_input"] == "rows" and weighted["fairlearn_input"] != "rows"
    assert len(raw["rows"]) == len(weighted["rows"])
    for a, b in zip(raw["rows"], weighted["rows"], strict=True):
        assert a["quantity"] == b["quantity"] and a["group"] == b["group"]
        if a["fairlearn"] is None:
            assert b["fairlearn"] is None
        else:
            assert b["fairlearn"] == pytest.approx(a["fairlearn"], abs=EXACT)


def test_between_groups_measures_equal_fairlearns_public_functions():
    import fairlearn.metrics as flm

    df = _frame(1_200, [3], 0.5, 0.5, 9)
    df.loc[df.a0 == "g00", "y"] = 0  # g00 has no positives: fairlearn's TPR is 0 there
    cc = audit(df, label="y", prediction="pred", sensitive="a0", bootstrap=0,
               cross_check=True).cross_check
    got = {r["quantity"]: r["fairlearn"] for r in cc["rows"] if r["group"] is None
           and r["attribute"] == "a0"}
    for name in ("demographic_parity_difference", "demographic_parity_ratio",
                 "equalized_odds_difference", "equalized_odds_ratio",
                 "equal_opportunity_difference", "equal_opportunity_ratio"):
        expected = getattr(flm, name)(df.y.to_numpy(), df.pred.to_numpy(),
                                      sensitive_features=df.a0.to_numpy())
        assert got[name] == pytest.approx(expected, abs=EXACT), name


def _aif360_cache_keys() -> set:
    cls = crosscheck._libraries()["ClassificationMetric"]
    keys = set()
    for klass in cls.__mro__:
        for fn in vars(klass).values():
            code = getattr(fn, "__code__", None)
            if code is not None and "cache" in code.co_freevars:
                cache = fn.__closure__[code.co_freevars.index("cache")].cell_contents
                keys |= {(fn.__name__, id(k[0])) for k in cache
                         if isinstance(k, tuple) and k and isinstance(k[0], cls)}
    return keys


@pytest.mark.parametrize("favorable", [1, 0])
def test_aif360_caches_are_released(favorable):
    """aif360 memoizes every metric call on the metric object; ours are dropped after use
    (aif360's own mitigations leave theirs, which is not ours to clean)."""
    df = _frame(300, [2], 0.5, 0.5, 1)
    before = _aif360_cache_keys()
    audit(df, label="y", prediction="pred", sensitive="a0", bootstrap=0, cross_check=True,
          favorable_prediction=favorable)
    assert _aif360_cache_keys() <= before


def test_default_is_on_up_to_the_row_limit(monkeypatch):
    df = _frame(50, [2], 0.5, 0.5, 1)
    kw = dict(label="y", prediction="pred", sensitive="a0", bootstrap=0)
    assert audit(df, **kw).cross_check is not None
    assert audit(df, cross_check=False, **kw).cross_check is None
    monkeypatch.setattr(audit_module, "CROSS_CHECK_MAX_ROWS", 49)
    assert audit(df, **kw).cross_check is None


def test_libraries_import_quietly():
    code = ("import logging, warnings; warnings.simplefilter('default');"
            "from fairness._crosscheck import _libraries; _libraries();"
            "print(len(logging.getLogger().handlers))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "0"
    assert "unavailable" not in out.stderr and "WARNING" not in out.stderr, out.stderr
