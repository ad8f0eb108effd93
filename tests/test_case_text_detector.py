"""The text detector case: what its page claims, checked on its committed record."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests_support import covers_zero

from cases import get_case
from cases import text_detector as td
from cases.blocks import Figure
from cases.pages import blocks_for
from reports._paths import RECORDS

CASE = get_case("text-detector")
NATIVE, NON_NATIVE = td.SPEAKERS


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads((RECORDS / "text-detector.json").read_text(encoding="utf-8"))


def _classroom(df):
    return df[df["setting"] == "classroom"].reset_index(drop=True)


def _points(record, knob):
    return {p["value"]: p for p in record["sweeps"][knob]}


def test_the_record_is_of_the_default_world(record):
    assert record["manifest"]["knobs"] == CASE.resolve_knobs()
    assert record["manifest"]["n_train"] == 2 * td.CORPUS_PAIRS


def test_non_native_speakers_are_falsely_accused_far_more_often(record):
    h = record["headline"]
    assert (h["attribute"], h["metric"], h["group"], h["reference"]) == (
        "speaker", "fpr", NON_NATIVE, NATIVE)
    assert h["group_value"]["ci_low"] > 0.2 and h["reference_value"]["ci_high"] < 0.03
    assert h["ratio"]["ci_low"] > 8
    groups = {g["group"]: g for g in record["audit"]["groups"]}
    # The favourable outcome is not being flagged: non-native speakers fail four-fifths.
    assert record["audit"]["favorable_prediction"] == 0
    assert "four_fifths" in groups[NON_NATIVE]["flags"]
    assert "four_fifths" not in groups[NATIVE]["flags"]
    # Most flags on non-native speakers are false accusations; most on native ones are right.
    assert groups[NON_NATIVE]["metrics"]["ppv"]["ci_high"] < 0.5
    assert groups[NATIVE]["metrics"]["ppv"]["ci_low"] > 0.5


def test_false_accusations_per_1000_essays_match_the_audit(record):
    by = record["analyses"]["by_group"]
    for g in record["audit"]["groups"]:
        per = by[g["group"]]
        assert per["human_essays"] == g["fp"] + g["tn"]
        assert per["false_positives"]["value"] == pytest.approx(1000 * g["fp"] / g["n"])
    fp = sum(g["fp"] for g in record["audit"]["groups"])
    page = record["analyses"]["thresholds"][0]
    assert page["threshold"] == 0.5
    assert page["false_accusations_per_1000"]["value"] == pytest.approx(
        1000 * fp / record["manifest"]["n_test"])
    assert by[NON_NATIVE]["false_positives"]["ci_low"] > 5 * by[NATIVE]["false_positives"][
        "ci_high"]


def test_the_gap_disappears_when_second_language_writing_is_not_more_predictable(record):
    points = _points(record, "non_native_gap")
    assert covers_zero(points[0.0]["headline"]["difference"])
    gaps = [p["headline"]["difference"]["value"] for p in record["sweeps"]["non_native_gap"]]
    assert gaps == sorted(gaps) and gaps[-1] > 0.3


def test_a_cost_that_weighs_false_accusations_picks_a_higher_threshold(record):
    default, accurate, costly = record["analyses"]["thresholds"]
    assert default["threshold"] < accurate["threshold"] < costly["threshold"]
    assert costly["cost_per_1000"] < accurate["cost_per_1000"] < default["cost_per_1000"]
    fa = [t["false_accusations_per_1000"] for t in (default, accurate, costly)]
    assert fa[0]["ci_low"] > fa[1]["ci_high"] > fa[1]["ci_low"] > fa[2]["ci_high"]
    assert costly["missed_per_1000"]["ci_low"] > default["missed_per_1000"]["ci_high"]
    # Overall accuracy barely tells the last two apart; the students' cost does.
    assert abs(accurate["accuracy"]["value"] - costly["accuracy"]["value"]) < 0.01
    # Non-native speakers stay flagged more often at the cost-based threshold.
    assert costly["fpr"][NON_NATIVE]["ci_low"] > costly["fpr"][NATIVE]["ci_high"]
    # The corpus, with few non-native writers, underestimates the classroom's cost.
    curve = record["analyses"]["cost_curve"]
    assert curve["classroom_best"] > costly["threshold"]
    i = curve["threshold"].index(costly["threshold"])
    assert curve["classroom"]["cost"][i] > curve["corpus"]["cost"][i]


def test_every_threshold_flags_non_native_speakers_more(record):
    points = record["sweeps"]["threshold"]
    fpr = [p["tracked"]["fpr_non_native"]["value"] for p in points]
    caught = [p["tracked"]["machine_caught"]["value"] for p in points]
    assert fpr == sorted(fpr, reverse=True) and caught == sorted(caught, reverse=True)
    assert all(p["tracked"]["fpr_non_native"]["value"] > p["tracked"]["fpr_native"]["value"]
               for p in points)


def test_enriched_machine_text_slips_past_while_non_native_writing_stays_flagged(record):
    points = record["sweeps"]["enriched_share"]
    caught = [p["tracked"]["machine_caught"]["value"] for p in points]
    assert caught == sorted(caught, reverse=True) and caught[0] > 0.9
    # The same human essays and the same detector at every point.
    assert len({p["tracked"]["fpr_non_native"]["value"] for p in points}) == 1
    full = _points(record, "enriched_share")[1.0]["tracked"]
    assert full["machine_caught"]["ci_high"] < full["fpr_non_native"]["ci_low"]


def test_enrichment_changes_only_the_machine_essays():
    a = td.make_text_detector_data(3_000, random_state=3)
    b = td.make_text_detector_data(3_000, random_state=3, enriched_share=1.0)
    assert a[a["setting"] == "vendor corpus"].equals(b[b["setting"] == "vendor corpus"])
    a, b = _classroom(a), _classroom(b)
    human = a["machine_written"] == 0
    assert a[human].equals(b[human]) and b.loc[~human, "enriched"].all()
    assert b.loc[~human, "perplexity"].mean() > 1.5 * a.loc[~human, "perplexity"].mean()


def test_machine_essays_at_a_low_share_stay_machine_essays_at_a_higher_one():
    low = _classroom(td.make_text_detector_data(20_000, random_state=4, machine_share=0.05))
    high = _classroom(td.make_text_detector_data(20_000, random_state=4, machine_share=0.3))
    assert (high["machine_written"] >= low["machine_written"]).all()
    assert abs(high["machine_written"].mean() - 0.3) < 0.01
    both = (low["machine_written"] == 0) & (high["machine_written"] == 0)
    np.testing.assert_array_equal(low.loc[both, "perplexity"], high.loc[both, "perplexity"])


def test_a_representative_corpus_narrows_the_gap_without_closing_it(record):
    points = _points(record, "corpus_non_native_share")
    gaps = [p["headline"]["difference"]["value"] for p in record["sweeps"][
        "corpus_non_native_share"]]
    assert gaps == sorted(gaps, reverse=True)
    matched = points[td.CLASSROOM_NON_NATIVE]["headline"]["difference"]
    assert matched["ci_low"] > 0.05


def test_perplexity_alone_accuses_non_native_speakers_even_more(record):
    variant = next(v for v in record["variants"] if v["name"] == "perplexity alone")
    assert variant["features"] == ["perplexity"]
    assert (variant["headline"]["label"]["difference"]["ci_low"]
            > record["headline"]["difference"]["ci_high"])


def test_the_page_shows_its_figures_from_the_record(record):
    blocks = blocks_for("text_detector", record)
    figures = {b.id: b for b in blocks if isinstance(b, Figure)}
    assert set(figures) == {"cost-by-threshold", "evasion", "ppv-machine-share"}
    evasion = {s.label: s for s in figures["evasion"].series}
    assert evasion["machine-written essays caught"].y[-1] < evasion[
        f"human essays flagged, {NON_NATIVE}"].y[-1]
    ppv = {s.label: s.y for s in figures["ppv-machine-share"].series}
    assert all(n < m for n, m in zip(ppv[NON_NATIVE], ppv[NATIVE], strict=True) if n and m)
