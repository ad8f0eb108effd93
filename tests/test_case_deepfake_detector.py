"""The deepfake detector case: what its page claims, checked on its committed record."""

from __future__ import annotations

import json

import pytest
from tests_support import covers_zero

from cases import Spec, get_case, start
from cases import deepfake_detector as dd
from cases.blocks import Text
from cases.pages import blocks_for
from reports._paths import RECORDS

CASE = get_case("deepfake-detector")
JOINT = "skin_tone × sex"


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads((RECORDS / "deepfake-detector.json").read_text(encoding="utf-8"))


def _fpr_gap(run, attribute: str, group: str) -> dict:
    return run.audit().gap(attribute, "fpr", group).difference.to_dict()


def _run(**knobs):
    return start(CASE, Spec(0, 20_000, CASE.resolve_knobs(knobs)), cross_check=False)


def _groups(rec: dict, attribute: str) -> dict:
    return {g["group"]: g for g in rec["audit"]["groups"] if g["attribute"] == attribute}


def test_the_benchmark_knob_leaves_the_platform_and_the_fakes_unchanged():
    a = dd.make_deepfake_detector_data(2_000, random_state=3)
    b = dd.make_deepfake_detector_data(2_000, random_state=3, real_darker_share=0.3)
    assert a[a["setting"] == "platform"].equals(b[b["setting"] == "platform"])
    bench_a, bench_b = (d[d["setting"] == "benchmark"] for d in (a, b))
    assert bench_a[bench_a["fake"] == 1].equals(bench_b[bench_b["fake"] == 1])
    real_a, real_b = (d.loc[d["fake"] == 0, "skin_tone"] == "darker" for d in (bench_a, bench_b))
    assert (real_b >= real_a).all() and 0.27 < real_b.mean() < 0.33  # a darker clip stays darker


def test_real_clips_of_darker_skinned_people_are_flagged_far_more(record):
    h = record["headline"]
    assert (h["attribute"], h["metric"], h["group"], h["reference"]) == (
        "skin_tone", "fpr", "darker", "lighter")
    assert h["difference"]["ci_low"] > 0.2 and h["ratio"]["ci_low"] > 3
    fpr = {g: v["metrics"]["fpr"]["value"] for g, v in _groups(record, JOINT).items()}
    assert sorted(fpr, key=fpr.get) == ["lighter × male", "lighter × female", "darker × male",
                                        "darker × female"]
    flagged = [g for g, v in _groups(record, JOINT).items() if "four_fifths" in v["flags"]]
    assert flagged == ["darker × female", "darker × male"]


def test_the_detector_learned_skin_tone_so_it_misses_fewer_darker_fakes(record):
    a = record["analyses"]["fake_share_in_benchmark"]
    assert a["darker"]["ci_low"] > 0.75 and a["lighter"]["ci_high"] < 0.5
    groups = _groups(record, "skin_tone")
    assert groups["darker"]["metrics"]["fnr"]["ci_high"] < groups["lighter"]["metrics"]["fnr"][
        "ci_low"]


def test_matching_the_benchmark_removes_the_skin_tone_gap_without_low_light():
    run = _run(real_darker_share=0.3, low_light=0.0)
    gap = _fpr_gap(run, "skin_tone", "darker")
    assert covers_zero(gap) or abs(gap["value"]) < 0.015
    # The composition alone still teaches skin tone, through face luminance.
    assert _fpr_gap(_run(low_light=0.0), "skin_tone", "darker")["ci_low"] > 0.1


def test_without_makeup_women_and_men_are_flagged_alike():
    assert _fpr_gap(_run(), "sex", "female")["ci_low"] > 0.04
    gap = _fpr_gap(_run(makeup=0.0), "sex", "female")
    assert covers_zero(gap) or abs(gap["value"]) < 0.015


def test_rebalancing_closes_the_gap_then_reverses_it(record):
    points = {p["value"]: p for p in record["sweeps"]["real_darker_share"]}
    gaps = [p["headline"]["difference"]["value"] for p in points.values()]
    assert gaps == sorted(gaps, reverse=True) and gaps[0] > 0.4
    matched, default = points[0.3], points[0.05]
    assert abs(matched["headline"]["difference"]["value"]) < 0.06
    bacc = {v: p["tracked"]["errors"]["balanced_accuracy"] for v, p in points.items()}
    assert bacc[0.3]["ci_low"] > bacc[0.05]["ci_high"]
    assert default["headline"]["difference"] == record["headline"]["difference"]
    by = matched["tracked"]["errors"]["by_group"]
    for tone in ("lighter", "darker"):  # make-up is left: women's real clips still flagged more
        assert by[f"{tone} × female"]["fpr"]["ci_low"] > by[f"{tone} × male"]["fpr"]["ci_high"]
    far = points[0.5]
    assert far["headline"]["difference"]["ci_high"] < 0
    fnr = far["tracked"]["errors"]["by_group"]
    assert min(fnr[f"darker × {s}"]["fnr"]["value"] for s in ("female", "male")) > max(
        fnr[f"lighter × {s}"]["fnr"]["value"] for s in ("female", "male"))


def test_some_learning_mitigations_match_rebalancing_and_post_processing_does_not(record):
    matched = next(p for p in record["sweeps"]["real_darker_share"] if p["value"] == 0.3)
    gap0 = abs(matched["headline"]["difference"]["value"])
    bacc0 = matched["tracked"]["errors"]["balanced_accuracy"]["value"]
    ran = [e for e in record["mitigations"]["entries"] if e["error"] is None]
    assert len(ran) == len(record["mitigations"]["entries"]) == 13
    learn = [e for e in ran if e["stage"] != "post"]
    close = [e["name"] for e in learn if abs(e["headline"]["difference"]["value"]) < gap0 + 0.01
             and e["balanced_accuracy"]["value"] > bacc0 - 0.01]
    assert "fairlearn.ExponentiatedGradient(EO)" in close
    for e in (e for e in ran if e["stage"] == "post"):
        assert abs(e["headline"]["difference"]["value"]) > gap0, e["name"]
        assert e["balanced_accuracy"]["value"] < bacc0, e["name"]
    overshoot = [e for e in ran if e["name"] == "fairlearn.ThresholdOptimizer(DP)"][0]
    assert overshoot["headline"]["difference"]["ci_high"] < 0
    assert overshoot["equalized_odds_difference"]["ci_low"] > 0.2


def test_unawareness_leaves_the_gap(record):
    v = {x["name"]: x for x in record["variants"]}["without face luminance"]
    assert v["headline"]["label"]["difference"]["ci_low"] > 0.2


def test_the_page_says_what_the_record_says(record):
    texts = " ".join(b.markdown for b in blocks_for("deepfake_detector", record)
                     if isinstance(b, Text))
    assert "darker-skinned women" in texts and "lighter-skinned men" in texts
    assert "aif360.DisparateImpactRemover" in texts  # the closest mitigation, named from data
    assert "needs each clip's skin tone" in texts
