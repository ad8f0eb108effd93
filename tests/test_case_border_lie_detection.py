"""The border lie detection case: lab accuracy against the border's base rate (issue 7)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cases import border_lie_detection as bld
from cases._runner import run_case

N = 40_000  # travellers: enough for tight rates, small enough for a fast test


@pytest.fixture(scope="module")
def record() -> dict:
    return run_case(bld.CASE, seed=0, n_samples=N, mitigations=False)


def test_generator_is_deterministic_and_balanced_in_the_lab():
    a = bld.make_border_lie_detection_data(2_000, random_state=3)
    b = bld.make_border_lie_detection_data(2_000, random_state=3)
    assert a.equals(b)
    lab = a[a["setting"] == "lab"]
    assert len(lab) == 32 and lab["deceptive"].sum() == 16
    assert (lab["origin"] == bld.MAJORITY).sum() == round(0.9 * 32)
    assert len(a) - len(lab) == 2_000


def test_lab_knobs_leave_the_travellers_unchanged():
    a = bld.make_border_lie_detection_data(3_000, random_state=1)
    b = bld.make_border_lie_detection_data(3_000, random_state=1, lab_size=100,
                                           lab_origin_mix=0.5)
    border_a = a[a["setting"] == "deployment"].reset_index(drop=True)
    border_b = b[b["setting"] == "deployment"].reset_index(drop=True)
    assert border_a.equals(border_b)


def test_liars_at_a_low_prevalence_stay_liars_at_a_higher_one():
    low = bld.make_border_lie_detection_data(20_000, random_state=2, prevalence=0.01)
    high = bld.make_border_lie_detection_data(20_000, random_state=2, prevalence=0.2)
    assert (high["deceptive"] >= low["deceptive"]).all()
    assert abs(high.loc[high["setting"] == "deployment", "deceptive"].mean() - 0.2) < 0.01


def test_generator_rejects_a_prevalence_out_of_range():
    with pytest.raises(ValueError, match="prevalence"):
        bld.make_border_lie_detection_data(100, prevalence=0.9)


def test_datasheet_documents_every_column():
    data = bld.make_border_lie_detection_data(100, random_state=0)
    assert [c.name for c in bld.CASE.columns] == list(data.columns)


def test_fast_lab_path_matches_the_pipeline():
    """The imagined repeat labs skip the pipeline's per-call checks; same decisions."""
    data = bld.make_border_lie_detection_data(5_000, random_state=4)
    lab, border = bld._split(data, None)
    X, y = lab[list(bld.FEATURES)].to_numpy(), lab["deceptive"].to_numpy()
    pipeline = bld._model().fit(X, y)
    chosen = bld._chosen(X, y)
    X_border = border[list(bld.FEATURES)].to_numpy()
    fast = bld._flags(bld._standardised_fit(X[:, chosen], y), X_border[:, chosen])
    np.testing.assert_array_equal(pipeline.predict(X_border), fast)


def test_record_is_json_safe_and_displays(record):
    json.dumps(record, allow_nan=False)
    blocks = bld.CASE.display(record)
    json.dumps(blocks, allow_nan=False)
    assert {b["kind"] for b in blocks} == {"text", "table", "figure"}
    assert {b["id"] for b in blocks if b["kind"] == "figure"} >= {
        "innocent-flagged-by-origin", "lab-size", "ppv-prevalence"}


def test_lab_accuracy_is_reported_with_a_wide_interval(record):
    lab = record["analyses"]["lab"]
    reported = lab["vendor_cv_accuracy"]
    assert lab["size"] == 32 and lab["deceptive_share"] == 0.5
    assert reported["ci_low"] < reported["value"] < reported["ci_high"]
    assert lab["vendor_interval_width"] > 0.2  # 32 people: wide
    assert "wide" in lab["interval_note"]


