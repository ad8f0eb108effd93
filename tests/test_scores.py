"""Scores of any scale: per-group AUC equals scikit-learn's; Brier needs probabilities."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from fairness import audit
from reports.cli import main


@pytest.fixture(scope="module")
def deciles() -> pd.DataFrame:
    """COMPAS-like: a 1-10 decile score, a high-risk decision at 5 and above."""
    rng = np.random.default_rng(11)
    n = 3000
    race = rng.choice(["African-American", "Caucasian", "Hispanic", "Native American"], n,
                      p=[0.5, 0.34, 0.155, 0.005])
    risk = rng.normal(size=n) + 0.3 * (race == "African-American")
    decile = np.clip(np.ceil((risk + 2.5) * 2), 1, 10).astype(int)
    reoffend = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    return pd.DataFrame({"race": race, "decile_score": decile,
                         "high_risk": (decile >= 5).astype(int), "two_year_recid": reoffend})


def test_decile_auc_equals_sklearn_and_brier_is_undefined(deciles):
    r = audit(deciles, label="two_year_recid", prediction="high_risk", sensitive="race",
              score="decile_score", favorable_prediction=0, bootstrap=100, cross_check=True)
    assert r.to_dict()["score_scale"]["kind"] == "integer"
    assert r.to_dict()["score_scale"]["auc_exact"] is True
    for g in r.groups_of("race"):
        rows = deciles[deciles["race"] == g["group"]]
        expected = roc_auc_score(rows["two_year_recid"], rows["decile_score"])
        assert g["score_metrics"]["auc"]["value"] == pytest.approx(expected, abs=1e-12)
        brier = g["score_metrics"]["brier"]
        assert brier["value"] is None and "not probabilities" in brier["reason"]
        assert g["score_metrics"]["calibration"] is None
    assert any("Brier score and calibration are left out" in w for w in r.warnings)
    assert r.cross_check["all_agree"]


def test_real_valued_scores_get_an_auc_too():
    rng = np.random.default_rng(2)
    n = 4000
    y = rng.integers(0, 2, n)
    points = 300 + 80 * y + rng.normal(0, 60, n)  # credit-score-like, not probabilities
    df = pd.DataFrame({"y": y, "p": (points > 340).astype(int), "g": rng.choice(["a", "b"], n),
                       "s": points})
    r = audit(df, label="y", prediction="p", sensitive="g", score="s", bootstrap=0,
              cross_check=True)
    assert r.to_dict()["score_scale"]["kind"] == "real"
    for g in r.groups_of("g"):
        rows = df[df["g"] == g["group"]]
        assert g["score_metrics"]["auc"]["value"] == pytest.approx(
            roc_auc_score(rows["y"], rows["s"]), abs=1e-3)
    assert r.cross_check["all_agree"]


def test_an_auc_of_one_on_a_small_group_still_has_width():
    df = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1] * 2, "p": [0, 0, 0, 1, 1, 1] * 2,
                       "g": ["a"] * 6 + ["b"] * 6,
                       "s": [0.1, 0.2, 0.3, 0.7, 0.8, 0.9] * 2})
    auc = audit(df, label="y", prediction="p", sensitive="g", score="s", bootstrap=0,
                cross_check=False).group("g", "a")["score_metrics"]["auc"]
    assert auc["value"] == 1.0 and auc["ci_low"] < 0.9


def test_cli_audits_decile_scores(deciles, tmp_path):
    path = tmp_path / "compas.csv"
    deciles.to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["audit", str(path), "--label", "two_year_recid", "--prediction", "high_risk",
                 "--sensitive", "race", "--score", "decile_score",
                 "--favorable-prediction", "0", "--bootstrap", "100", "--out", str(out)]) == 0
    audit_json = json.loads((out / "audit.json").read_text())
    aa = next(g for g in audit_json["groups"] if g["group"] == "African-American")
    rows = deciles[deciles["race"] == "African-American"]
    assert aa["score_metrics"]["auc"]["value"] == pytest.approx(
        roc_auc_score(rows["two_year_recid"], rows["decile_score"]), abs=1e-12)
    # 15 Native American defendants are small: they do not set the impact ratios' bar.
    den = audit_json["summary"]["by_attribute"]["race"]["impact_ratio_denominator"]
    assert den["group"] != "Native American"
    assert "Native American" in den["excluded_small_groups"]
