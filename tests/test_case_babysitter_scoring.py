"""The babysitter-scoring case: what its page claims, checked on its record.

Generic checks (datasheet, determinism, JSON safety, knob validation) are the
conformance suite's; this file holds only what this case says.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cases import Spec, get_case, run_case, start
from cases.babysitter_scoring import OfflinePolicyClassifier, make_babysitter_scoring_data
from cases.blocks import Table, Text
from cases.pages import blocks_for
from fairness.mitigations import applicable

CASE = get_case("babysitter-scoring")


@pytest.fixture(scope="module")
def record():
    return run_case(CASE, mitigations=False)


def _covers(est, value=0.0):
    return est["ci_low"] <= value <= est["ci_high"]


def _sweep(record, knob):
    return {p["value"]: p for p in record["sweeps"][knob]}


def test_a_knob_changes_only_what_it_governs():
    """Common random numbers: a sweep compares the same candidates and the same posts."""
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
    pd.testing.assert_frame_equal(few[~offline_many], many[~offline_many])


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
    assert (df.loc[offline, list(CASE.features) + ["risk_flag"]] == 0).all().all()


def test_the_headline_holds_and_the_flag_is_a_burden(record):
    h = record["headline"]
    assert (h["metric"], h["group"], h["reference"]) == ("selection_rate", "Black", "White")
    assert h["difference"]["ci_low"] > 0.03 and 0.05 < h["difference"]["value"] < 0.10
    assert 1.7 < h["ratio"]["value"] < 2.5 and h["ratio"]["ci_low"] > 1.3
    # Impact ratios are on the favourable decision, not being flagged: below 1 for Black.
    assert record["decision"]["favorable_prediction"] == 0
    black = next(g for g in record["audit"]["groups"]
                 if (g["attribute"], g["group"]) == ("ethnicity", "Black"))
    assert black["favorable_rate"]["value"] == pytest.approx(
        1 - black["metrics"]["selection_rate"]["value"])
    assert black["impact_ratio"]["value"] < 1


def test_the_label_audit_looks_fairer_than_it_is(record):
    """The false-flag rate (FPR) is the metric to compare: the flag rate does not depend on
    the label. Against the tagger's label, the Black candidates it wrongly flagged count as
    rightly flagged, which hides most of the gap."""
    lvt = record["label_vs_truth"]
    assert lvt["vs_label"]["metric"] == lvt["vs_truth"]["metric"] == "fpr"
    vs_label, vs_truth = lvt["vs_label"]["difference"], lvt["vs_truth"]["difference"]
    assert vs_truth["ci_low"] > vs_label["value"] > 0, (vs_label, vs_truth)
    for bias, p in _sweep(record, "tagger_dialect_bias").items():
        if bias >= 0.5:
            assert p["headline_vs_truth"]["difference"]["value"] > \
                p["tracked"]["fpr_gap_vs_label"]["difference"]["value"], bias
    # The source: the tagger itself over-flags safe Black candidates and AAE posts.
    tagger = record["analyses"]["tagger"]
    assert tagger["fpr_gap_black"]["difference"]["ci_low"] > 0
    assert tagger["fpr_gap_aae"]["difference"]["ci_low"] > \
        tagger["fpr_gap_black"]["difference"]["value"]


def test_parity_without_tagger_bias_and_a_growing_gap_with_it(record):
    points = _sweep(record, "tagger_dialect_bias")
    zero = points[0.0]
    assert _covers(zero["headline"]["difference"]), zero["headline"]
    assert _covers(zero["headline_vs_truth"]["difference"])
    assert _covers(zero["tracked"]["fpr_gap_vs_label"]["difference"])
    values = [points[b]["headline"]["difference"]["value"] for b in sorted(points)]
    assert values == sorted(values) and values[-1] > values[0] + 0.2


def test_the_flags_reveal_ethnicity_as_the_tagger_is_biased(record):
    auc = {b: p["tracked"]["tagger_flags_leakage"]
           for b, p in _sweep(record, "tagger_dialect_bias").items()}
    assert _covers(auc[0.0], 0.5), auc[0.0]
    assert auc[3.0]["value"] > auc[1.0]["value"] > auc[0.0]["value"]
    flags = record["tracked"]["tagger_flags_leakage"]
    assert flags == auc[1.0] and flags["ci_low"] > 0.55
    # Slang is a dialect marker: all the score's inputs reveal ethnicity even more.
    assert record["analyses"]["model_inputs_leakage"]["auc"]["ci_low"] > flags["ci_high"]


def test_each_offline_policy_decides_who_loses(record):
    policies = {p["policy"]: p for p in record["analyses"]["offline_policies"]}
    assert list(policies) == ["mean", "risky", "safe"]  # this run's policy first
    mean, risky, safe = policies["mean"], policies["risky"], policies["safe"]
    # "risky": every offline candidate is flagged, safe or not; older and poorer lose.
    assert risky["offline_selection_rate"]["group_value"]["value"] == 1.0
    assert risky["offline_fpr"]["group_value"]["value"] == 1.0
    assert risky["older_flag_rate"]["difference"]["ci_low"] > 0
    assert risky["low_income_flag_rate"]["difference"]["ci_low"] > 0
    # "safe": no offline candidate is flagged, and every unsafe one passes.
    assert safe["offline_selection_rate"]["group_value"]["value"] == 0.0
    assert safe["offline_fnr"]["group_value"]["value"] == 1.0
    assert safe["offline_selection_rate"]["difference"]["ci_high"] < 0
    # "mean": an average profile scores under the cut-off, so it decides as "safe" does.
    assert 0 < mean["offline_score"] < CASE.knob("cutoff").default
    assert safe["decides_as_this_run"] and not risky["decides_as_this_run"]
    # Ethnicity and presence are independent: no policy moves the ethnic gap much.
    gaps = [p["black_flag_rate"]["difference"]["value"] for p in policies.values()]
    assert max(gaps) - min(gaps) < 0.03


def test_the_cutoff_is_the_runners_threshold():
    """At a cut-off under the imputed score, "mean" flags every offline candidate."""
    run = start(CASE, Spec(0, 3000, CASE.resolve_knobs()), cross_check=False)
    offline = run.test["has_profile"] == 0
    assert offline.any() and (run.test.loc[offline, "prediction"] == 0).all()
    low = run.with_threshold(0.02)
    assert (low.test.loc[offline, "prediction"] == 1).all()
    assert (low.test["prediction"] == (low.test["score"] >= 0.02)).all()


def test_the_page_says_what_the_record_says(record):
    blocks = blocks_for("babysitter_scoring", record)
    text = " ".join(b.markdown for b in blocks if isinstance(b, Text))
    assert "understates the gap" in text
    assert "(above 0.8)" in text  # the favourable (not-flagged) ratio, not the flag ratio
    assert "decides every candidate exactly as `safe` does" in text
    tables = {b.title: b for b in blocks if isinstance(b, Table)}
    policy = tables["Candidates with no online presence, under each policy"]
    assert [r[0] for r in policy.rows] == ["mean", "risky", "safe"]
    assert len(tables["The same decisions, audited against two labels"].rows) == 4


@pytest.mark.slow
def test_every_mitigation_runs_on_the_case_model_reject_option_included():
    """With the favourable decision declared, aif360's reject-option classification runs too."""
    names = applicable(OfflinePolicyClassifier())
    assert CASE.mitigations is None and "aif360.RejectOptionClassification(SPD)" in names
    small = run_case(CASE, n_samples=5000, sweeps=False)
    entries = small["mitigations"]["entries"]
    assert len(entries) == len(names)
    assert [e["name"] for e in entries if e["error"]] == []
    assert all("vs_truth" in e for e in entries)  # judged against true conduct as well
