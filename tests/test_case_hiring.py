"""The hiring case: what its page claims, checked on its committed record."""

from __future__ import annotations

import json

import pytest
from tests_support import covers_zero

from cases import get_case
from reports._paths import RECORDS

CASE = get_case("hiring")


@pytest.fixture(scope="module")
def record():
    return json.loads((RECORDS / "hiring.json").read_text(encoding="utf-8"))


def test_the_bias_shows_and_disappears_with_its_knob(record):
    points = {p["value"]: p for p in record["sweeps"]["historical_bias"]}
    assert covers_zero(points[0.0]["headline"]["difference"])
    default = record["headline"]["difference"]
    assert default["ci_high"] < 0
    values = [points[k]["headline"]["difference"]["value"] for k in sorted(points)]
    assert values == sorted(values, reverse=True)  # the gap grows with the bias put in
    # Against true skill the screener is fair again once the history is.
    assert covers_zero(points[0.0]["headline_vs_truth"]["difference"])


def test_women_fall_under_four_fifths_and_small_categories_are_marked(record):
    groups = record["audit"]["groups"]
    female = next(g for g in groups if g["attribute"] == "sex" and g["group"] == "female")
    assert "four_fifths" in female["flags"] and female["impact_ratio"]["ci_high"] < 0.8
    small = {g["group"] for g in groups if g["small"]}
    assert {"nonbinary", "American Indian or Alaska Native"} <= small
    den = record["audit"]["summary"]["by_attribute"]["race_ethnicity"]
    assert "American Indian or Alaska Native" in den["impact_ratio_denominator"][
        "excluded_small_groups"]


def test_dropping_sex_does_not_remove_the_disparity(record):
    assert record["headline"]["difference"]["ci_high"] < 0
    assert record["analyses"]["coefficients"]["womens_club"] < 0  # the proxy carries the bias
    assert record["analyses"]["leakage"]["auc"]["ci_low"] > 0.6  # the inputs reveal sex
    with_sex = next(v for v in record["variants"] if v["name"] == "with sex")
    assert with_sex["headline"]["label"]["difference"]["value"] < \
        record["headline"]["difference"]["value"]  # given sex, it copies the history more


def test_only_an_explanation_shows_the_black_box_leans_on_the_proxy(record):
    boosted = record["analyses"]["importance"]["gradient boosting"]["importance"]
    club = boosted["all"]["womens_club"]
    assert club["mean"] > 5 * club["sd"] and club["mean"] > 0.01
    for sex in ("female", "male"):
        assert boosted[sex]["womens_club"]["mean"] < club["mean"] / 3


def test_label_and_truth_disagree(record):
    lvt = record["label_vs_truth"]
    assert lvt["vs_truth"]["metric"] == "tpr"
    assert covers_zero(lvt["vs_label"]["difference"]) or \
        lvt["vs_label"]["difference"]["value"] > 0
    assert lvt["vs_truth"]["difference"]["ci_high"] < 0


def test_a_threshold_sweep_keeps_the_world_and_the_model(record):
    points = {p["value"]: p for p in record["sweeps"]["threshold"]}
    assert points[0.5]["headline"] == record["headline"]
    rates = [points[t]["headline"]["group_value"]["value"] for t in sorted(points)]
    assert rates == sorted(rates, reverse=True)  # a higher threshold shortlists fewer


def test_mitigations_are_judged_against_the_truth_too(record):
    entries = [e for e in record["mitigations"]["entries"] if e["error"] is None]
    assert len(entries) >= 10
    assert all("vs_truth" in e for e in entries)
    assert record["mitigations"]["baseline"]["vs_truth"]["headline"]["difference"]["value"] < 0


def test_the_ll144_table_is_the_audits_arithmetic_in_the_rules_terms(record):
    """The hiring page's LL144 table (``fairness.ll144_table`` in the case's analyses) counts
    the same applicants as the audit, and its impact ratios by sex are the audit's: both
    divide by men's shortlist rate, the non-binary category being under 2%."""
    table = record["analyses"]["ll144"]
    assert table["rule"] == "6 RCNY § 5-301" and table["basis"] == "selection"
    assert [p["kind"] for p in table["parts"]] == ["sex", "race", "intersection"]
    groups = {(g["attribute"], g["group"]): g for g in record["audit"]["groups"]}
    attribute = {"sex": "sex", "race": "race_ethnicity",
                 "intersection": "sex × race_ethnicity"}
    for part in table["parts"]:
        for r in part["rows"]:
            g = groups[(attribute[part["kind"]], r["category"])]
            assert r["n"] == g["n"]
            assert r["rate"]["value"] == pytest.approx(g["favorable_rate"]["value"])
    sex = {r["category"]: r for r in table["parts"][0]["rows"]}
    assert table["parts"][0]["most_selected"] == "male" and sex["nonbinary"]["excludable"]
    assert sex["female"]["impact_ratio"]["value"] == pytest.approx(
        groups[("sex", "female")]["impact_ratio"]["value"])
    assert sex["female"]["impact_ratio"]["ci_high"] < 0.8  # the screener fails the rule of thumb


def test_the_hiring_page_shows_the_ll144_table(record):
    from reports import pages
    from reports._paths import ROOT

    narrative = pages.read_narrative(ROOT / "cases" / "text" / "hiring.md")
    md = pages.render_case(CASE, record, "0" * 64, narrative).markdown
    section = md.split("## What this case shows")[1].split("\n## ")[0]
    assert "#### NYC Local Law 144 bias-audit table" in section
    for title in ("Sex", "Race/ethnicity", "Intersection of sex and race/ethnicity"):
        assert f"##### {title}" in section
    assert "| Category | Number of applicants | Selection rate | Impact ratio | Note |" in section
    row = next(line for line in section.splitlines() if line.startswith("| nonbinary |"))
    assert "may be excluded" in row and "6 RCNY § 5-301" in section
