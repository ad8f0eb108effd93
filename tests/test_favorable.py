"""The four-fifths rule on the favourable outcome, over a denominator small groups cannot set.

29 CFR 1607.4(D): a selection rate for any group which is less than four-fifths
of the rate for the group with the highest rate is evidence of adverse impact,
where "selection" is the favourable outcome. When the positive prediction is a
burden (flagged), the favourable outcome is *not* being flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairness import AuditInputError, audit


def _frame(rates: dict[str, tuple[int, float]], seed: int = 0) -> pd.DataFrame:
    """Groups of the given sizes flagged at exactly the given rates (label independent)."""
    rng = np.random.default_rng(seed)
    parts = []
    for name, (n, rate) in rates.items():
        flagged = np.zeros(n, dtype=int)
        flagged[: round(n * rate)] = 1
        parts.append(pd.DataFrame({"g": name, "flagged": rng.permutation(flagged),
                                   "y": rng.integers(0, 2, n)}))
    return pd.concat(parts, ignore_index=True)


BURDEN = _frame({"a": (1000, 0.07), "b": (1000, 0.14), "c": (1000, 0.5)})


def test_a_burden_is_judged_on_the_not_flagged_rate():
    r = audit(BURDEN, label="y", prediction="flagged", sensitive="g", favorable_prediction=0,
              bootstrap=200, cross_check=False)
    d = r.to_dict()
    assert d["favorable_prediction"] == 0
    assert "NOT receiving it" in d["favorable_outcome"]
    a, b, c = (r.group("g", x) for x in "abc")
    assert a["favorable_rate"]["value"] == pytest.approx(0.93)
    assert b["impact_ratio"]["value"] == pytest.approx(0.86 / 0.93)  # 2x the burden, passes
    assert c["impact_ratio"]["value"] == pytest.approx(0.5 / 0.93)
    assert c["flags"] == ["four_fifths"] and a["flags"] == b["flags"] == []
    assert r.summary["by_attribute"]["g"]["impact_ratio_denominator"]["group"] == "a"


def test_read_the_wrong_way_round_the_rule_flags_the_least_burdened():
    """The mistake the pages made: the favourable outcome taken to be the flag."""
    r = audit(BURDEN, label="y", prediction="flagged", sensitive="g", favorable_prediction=1,
              bootstrap=0, cross_check=False)
    assert r.group("g", "a")["flags"] == ["four_fifths"]  # flagged least, "adverse impact"
    assert r.group("g", "c")["flags"] == []


def test_favorable_prediction_accepts_the_values_of_the_column():
    df = BURDEN.assign(flagged=BURDEN["flagged"].map({1: "refused", 0: "granted"}))
    kw = dict(label="y", prediction="flagged", sensitive="g", bootstrap=0, cross_check=False)
    y = df["y"].map({1: "refused", 0: "granted"})
    by_value = audit(df.assign(y=y), positive_label="refused", favorable_prediction="granted",
                     **kw)
    assert by_value.favorable_prediction == 0
    assert audit(df.assign(y=y), positive_label="refused", favorable_prediction="refused",
                 **kw).favorable_prediction == 1
    with pytest.raises(AuditInputError, match="favorable_prediction 'maybe'"):
        audit(df.assign(y=y), positive_label="refused", favorable_prediction="maybe", **kw)


def test_a_small_group_cannot_set_the_denominator():
    # As on ProPublica's COMPAS data: 11 people with the highest rate would set the bar.
    df = _frame({"big": (2000, 0.40), "mid": (1500, 0.30), "tiny": (11, 0.64)})
    r = audit(df, label="y", prediction="flagged", sensitive="g", bootstrap=300,
              cross_check=False)
    den = r.summary["by_attribute"]["g"]["impact_ratio_denominator"]
    assert den["group"] == "big" and den["excluded_small_groups"] == ["tiny"]
    assert "at least 30 rows and 2%" in den["rule"]
    assert r.group("g", "mid")["impact_ratio"]["value"] == pytest.approx(0.30 / 0.40)
    tiny = r.group("g", "tiny")
    assert tiny["small"] and tiny["impact_ratio"]["value"] == pytest.approx(7 / 11 / 0.40)
    lo, hi = tiny["impact_ratio"]["ci_low"], tiny["impact_ratio"]["ci_high"]
    assert lo < 1.0 < hi and hi - lo > 0.5  # its own ratio, honestly uncertain


def test_when_every_group_is_small_they_all_count():
    df = _frame({"p": (20, 0.5), "q": (20, 0.25)})
    r = audit(df, label="y", prediction="flagged", sensitive="g", bootstrap=0,
              cross_check=False)
    den = r.summary["by_attribute"]["g"]["impact_ratio_denominator"]
    assert den["group"] == "p" and "every group is small" in den["rule"]


def test_aif360_agrees_in_favourable_terms():
    """aif360's disparate impact and parity difference count its favourable label."""
    rng = np.random.default_rng(5)
    df = BURDEN.assign(y=rng.integers(0, 2, len(BURDEN)))
    r = audit(df, label="y", prediction="flagged", sensitive="g", favorable_prediction=0,
              bootstrap=0, cross_check=True, reference={"g": "a"})
    assert r.cross_check["all_agree"], [x for x in r.cross_check["rows"] if not x["agree"]]
    vs = {v["group"]: v for v in r.summary["by_attribute"]["g"]["vs_reference"]}
    assert vs["c"]["disparate_impact"]["value"] == pytest.approx(0.5 / 0.93)
    assert vs["c"]["statistical_parity_difference"]["value"] == pytest.approx(0.5 - 0.93)
    checked = {x["quantity"] for x in r.cross_check["rows"] if x["aif360"] is not None}
    assert {"vs_reference.disparate_impact", "theil_index"} <= checked
