"""The border lie detection case: what its page claims, checked on its record."""

from __future__ import annotations

import numpy as np
import pytest

from cases import Spec, get_case, run_case, start
from cases import border_lie_detection as bld
from cases.blocks import Table
from cases.pages import blocks_for

CASE = get_case("border-lie-detection")


@pytest.fixture(scope="module")
def record() -> dict:
    return run_case(CASE, mitigations=False)


def _border(df):
    return df[df["setting"] == "deployment"].reset_index(drop=True)


def test_lab_knobs_leave_the_travellers_unchanged():
    a = bld.make_border_lie_detection_data(3_000, random_state=1)
    b = bld.make_border_lie_detection_data(3_000, random_state=1, lab_size=100,
                                           lab_origin_mix=0.5)
    assert _border(a).equals(_border(b))
    lab = b[b["setting"] == "lab"]
    assert len(lab) == 100 and lab["deceptive"].sum() == 50
    assert (lab["origin"] == "region A").sum() == 50


def test_liars_at_a_low_prevalence_stay_liars_at_a_higher_one():
    low = _border(bld.make_border_lie_detection_data(20_000, random_state=2, prevalence=0.01))
    high = _border(bld.make_border_lie_detection_data(20_000, random_state=2, prevalence=0.2))
    assert (high["deceptive"] >= low["deceptive"]).all()
    assert abs(high["deceptive"].mean() - 0.2) < 0.01


def test_the_lab_lottery_uses_the_case_model():
    """The imagined labs fit the pipeline by hand; they must decide as the pipeline does."""
    run = start(CASE, Spec(4, 5_000, CASE.resolve_knobs()), cross_check=False)
    X, y = run.train[list(bld.FEATURES)].to_numpy(), run.train["deceptive"].to_numpy()
    chosen = bld._chosen(X, y)
    w, b = bld._fit(X[:, chosen], y)
    fast = run.test[list(bld.FEATURES)].to_numpy()[:, chosen] @ w + b > 0
    np.testing.assert_array_equal(run.test["prediction"].to_numpy(), fast.astype(int))


def test_innocent_travellers_from_region_b_are_flagged_more(record):
    h = record["headline"]
    assert (h["attribute"], h["metric"], h["group"], h["reference"]) == (
        "origin", "fpr", "region B", "region A")
    assert h["difference"]["ci_low"] > 0.05 and h["ratio"]["ci_low"] > 1.1
    by_origin = record["analyses"]["by_group"]["origin"]
    assert by_origin["region A"]["lab_n"] == 29 and by_origin["region B"]["lab_n"] == 1
    assert (by_origin["region B"]["innocent_flagged_per_100k"]["value"]
            == pytest.approx(h["group_value"]["value"] * 100_000))


def test_four_fifths_is_judged_on_not_being_flagged(record):
    """Region B, flagged most, fails the rule; region D, flagged least, sets the denominator."""
    groups = {g["group"]: g for g in record["audit"]["groups"] if g["attribute"] == "origin"}
    assert record["audit"]["favorable_prediction"] == 0
    assert "four_fifths" in groups["region B"]["flags"]
    assert [o for o, g in groups.items() if "four_fifths" in g["flags"]] == ["region B"]
    summary = record["audit"]["summary"]["by_attribute"]["origin"]
    assert summary["impact_ratio_denominator"]["group"] == "region D"
    tables = [b for b in blocks_for("border_lie_detection", record) if isinstance(b, Table)]
    origin = next(t for t in tables if t.title.startswith("At the border, by origin"))
    assert [r[0] for r in origin.rows if r[-1] == "yes"] == ["region B"]
    assert "not-flagged rate" in " ".join(c.header for c in origin.columns)


def test_lab_accuracy_overstates_the_border(record):
    a, border = record["analyses"], record["performance"]["accuracy"]
    reported = a["lab"]["vendor_cv"]
    assert reported["value"] == pytest.approx(23 / 32)  # the 72% the old page reported
    assert reported["ci_high"] - reported["ci_low"] > 0.2  # 32 people: wide
    assert a["lab"]["honest_cv"]["value"] < reported["value"] < a["lab"]["training"]["value"]
    gap = a["lab_vs_border"]["difference"]
    assert gap["value"] == pytest.approx(reported["value"] - border["value"])
    assert gap["ci_low"] > 0
    # Flagging nobody is more accurate at the border than the detector.
    assert a["accuracy_flagging_nobody"]["ci_low"] > border["ci_high"]


def test_most_flagged_travellers_are_innocent_at_the_default_prevalence(record):
    """The base-rate fallacy: at 1 in 1,000, precision collapses, for every origin."""
    assert record["manifest"]["knobs"]["prevalence"] == 0.001
    assert record["performance"]["ppv"]["ci_high"] < 0.01
    assert all(v["value"] < 0.01 for v in record["tracked"]["ppv"].values())
    nat = record["analyses"]["per_100k_travellers"]
    assert nat["false_positives"]["ci_low"] > 100 * nat["true_positives"]["ci_high"]


def test_precision_rises_with_prevalence_and_the_fallacy_goes_at_half(record):
    points = record["sweeps"]["prevalence"]
    ppv = [p["tracked"]["ppv"]["all travellers"]["value"] for p in points]
    assert ppv == sorted(ppv)
    assert points[-1]["value"] == 0.5 and points[-1]["tracked"]["ppv"]["all travellers"][
        "ci_low"] > 0.5
    curve = record["analyses"]["ppv_curve"]
    at = curve["prevalence"].index(min(curve["prevalence"], key=lambda p: abs(p - 0.5)))
    assert curve["ppv"][at] > 0.5 > curve["ppv"][0]


def test_the_lab_border_gap_shrinks_with_lab_size(record):
    """Overfitting: a bigger lab reports nearly what the border gets."""
    points = record["sweeps"]["lab_size"]
    gap = [p["tracked"]["repeat_labs"]["gap"]["value"] for p in points]
    assert [p["value"] for p in points] == [32, 100, 300, 1000, 5000]
    assert gap[0] > 0.1 and gap[0] > 2 * gap[-1]
    spread = [p["tracked"]["repeat_labs"]["vendor_cv_accuracy"] for p in points]
    assert spread[0]["ci_high"] - spread[0]["ci_low"] > 3 * (spread[-1]["ci_high"]
                                                             - spread[-1]["ci_low"])
    lottery = record["analyses"]["repeat_labs"]
    assert lottery["n_labs"] == 100 and lottery["gap"]["value"] > 0.1


def test_neither_a_bigger_nor_a_matched_lab_removes_region_b_s_extra_flags(record):
    big = record["sweeps"]["lab_size"][-1]["tracked"]["repeat_labs"]
    flags = big["innocent_flagged_per_100k_by_origin"]
    assert flags["region B"]["ci_low"] > flags["region A"]["ci_high"]
    matched = next(p for p in record["sweeps"]["lab_origin_mix"] if p["value"] == 0.5)
    m = matched["tracked"]["repeat_labs"]["innocent_flagged_per_100k_by_origin"]
    assert m["region B"]["value"] - m["region A"]["value"] > 3_000


def test_sex_is_a_control(record):
    d = next(x for x in record["audit"]["disparities"]
             if (x["attribute"], x["metric"], x["group"]) == ("sex", "fpr", "female"))
    assert abs(d["difference"]["value"]) < 0.03
