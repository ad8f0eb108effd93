"""The orientation inference case: what its page claims, checked on its committed record."""

from __future__ import annotations

import json

import pytest
from tests_support import covers

from cases import get_case
from cases import orientation_inference as oi
from cases.blocks import Text
from cases.pages import blocks_for
from reports._paths import RECORDS

CASE = get_case("orientation-inference")


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads((RECORDS / "orientation-inference.json").read_text(encoding="utf-8"))


def _points(record: dict, knob: str) -> dict:
    return {p["value"]: p["tracked"]["sweep"] for p in record["sweeps"][knob]}


def _setting(df, setting):
    return df[df["setting"] == setting].reset_index(drop=True)


def test_the_site_is_balanced_and_the_population_knobs_leave_it_alone():
    a = oi.make_orientation_inference_data(5_000, random_state=3)
    b = oi.make_orientation_inference_data(5_000, random_state=3, prevalence=0.3,
                                           deployment_shift=1.0)
    for s in oi.SETTINGS[:2]:
        assert _setting(a, s).equals(_setting(b, s))
    site = _setting(a, "dating site")
    assert len(site) == oi.SITE_SIZE
    assert (site.groupby("sex", observed=True)["gay_or_lesbian"].mean() == 0.5).all()
    # One uniform per person: who is gay or lesbian at 7% still is at 30%.
    pop_a, pop_b = (_setting(d, "general population") for d in (a, b))
    assert (pop_b["gay_or_lesbian"] >= pop_a["gay_or_lesbian"]).all()


def test_without_self_presentation_the_photos_carry_nothing():
    df = oi.make_orientation_inference_data(2_000, random_state=1, self_presentation=0.0)
    means = df.groupby("gay_or_lesbian")[list(oi.FEATURES)].mean()
    assert (means.diff().abs().iloc[1] < 0.1).all()


def test_the_site_reproduces_the_paper_s_pairwise_scores(record):
    site = record["analyses"]["pairwise"]["site"]
    assert covers(site["men"], 0.81) and covers(site["women"], 0.71)
    assert site["men"]["ci_low"] > site["women"]["ci_high"]


def test_the_pairwise_score_hides_the_collapse_of_precision(record):
    """At 7%, most people inferred are straight; false outings dwarf true ones."""
    a, perf = record["analyses"], record["performance"]
    assert record["manifest"]["knobs"]["prevalence"] == 0.07
    assert a["site"]["ppv"]["ci_low"] > 0.6 and perf["ppv"]["ci_high"] < 0.15
    n = a["per_1000"]
    assert n["false_positives"]["ci_low"] > 5 * n["true_positives"]["ci_high"]
    assert all(v["ci_high"] < 0.5 for v in a["top_ranked"].values())
    ppv = [p["precision"]["value"] for p in _points(record, "prevalence").values()]
    assert ppv == sorted(ppv) and ppv[-1] > 0.5
    curve = a["ppv_curve"]["site"]
    assert curve["prevalence"][-1] == 0.5 and curve["ppv"][-1] > 0.6 > curve["ppv"][0]


def test_the_mechanism_disappears_without_self_presentation(record):
    off = _points(record, "self_presentation")[0.0]
    assert covers(off["pairwise_site"], 0.5) and covers(off["pairwise_population"], 0.5)
    assert covers(off["precision"], 0.07)
    assert 0.35 < off["exposed"]["value"] < 0.65  # "still infers about half of everyone"
    on = record["analyses"]["leakage"]
    assert max(v["value"] for v in on["alone"].values()) < 0.7 < on["together"]["auc"]["ci_low"]
    assert all(abs(on["alone"][f]["value"] - 0.5) < 0.05 for f in oi.FACE)


def test_the_model_breaks_off_the_site(record):
    shift = _points(record, "deployment_shift")
    same = shift[0.0]
    assert same["pairwise_population"]["ci_low"] < same["pairwise_site"]["ci_high"]
    assert same["pairwise_site"]["ci_low"] < same["pairwise_population"]["ci_high"]
    gone = shift[1.0]
    assert covers(gone["pairwise_population"], 0.5) and covers(gone["precision"], 0.07)
    pop = [shift[k]["pairwise_population"]["value"] for k in sorted(shift)]
    assert pop == sorted(pop, reverse=True)


def test_straight_women_are_falsely_outed_more_often(record):
    h = record["headline"]
    assert (h["attribute"], h["metric"], h["group"], h["reference"]) == (
        "sex", "fpr", "women", "men")
    assert h["difference"]["ci_low"] > 0.02
    women = next(g for g in record["audit"]["groups"] if g["group"] == "women")
    assert "four_fifths" not in women["flags"]  # the page: the four-fifths rule is passed


def test_a_stricter_threshold_still_exposes_mostly_straight_people(record):
    t = _points(record, "threshold")
    assert t[0.9]["exposed"]["value"] < t[0.5]["exposed"]["value"] / 10
    assert t[0.9]["precision"]["ci_high"] < 0.5


def test_the_mitigation_equalises_errors_and_exposes_as_many_people(record):
    m = record["analyses"]["mitigation"]
    model, mitigated, same = m["model"], m["mitigated"], m["same_exposure"]
    assert abs(mitigated["fpr_gap"]["value"]) < abs(model["fpr_gap"]["value"]) / 2
    assert model["fpr_gap"]["ci_low"] > 0 and same["fpr_gap"]["ci_low"] > 0
    assert mitigated["accuracy"]["value"] > model["accuracy"]["value"]
    n, s = mitigated["per_1000"], same["per_1000"]
    assert n["flagged"]["value"] == pytest.approx(s["flagged"]["value"], abs=2)
    assert n["flagged"]["value"] > 300
    for cell in ("false_positives", "true_positives"):
        assert n[cell]["value"] == pytest.approx(s[cell]["value"], rel=0.1)
    # The same mitigation as the runner's, judged on the same headline.
    entry = next(e for e in record["mitigations"]["entries"] if e["name"] == m["name"])
    assert entry["headline"]["difference"] == mitigated["fpr_gap"]


def test_the_page_says_not_to_build_it(record):
    text = " ".join(b.markdown for b in blocks_for("orientation_inference", record)
                    if isinstance(b, Text))
    assert "not to build it" in text and "passed" in text
