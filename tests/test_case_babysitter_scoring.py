"""The babysitter-scoring case: the claims its page makes, checked on its record."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.validation import has_fit_parameter

from cases import CaseError
from cases._framework import Spec
from cases._runner import data_sha256, run_case, run_once
from cases.babysitter_scoring import (
    CASE,
    FEATURES,
    POLICIES,
    OfflinePolicyClassifier,
    _display,
    make_babysitter_scoring_data,
)
from fairness.mitigations import applicable
from reports._io import dumps


@pytest.fixture(scope="module")
def record():
    return run_case(CASE, mitigations=False)


def _covers(est, value=0.0):
    return est["ci_low"] <= value <= est["ci_high"]


def _sweep(record, knob):
    return {p["value"]: p for p in record["sweeps"][knob]}


def test_generator_is_seeded_and_documented():
    a = make_babysitter_scoring_data(2000, random_state=1)
    assert data_sha256(a) == data_sha256(make_babysitter_scoring_data(2000, random_state=1))
    assert data_sha256(a) != data_sha256(make_babysitter_scoring_data(2000, random_state=2))
    assert [c.name for c in CASE.columns] == list(a.columns)
    protected = {"ethnicity", "age_band", "income_band", "online_presence", "dialect"}
    assert not protected & set(CASE.features)
    assert CASE.truth not in CASE.features and CASE.label not in CASE.features


def test_a_knob_changes_only_what_it_governs():
    """Common random numbers: sweeps compare the same candidates and the same posts."""
    base = make_babysitter_scoring_data(5000, random_state=0, tagger_dialect_bias=0.0)
    biased = make_babysitter_scoring_data(5000, random_state=0, tagger_dialect_bias=2.0)
    for col in ("ethnicity", "dialect", "unsafe_conduct", "n_posts", "online_presence"):
        pd.testing.assert_series_equal(base[col], biased[col])
    assert (biased["flagged_posts"] >= base["flagged_posts"]).all()  # bias only adds flags
    sae = base["dialect"] == "SAE"
    pd.testing.assert_series_equal(base.loc[sae, "flagged_posts"], biased.loc[sae, "flagged_posts"])

    few = make_babysitter_scoring_data(5000, random_state=0, offline_rate=0.1)
    many = make_babysitter_scoring_data(5000, random_state=0, offline_rate=0.4)
    offline_few, offline_many = few["has_profile"] == 0, many["has_profile"] == 0
    assert (offline_many | ~offline_few).all()  # whoever is offline at 0.1 is offline at 0.4
    still = ~offline_many
    pd.testing.assert_frame_equal(few[still], many[still])


def test_offline_depends_on_age_and_income_not_ethnicity():
    df = make_babysitter_scoring_data(40_000, random_state=0)
    offline = df["has_profile"] == 0
    by_age = offline.groupby(df["age_band"]).mean()
    by_income = offline.groupby(df["income_band"]).mean()
    assert by_age["18-24"] < by_age["25-39"] < by_age["40 and over"]
    assert by_income["high"] < by_income["middle"] < by_income["low"]
    by_eth = offline.groupby(df["ethnicity"]).mean()
    assert by_eth.max() - by_eth.min() < 0.03
    # The scraper returns zeros and the tagger has nothing to flag.
    assert (df.loc[offline, list(FEATURES) + ["risk_flag"]] == 0).all().all()


def test_bad_values_are_refused_in_one_line():
    with pytest.raises(ValueError, match="tagger_dialect_bias"):
        make_babysitter_scoring_data(100, tagger_dialect_bias=-1)
    with pytest.raises(ValueError, match="offline_rate"):
        make_babysitter_scoring_data(100, offline_rate=1.5)
    with pytest.raises(CaseError, match="mean, risky, safe"):
        CASE.resolve_knobs({"offline_policy": "drop"})


def test_the_label_audit_looks_fairer_than_it_is(record):
    """The false-flag rate (FPR) is the metric to compare: the flag rate does not depend on
    the label, so it cannot differ between the two audits. Against the tagger's label, the
    Black candidates it wrongly flagged count as rightly flagged, which hides the gap."""
    lvt = record["label_vs_truth"]
    assert lvt["vs_label"]["metric"] == lvt["vs_truth"]["metric"] == "fpr"
    vs_label, vs_truth = lvt["vs_label"]["difference"], lvt["vs_truth"]["difference"]
    assert vs_truth["value"] > vs_label["value"]
    assert vs_truth["ci_low"] > vs_label["value"], (vs_label, vs_truth)
    # Same decisions, same flag rates: only the label changed.
    assert lvt["vs_label"]["group_value"] != lvt["vs_truth"]["group_value"]
    points = _sweep(record, "tagger_dialect_bias")
    for bias, p in points.items():
        if bias >= 0.5:
            e = p["extras"]
            assert e["fpr_gap_vs_truth"]["difference"]["value"] > \
                e["fpr_gap_vs_label"]["difference"]["value"], bias
    # The source: the tagger itself over-flags safe Black candidates.
    assert record["analyses"]["tagger"]["fpr_gap_black"]["difference"]["ci_low"] > 0


def test_parity_without_tagger_bias_and_a_gap_with_it(record):
    points = _sweep(record, "tagger_dialect_bias")
    assert len(points) >= 5 and 0.0 in points
    zero = points[0.0]
    assert _covers(zero["headline"]["difference"]), zero["headline"]
    assert _covers(zero["extras"]["fpr_gap_vs_truth"]["difference"])
    assert record["headline"]["metric"] == "selection_rate"
    assert record["headline"]["difference"]["ci_low"] > 0  # default bias 1: Black flagged more
    values = [points[b]["headline"]["difference"]["value"] for b in sorted(points)]
    assert values[-1] > values[0] + 0.2


def test_the_flags_reveal_ethnicity_as_the_tagger_is_biased(record):
    leak = record["analyses"]["leakage"]
    assert leak["tagger_flags"]["features"] == ["recent_flag_share", "risk_flag"]
    assert leak["tagger_flags"]["auc"]["ci_low"] > 0.55
    points = _sweep(record, "tagger_dialect_bias")
    auc = {b: p["extras"]["tagger_flags_leakage_auc"] for b, p in points.items()}
    assert _covers(auc[0.0], 0.5), auc[0.0]
    assert auc[3.0]["value"] > auc[1.0]["value"] > auc[0.0]["value"]
    # Slang is a dialect marker: all the inputs reveal ethnicity even more.
    assert leak["model_inputs"]["auc"]["ci_low"] > leak["tagger_flags"]["auc"]["ci_high"]


def test_each_offline_policy_decides_who_loses(record):
    policies = {p["policy"]: p for p in record["analyses"]["offline_policies"]["policies"]}
    assert tuple(policies) == POLICIES

    def offline(p):
        return next(g for g in p["groups"]["online_presence"] if g["group"] == "offline")

    risky, safe, mean = policies["risky"], policies["safe"], policies["mean"]
    # "risky": every offline candidate is flagged, safe or not; older and poorer lose.
    assert offline(risky)["flag_rate"]["value"] == 1.0
    assert offline(risky)["fpr_vs_truth"]["value"] == 1.0
    assert risky["offline_vs_online"]["flag_rate"]["difference"]["ci_low"] > 0
    assert risky["older_flag_rate"]["difference"]["ci_low"] > 0
    assert risky["low_income_flag_rate"]["difference"]["ci_low"] > 0
    # "safe": no offline candidate is flagged, and every unsafe one passes.
    assert offline(safe)["flag_rate"]["value"] == 0.0
    assert offline(safe)["fnr_vs_truth"]["value"] == 1.0
    assert safe["offline_vs_online"]["flag_rate"]["difference"]["ci_high"] < 0
    # "mean": an average profile scores under the cut-off, so it decides as "safe" does.
    assert 0 < mean["offline_score"] < record["analyses"]["offline_policies"]["cutoff"]
    assert mean["groups"] == safe["groups"]
    # Ethnicity and presence are independent: no policy moves the ethnic gap much.
    gaps = [p["black_flag_rate"]["difference"]["value"] for p in policies.values()]
    assert max(gaps) - min(gaps) < 0.03


def test_the_policy_knob_reaches_the_model():
    for policy, expected in (("risky", 1), ("safe", 0)):
        spec = Spec(0, 3000, CASE.resolve_knobs({"offline_policy": policy}))
        run = run_once(CASE, spec, cross_check=False)
        offline = run.test[run.test["has_profile"] == 0]
        assert len(offline) > 0 and (offline["prediction"] == expected).all()
        assert (offline["score"] == expected).all()
    low = Spec(0, 3000, CASE.resolve_knobs({"cutoff": "0.02"}))
    run = run_once(CASE, low, cross_check=False)
    assert (run.test.loc[run.test["has_profile"] == 0, "prediction"] == 1).all()


def test_the_model_works_with_the_mitigation_machinery():
    df = make_babysitter_scoring_data(3000, random_state=0)
    X, y = df[list(FEATURES)], df["risk_flag"].to_numpy()
    model = OfflinePolicyClassifier()
    assert has_fit_parameter(model, "sample_weight")
    fitted = clone(model).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(fitted.predict_proba(X), clone(model).fit(X, y).predict_proba(X))
    # Arrays work as well as frames (some mitigations pass arrays).
    np.testing.assert_array_equal(fitted.predict(X.to_numpy()), fitted.predict(X))
    with pytest.raises(ValueError, match="policy"):
        OfflinePolicyClassifier(policy="drop").fit(X, y)
    # The declared mitigations exist and fit this model; only reject-option is left out.
    left_out = set(applicable(model)) - set(CASE.mitigations)
    assert left_out == {"aif360.RejectOptionClassification(SPD)"}


def test_record_is_deterministic_and_displayable(record):
    def small():
        return run_case(CASE, n_samples=3000, sweeps=False, mitigations=False)

    assert dumps(small()) == dumps(small())
    json.loads(dumps(record))  # JSON-safe, no NaN
    blocks = _display(record)
    assert {b["kind"] for b in blocks} == {"text", "table", "figure"}
    json.dumps(blocks, allow_nan=False)
    for b in blocks:
        if b["kind"] == "figure":
            for s in b["series"]:
                assert len(s["x"]) == len(s["y"]) == len(s["low"]) == len(s["high"])
        if b["kind"] == "table":
            assert all(len(r) == len(b["columns"]) == len(b["percent"]) for r in b["rows"])
