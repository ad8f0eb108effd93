"""The violence-risk case: what its page claims, checked on its committed record."""

from __future__ import annotations

import json

import pytest
from tests_support import covers, covers_zero

from cases import get_case
from cases import violence_risk_scoring as vrs
from cases.pages import blocks_for
from reports._paths import RECORDS

CASE = get_case("violence-risk-scoring")
LESS, HEAVY = vrs.AREAS


@pytest.fixture(scope="module")
def record():
    return json.loads((RECORDS / "violence-risk-scoring.json").read_text(encoding="utf-8"))


def _rate(df, column, area):
    return df.loc[df["area"] == area, column].mean()


def test_more_policing_records_more_of_the_same_behaviour():
    even = vrs.make_violence_risk_scoring_data(60_000, random_state=3, policing_gap=0.0)
    biased = vrs.make_violence_risk_scoring_data(60_000, random_state=3, policing_gap=2.0)
    # The same people, the same true violence, whatever the policing.
    assert even["serious_violence"].equals(biased["serious_violence"])
    assert abs(even["serious_violence"].mean() - 0.02) < 1e-4
    for df in (even, biased):
        assert abs(_rate(df, "serious_violence", HEAVY) / _rate(df, "serious_violence", LESS)
                   - 1) < 0.15
    ratio = {g: _rate(df, "recorded_violence", HEAVY) / _rate(df, "recorded_violence", LESS)
             for g, df in (("even", even), ("biased", biased))}
    assert abs(ratio["even"] - 1) < 0.2 and ratio["biased"] > 2
    # Offenders at a low base rate stay offenders at a higher one.
    rarer = vrs.make_violence_risk_scoring_data(60_000, random_state=3, base_rate=0.005)
    assert (even["serious_violence"] >= rarer["serious_violence"]).all()


def test_the_coding_error_leaks_only_recorded_offences():
    df = vrs.make_violence_risk_scoring_data(20_000, random_state=1)
    leak = df[vrs.CODED] - df["custody_6m"]
    assert set(leak.unique()) == {0, 1}
    assert (leak <= df["recorded_violence"]).all()
    none = vrs.make_violence_risk_scoring_data(20_000, random_state=1, coding_error=0.0)
    assert none[vrs.CODED].equals(none["custody_6m"])


def test_black_people_are_flagged_more_and_wrongly_more(record):
    h = record["headline"]
    assert (h["attribute"], h["metric"], h["group"]) == ("ethnicity", "selection_rate", "Black")
    assert h["ratio"]["ci_low"] > 1.3
    assert record["label_vs_truth"]["vs_truth"]["ratio"]["ci_low"] > 1.3
    # A rare burden: the four-fifths rule on not being flagged sees nothing.
    black = next(g for g in record["audit"]["groups"] if g["group"] == "Black")
    assert black["impact_ratio"]["ci_low"] > 0.95 and "four_fifths" not in black["flags"]


def test_calibrated_to_arrests_not_to_violence(record):
    oe = record["analyses"]["observed_over_expected"]
    assert covers(oe[LESS]["label"], 1.0) and covers(oe[HEAVY]["label"], 1.0)
    assert covers(oe[HEAVY]["truth"], 1.0) and oe[LESS]["truth"]["ci_low"] > 1.5
    # Trained on the right target, the same model is calibrated against violence everywhere.
    oracle = record["analyses"]["oracle_observed_over_expected"]
    assert covers(oracle[LESS]["truth"], 1.0) and covers(oracle[HEAVY]["truth"], 1.0)
    # The reliability diagram: in the bins above 0.1, less policed people truly offend more.
    truth = record["analyses"]["reliability"]["truth"]
    assert truth[LESS][1]["observed"]["ci_low"] > truth[HEAVY][1]["observed"]["ci_high"]


def test_the_miscalibration_disappears_without_the_policing_gap(record):
    points = {p["value"]: p for p in record["sweeps"]["policing_gap"]}
    off = points[0.0]
    assert covers_zero(off["headline"]["difference"])
    assert covers_zero(off["headline_vs_truth"]["difference"])
    oe = off["tracked"]["observed_over_expected"]
    assert abs(oe[LESS]["truth"]["value"] - oe[HEAVY]["truth"]["value"]) < 0.3
    heavy = [points[v]["tracked"]["observed_over_expected"][HEAVY]["truth"]["value"]
             for v in (0.0, 1.0, 3.0)]
    assert heavy == sorted(heavy, reverse=True)  # more policing, more over-scoring


def test_the_identity_forces_a_gap_against_arrests_only(record):
    rates = {ag: {g["group"]: g["metrics"] for g in gs}
             for ag, gs in record["analyses"]["by_area"].items()}
    forced = record["analyses"]["identity"]
    assert rates["label"][HEAVY]["base_rate"]["ci_low"] > rates["label"][LESS]["base_rate"][
        "ci_high"]
    assert forced["label"][HEAVY] > 1.5 * rates["label"][LESS]["fpr"]["value"]
    assert covers(rates["truth"][HEAVY]["base_rate"], rates["truth"][LESS]["base_rate"]["value"])
    assert forced["truth"][HEAVY] < 1.5 * rates["truth"][LESS]["fpr"]["value"]
    assert rates["truth"][HEAVY]["fpr"]["ci_low"] > 3 * rates["truth"][LESS]["fpr"]["ci_high"]


def test_the_coding_error_inflates_the_claim_and_vanishes_at_zero(record):
    code = record["analyses"]["coding_error"]
    assert code["claimed"]["auc"]["ci_low"] > code["honest"]["auc"]["ci_high"] + 0.05
    assert code["honest"]["auc"]["value"] < code["fixed and retrained"]["auc"]["value"]
    assert abs(code["claimed"]["accuracy"]["value"] - code["honest"]["accuracy"]["value"]) < 0.01
    points = {p["value"]: p["tracked"]["coding_error"] for p in record["sweeps"]["coding_error"]}
    zero = {k: v["auc"]["value"] for k, v in points[0.0].items()}
    assert zero["claimed"] == zero["honest"] == zero["fixed and retrained"]
    claimed = [points[v]["claimed"]["auc"]["value"] for v in sorted(points)]
    assert claimed == sorted(claimed)


def test_most_people_flagged_never_offend(record):
    rarity = record["analyses"]["rarity"]
    assert rarity["everyone"]["flagged_per_true_positive"]["ci_low"] > 2
    assert rarity["Black"]["false_positives"]["ci_low"] > rarity["White"]["false_positives"][
        "ci_high"]
    points = {p["value"]: p["tracked"]["vs_truth"] for p in record["sweeps"]["base_rate"]}
    assert points[0.002]["tpr"]["ci_high"] < points[0.05]["tpr"]["ci_low"]
    assert all(p["ppv"]["value"] < 0.5 for p in points.values())


def test_the_page_says_what_the_record_shows(record):
    blocks = blocks_for("violence_risk_scoring", record)
    text = " ".join(b.markdown for b in blocks if hasattr(b, "markdown"))
    assert "Calibrated to arrests" in text and "Not to violence" in text
    figures = {b.id for b in blocks if hasattr(b, "series")}
    assert {"reliability-label", "reliability-truth", "policing-gap", "coding-error"} <= figures
