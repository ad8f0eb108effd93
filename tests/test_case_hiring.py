"""The hiring case: the claims its page makes, checked on its record."""

from __future__ import annotations

import json

import pytest

from cases import get_case
from cases._runner import data_sha256, run_case
from cases.hiring import make_hiring_data
from reports._io import dumps

CASE = get_case("hiring")


@pytest.fixture(scope="module")
def record():
    return run_case(CASE, mitigations=False)


def _covers_zero(est):
    return est["ci_low"] <= 0 <= est["ci_high"]


def test_generator_is_seeded_and_documented():
    a, b = make_hiring_data(2000, random_state=1), make_hiring_data(2000, random_state=1)
    assert data_sha256(a) == data_sha256(b)
    assert data_sha256(a) != data_sha256(make_hiring_data(2000, random_state=2))
    documented = {c.name for c in CASE.columns}
    assert documented == set(a.columns)
    assert not {"sex", "race_ethnicity", "age_band"} & set(CASE.features)


def test_default_bias_shows_and_zero_bias_does_not(record):
    points = {p["value"]: p["headline"]["difference"] for p in record["sweeps"]["historical_bias"]}
    assert len(points) >= 5
    assert _covers_zero(points[0.0]), points[0.0]
    default = record["headline"]["difference"]
    assert default["ci_high"] < 0, default
    assert not _covers_zero(points[CASE.knob("historical_bias").default])
    # The disparity grows with the bias put in.
    values = [points[k]["value"] for k in sorted(points)]
    assert values[0] > values[-1]


def test_ll144_table_flags_women_and_marks_small_categories(record):
    groups = record["audit"]["groups"]
    female = next(g for g in groups if g["attribute"] == "sex" and g["group"] == "female")
    assert "four_fifths" in female["flags"]
    assert female["impact_ratio"]["value"] < 0.8
    small = {g["group"] for g in groups if g["small"]}
    assert "nonbinary" in small and "American Indian or Alaska Native" in small
    assert "sex × race_ethnicity" in record["audit"]["attributes"]


def test_dropping_sex_does_not_remove_the_disparity(record):
    u = record["analyses"]["unawareness"]
    assert u["without_sex"]["difference"]["ci_high"] < 0
    assert u["coefficients_without_sex"]["womens_club"] < 0  # the proxy carries the bias
    leak = record["analyses"]["leakage"]["auc"]
    assert leak["ci_low"] > 0.6  # the inputs reveal sex well above chance


def test_label_and_truth_disagree(record):
    lvt = record["label_vs_truth"]
    assert lvt["vs_truth"]["metric"] == "tpr"
    # Against the biased history the screener looks fair to qualified women;
    # against true skill it is not.
    assert _covers_zero(lvt["vs_label"]["difference"]) or lvt["vs_label"]["difference"]["value"] > 0
    assert lvt["vs_truth"]["difference"]["ci_high"] < 0


def test_record_is_byte_identical_for_the_same_seed(record):
    again = run_case(CASE, mitigations=False)
    assert dumps(record) == dumps(again)
    other = run_case(CASE, seed=1, n_samples=3000, sweeps=False, mitigations=False)
    assert other["manifest"]["data_sha256"] != record["manifest"]["data_sha256"]
    json.loads(dumps(record))  # JSON-safe, no NaN


def test_runs_quickly(record):
    import time

    t0 = time.perf_counter()
    run_case(CASE, mitigations=False)
    assert time.perf_counter() - t0 < 60
