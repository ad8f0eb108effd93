"""The mass-categorisation case: what its page claims, checked on its committed record."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests_support import covers_zero

from cases import Spec, get_case, rerun, start
from cases.blocks import Figure, Table, Text
from cases.mass_categorisation import COLUMNS, make_mass_categorisation_data
from cases.pages import blocks_for
from reports._paths import RECORDS

CASE = get_case("mass-categorisation")
A, B = "group A", "group B"


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads((RECORDS / "mass-categorisation.json").read_text(encoding="utf-8"))


def _decisions(record: dict) -> dict:
    return {d["parity"]: d for d in record["analyses"]["decisions"]}


def test_group_b_is_flagged_more_and_fails_the_four_fifths_rule(record):
    h = record["headline"]
    assert (h["attribute"], h["metric"], h["group"]) == ("group", "selection_rate", B)
    assert h["difference"]["ci_low"] > 0.2 and h["ratio"]["ci_low"] > 1.5
    rule = _decisions(record)["none"]["by_group"][B]
    assert rule["four_fifths"] and rule["impact_ratio"]["ci_high"] < 0.7


def test_almost_every_flag_lands_on_someone_who_did_nothing_unlawful(record):
    rule = _decisions(record)["none"]
    assert rule["flagged"]["ci_low"] > 400_000  # of every million residents
    assert rule["flagged_without_threat"]["value"] > 0.999 * rule["flagged"]["value"]
    assert record["label_vs_truth"]["performance_vs_truth"]["ppv"]["ci_high"] < 0.001
    # By the operators' own label the rule is mostly right, and equally for both groups.
    assert record["label_vs_truth"]["performance_vs_label"]["ppv"]["ci_low"] > 0.85
    assert covers_zero(record["label_vs_truth"]["vs_label"]["difference"])
    assert record["label_vs_truth"]["vs_truth"]["difference"]["ci_low"] > 0.2
    assert record["analyses"]["flagged_per_threat_if_all_caught"] > 1000


def test_flags_add_up_as_categories_grow_as_the_formula_says(record):
    points = record["sweeps"]["n_categories"]
    for g in (A, B):
        flagged = [p["tracked"]["flagged_per_million_by_group"][g]["value"] for p in points]
        assert flagged == sorted(flagged) and flagged[0] < 20_000 and flagged[-1] > 300_000
        for p, n in zip(points, flagged, strict=True):
            assert abs(n - p["tracked"]["formula"][g]) < 10_000  # per million residents


def test_without_a_group_gap_the_disparity_disappears(record):
    points = {p["value"]: p for p in record["sweeps"]["group_gap"]}
    assert covers_zero(points[1.0]["headline"]["difference"])
    diffs = [points[v]["headline"]["difference"]["value"] for v in sorted(points)]
    assert diffs == sorted(diffs)
    # ... and everyone is still flagged as much as before.
    assert points[1.0]["tracked"]["flagged_per_million"]["ci_low"] > 300_000


def test_threshold_optimizer_equalises_rates_and_the_harm_stays(record):
    to = _decisions(record)["ThresholdOptimizer"]
    rates = [to["by_group"][g]["flagged_per_million"]["value"] for g in (A, B)]
    assert abs(rates[0] - rates[1]) < 10_000
    assert to["by_group"][B]["impact_ratio"]["value"] > 0.95
    assert not any(to["by_group"][g]["four_fifths"] for g in (A, B))
    assert to["by_group"][B]["change_per_million"] < -150_000
    assert to["flagged_without_threat"]["ci_low"] > 300_000


def test_equal_rates_at_the_same_total_flag_more_of_group_a_at_random(record):
    quota, rule = _decisions(record)["same total"], _decisions(record)["none"]
    a, b = quota["by_group"][A], quota["by_group"][B]
    assert a["change_per_million"] > 50_000 and b["change_per_million"] < -50_000
    assert abs(quota["change_per_million"]) < 50  # a person or two, from rounding per group
    assert quota["flagged"]["value"] == pytest.approx(rule["flagged"]["value"], abs=50)
    # Every extra resident of group A is recorded under no category at all.
    assert a["unrecorded_flagged_per_million"]["value"] == pytest.approx(
        a["change_per_million"], abs=1)


def test_a_wider_gap_only_adds_behaviours():
    low = make_mass_categorisation_data(3000, random_state=2, group_gap=2.0)
    high = make_mass_categorisation_data(3000, random_state=2, group_gap=6.0)
    cols = list(COLUMNS)
    assert (high[cols].to_numpy() >= low[cols].to_numpy()).all()
    assert (high.loc[high["group"] == A, cols] == low.loc[low["group"] == A, cols]).all().all()
    assert (high["fits_a_person_type"] >= low["fits_a_person_type"]).all()


def test_fewer_categories_flag_fewer_people_on_the_same_world():
    run = start(CASE, Spec(0, 20_000, CASE.resolve_knobs()), cross_check=False)
    few = rerun(run, "n_categories", 6)
    assert few.data is run.data
    assert few.test["prediction"].mean() < 0.08 < run.test["prediction"].mean()
    # A resident flagged under the first six categories is flagged under all 36.
    assert (few.test["prediction"] <= run.test["prediction"]).all()


def test_the_page_says_what_the_record_shows(record):
    blocks = blocks_for("mass_categorisation", record)
    assert {b.id for b in blocks if isinstance(b, Figure)} == {"flags-by-categories"}
    tables = {b.title: b for b in blocks if isinstance(b, Table)}
    assert len(tables["The 36 person types of this synthetic world"].rows) == 36
    parity = tables["What equal flag rates change, and what they do not"]
    assert [c.header for c in parity.columns][1] == "The rule" and len(parity.columns) == 4
    everyone = next(r for r in parity.rows if r[0].startswith("All flagged"))
    assert everyone[1] == everyone[3]  # the same total
    text = " ".join(b.markdown for b in blocks if isinstance(b, Text))
    assert "refuse the task" in text and "decline" in text and "synthetic" in text
    assert np.isclose(record["analyses"]["decisions"][0]["flagged"]["value"],
                      record["tracked"]["flagged_per_million"]["value"])
