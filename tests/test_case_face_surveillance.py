"""The face-surveillance case: what its page claims, checked on its committed record."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests_support import covers

from cases import face_surveillance as fs
from cases import get_case
from cases.blocks import Table, Text
from cases.pages import blocks_for
from fairness import Estimate, format_prose
from reports._paths import RECORDS

CASE = get_case("face-surveillance")
DF, LM = "darker × female", "lighter × male"


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads((RECORDS / "face-surveillance.json").read_text(encoding="utf-8"))


def _scores(frame, group: str, **where) -> np.ndarray:
    rows = fs._group_codes(frame) == fs.GROUPS.index(group)
    for column, value in where.items():
        rows &= frame[column].to_numpy() == value
    return frame.loc[rows, "similarity"].to_numpy()


def test_the_knob_moves_only_the_scores_and_balanced_training_scores_everyone_alike():
    biased = fs.make_face_surveillance_data(200_000, random_state=3)
    balanced = fs.make_face_surveillance_data(200_000, random_state=3, training_imbalance=0.0)
    assert biased.drop(columns="similarity").equals(balanced.drop(columns="similarity"))
    for frame, lift in ((balanced, 0.0), (biased, 3 * fs.LOOKALIKE)):
        impostors = {g: _scores(frame, g, mated=0, same_group=1).mean() for g in (DF, LM)}
        assert impostors[DF] - impostors[LM] == pytest.approx(lift, abs=0.005)
    genuine = {g: _scores(balanced, g, mated=1).std() for g in (DF, LM)}
    assert genuine[DF] == pytest.approx(genuine[LM], rel=0.05)
    assert _scores(biased, DF, mated=1).std() > 1.15 * _scores(biased, LM, mated=1).std()


def test_darker_skinned_women_are_falsely_matched_most(record):
    h = record["headline"]
    assert (h["attribute"], h["metric"], h["group"], h["reference"]) == (
        "skin_tone", "fpr", "darker", "lighter")
    assert h["ratio"]["ci_low"] > 6
    ratios = record["analyses"]["fmr_ratio"]
    assert ratios[DF]["ratio"]["ci_low"] > 20  # within NIST's "10 to 100 times"
    order = sorted(ratios, key=lambda g: ratios[g]["ratio"]["value"])
    assert order == ["lighter × female", "darker × male", DF]
    assert record["analyses"]["fnmr_ratio"][DF]["ratio"]["ci_low"] > 2


def test_the_threshold_is_about_one_in_ten_thousand_for_lighter_skinned_men(record):
    a = record["analyses"]
    assert covers(a["majority_calibration_fmr_per_10k"], 1.0)
    assert covers(a["one_threshold"]["groups"][LM]["fmr_per_10k"], 1.0)


def test_balanced_training_removes_the_disparity(record):
    points = {p["value"]: p for p in record["sweeps"]["training_imbalance"]}
    assert covers(points[0.0]["headline"]["ratio"], 1.0)
    ratios = [points[k]["headline"]["ratio"]["value"] for k in sorted(points)]
    assert ratios == sorted(ratios) and ratios[-1] > 20
    scan = points[0.0]["tracked"]["scale"]["by_group"]
    assert scan[DF]["per_scan"]["ci_low"] < scan[LM]["per_scan"]["ci_high"]


def test_per_scan_chances_follow_from_the_false_match_rates(record):
    a, knobs = record["analyses"], record["manifest"]["knobs"]
    audit = {g["group"]: g for g in record["audit"]["groups"] if g["attribute"] == fs.JOINT}
    for name, g in a["one_threshold"]["groups"].items():
        fmr = audit[name]["metrics"]["fpr"]
        for end in ("value", "ci_low", "ci_high"):
            expected = 1 - (1 - fmr[end]) ** knobs["gallery_size"]
            assert g["per_scan"][end] == pytest.approx(expected, rel=1e-9, abs=1e-15)
        daily = knobs["scans_per_day"] * fs.SHARES[name] * (1 - knobs["watchlisted_share"])
        assert g["false_alerts"]["value"] == pytest.approx(g["per_scan"]["value"] * daily)
    curve = a["gallery"]["per_scan"][DF]
    assert [c["value"] for c in curve] == sorted(c["value"] for c in curve)
    assert curve[-1]["ci_low"] > 0.99 and curve[0]["value"] < 0.01


def test_nearly_every_alert_is_false_at_millions_of_scans(record):
    one = record["analyses"]["one_threshold"]
    assert one["false_share"]["ci_low"] > 0.999
    assert one["false_alerts"]["ci_low"] > 1_000 * one["true_alerts"]["ci_high"]
    day = one["groups"]
    assert day[DF]["false_alerts"]["ci_low"] > 10 * day[LM]["false_alerts"]["ci_high"]


def test_a_threshold_per_group_evens_the_rates_and_costs_missed_matches(record):
    a = record["analyses"]
    one, per = a["one_threshold"], a["per_group"]
    assert covers(a["per_group_fmr_gap"]["ratio"], 1.0)
    assert per["groups"][LM]["threshold"] == record["manifest"]["knobs"]["threshold"]
    assert all(per["groups"][g]["threshold"] > per["groups"][LM]["threshold"]
               for g in per["groups"] if g != LM)
    assert per["groups"][DF]["fnmr"]["ci_low"] > 5 * one["groups"][DF]["fnmr"]["ci_high"]
    assert per["missed_share"]["ci_low"] > one["missed_share"]["ci_high"]
    # Equal rates, and still almost every alert is false.
    assert per["false_share"]["ci_low"] > 0.99 and per["false_alerts"]["ci_low"] > 10_000
    variant = record["variants"][0]
    assert variant["knobs"] == {"thresholds": "per group"}
    assert covers(variant["headline"]["label"]["difference"], 0.0)


def test_a_higher_threshold_trades_false_alerts_for_missed_matches(record):
    points = record["sweeps"]["threshold"]
    alerts = [p["tracked"]["scale"]["false_alerts"]["value"] for p in points]
    assert alerts == sorted(alerts, reverse=True)
    for g in fs.GROUPS:
        missed = [p["tracked"]["scale"]["by_group"][g]["fnmr"]["value"] for p in points]
        assert missed[-1] > 10 * missed[1]


def test_the_four_fifths_rule_passes_every_group_because_an_alert_is_rare(record):
    assert record["audit"]["favorable_prediction"] == 0
    assert not record["audit"]["flags"]
    assert record["headline"]["ratio"]["value"] > 1.25


def test_the_page_says_what_the_record_says(record):
    blocks = blocks_for("face_surveillance", record)
    lead = blocks[0].markdown
    a = record["analyses"]
    assert isinstance(blocks[0], Text) and "synthetic" in lead
    assert format_prose(a["fmr_ratio"][DF]["ratio"]) in lead
    assert format_prose(a["one_threshold"]["false_share"], "percent") in lead
    tables = [b for b in blocks if isinstance(b, Table)]
    assert [r[0] for r in tables[0].rows] == [LM, "lighter × female", "darker × male", DF]
    assert Estimate.from_dict(tables[0].rows[3][4]).value == a["fmr_ratio"][DF]["ratio"]["value"]