def test_lab_accuracy_overstates_the_border(record):
    a = record["analyses"]
    reported = a["lab"]["vendor_cv_accuracy"]["value"]
    border = a["deployment"]["accuracy"]
    assert reported - border["value"] > 0.1
    assert a["lab_vs_deployment"]["gap"]["value"] == pytest.approx(reported - border["value"])
    # Flagging nobody is more accurate at the border than the detector.
    assert a["deployment"]["accuracy_flagging_nobody"]["ci_low"] > border["ci_high"]


def test_most_flagged_travellers_are_innocent_at_the_default_prevalence(record):
    """The base-rate fallacy: at 1 in 1,000, PPV collapses, for every origin."""
    dep = record["analyses"]["deployment"]
    assert dep["prevalence"] == 0.001
    assert dep["ppv"]["ci_high"] < 0.5
    assert dep["share_of_flags_innocent"]["ci_low"] > 0.5
    for g in dep["by_origin"]:
        assert g["ppv"]["value"] < 0.5
    default = next(p for p in record["sweeps"]["prevalence"] if p["value"] == 0.001)
    assert default["extras"]["ppv"]["ci_high"] < 0.5
    assert all(e["value"] < 0.5 for e in default["extras"]["ppv_by_origin"].values())


def test_ppv_rises_with_prevalence(record):
    points = record["sweeps"]["prevalence"]
    ppv = [p["extras"]["ppv"]["value"] for p in points]
    assert ppv == sorted(ppv)
    assert ppv[-1] > 0.5 > ppv[0]


def test_the_lab_border_gap_shrinks_with_lab_size(record):
    """Overfitting: the gap between reported lab accuracy and border accuracy."""
    points = record["sweeps"]["lab_size"]
    assert [p["value"] for p in points] == [32, 100, 300, 1000, 5000]
    mean_gap = [p["extras"]["repeat_labs"]["gap"]["mean"] for p in points]
    assert mean_gap[0] > 0.1
    assert mean_gap[0] > 2 * mean_gap[-1] and mean_gap[0] - mean_gap[-1] > 0.05
    # Non-increasing, up to the noise of averaging a handful of imagined labs.
    assert all(b <= a + 0.02 for a, b in zip(mean_gap, mean_gap[1:], strict=False))
    own_gap = [p["extras"]["gap"] for p in points]
    assert own_gap[0] > own_gap[-1]


def test_innocent_travellers_from_region_b_are_flagged_more(record):
    h = record["headline"]
    assert (h["attribute"], h["metric"], h["group"], h["reference"]) == (
        "origin", "fpr", "region B", "region A")
    assert h["difference"]["ci_low"] > 0.03
    by_origin = {g["group"]: g for g in record["analyses"]["deployment"]["by_origin"]}
    assert (by_origin["region B"]["innocent_flagged_per_100k"]["value"]
            == pytest.approx(by_origin["region B"]["fpr"]["value"] * 100_000))
    # A bigger lab does not remove it: region B's baseline looks like lying.
    big = record["sweeps"]["lab_size"][-1]["extras"]["repeat_labs"]
    flagged = big["innocent_flagged_per_100k_by_origin"]
    assert flagged["region B"]["low"] > flagged["region A"]["high"]
    # Nor does a lab that matches the travellers' origins.
    matched = next(p for p in record["sweeps"]["lab_origin_mix"] if p["value"] == 0.5)
    m = matched["extras"]["repeat_labs"]["innocent_flagged_per_100k_by_origin"]
    assert m["region B"]["mean"] - m["region A"]["mean"] > 3_000


def test_sex_is_a_control(record):
    d = next(x for x in record["audit"]["disparities"]
             if (x["attribute"], x["metric"], x["group"]) == ("sex", "fpr", "female"))
    assert abs(d["difference"]["value"]) < 0.03


def test_record_is_reproducible():
    kw = dict(seed=1, n_samples=5_000, sweeps=False, mitigations=False)
    a = json.dumps(run_case(bld.CASE, **kw), sort_keys=True)
    bld._repeat_lab.cache_clear()
    b = json.dumps(run_case(bld.CASE, **kw), sort_keys=True)
    assert a == b
