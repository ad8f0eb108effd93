"""The predictive-policing case: the issue's claims, checked on the record's numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cases import CaseError
from cases._runner import run_case
from cases.predictive_policing import (
    CASE,
    city_from_frame,
    make_predictive_policing_data,
    simulate_patrols,
)

# The loop is district-level, so residents only matter for the person-level
# audit; 10,000 keep its intervals tight enough for the claims below.
N = 10_000


def _record(n_samples: int = N, sweeps: bool = False, **knobs) -> dict:
    return run_case(CASE, seed=0, n_samples=n_samples, knobs=knobs, sweeps=sweeps,
                    mitigations=False)


@pytest.fixture(scope="module")
def default() -> dict:
    return _record(sweeps=True)


@pytest.fixture(scope="module")
def equal_start() -> dict:
    # Equal true rates and no tilt in the history: any drift is the loop's own.
    return _record(n_samples=2000, history_bias=0.0, rate_inequality=0.0)


def _final(record: dict, variant: str) -> dict:
    return record["analyses"]["final"][variant]


def test_data_is_documented_and_reproducible():
    a = make_predictive_policing_data(3000, random_state=3, n_runs=10)
    b = make_predictive_policing_data(3000, random_state=3, n_runs=10)
    assert a.equals(b)
    assert list(a.columns) == [c.name for c in CASE.columns]
    assert set(a["stopped"].unique()) <= {0, 1}
    assert not a.equals(make_predictive_policing_data(3000, random_state=4, n_runs=10))


def test_a_run_does_not_depend_on_how_many_runs_there_are():
    city = city_from_frame(make_predictive_policing_data(500, random_state=1, n_runs=10))
    few = simulate_patrols(city, n_runs=5, n_rounds=30, random_state=1)
    more = simulate_patrols(city, n_runs=12, n_rounds=30, random_state=1)
    np.testing.assert_array_equal(few.share, more.share[:, :5])


def test_record_is_byte_identical_for_the_same_seed(equal_start):
    again = _record(n_samples=2000, history_bias=0.0, rate_inequality=0.0)
    assert json.dumps(again, allow_nan=False) == json.dumps(equal_start)


def test_unknown_allocation_is_refused():
    with pytest.raises(CaseError, match="allocation"):
        CASE.resolve_knobs({"allocation": "max"})


def test_with_equal_rates_the_uncorrected_loop_runs_away_from_uniform(equal_start):
    uncorrected = _final(equal_start, "uncorrected")
    corrected = _final(equal_start, "corrected")
    # Every district's true share is 1/6; the uncorrected runs end far from it
    # (total variation: the share of patrols that would have to move) ...
    assert uncorrected["tv_distance"]["value"] > 0.08
    assert uncorrected["tv_distance"]["value"] > 3 * corrected["tv_distance"]["value"]
    # ... and more rounds do not bring them back: the distance after the last
    # round is most of what it was a tenth of the way in, while the corrected
    # model's shrinks.
    k = len(equal_start["analyses"]["simulation"]["rounds"]) // 10
    u_series = uncorrected["tv_distance_over_rounds"]["median"]
    c_series = corrected["tv_distance_over_rounds"]["median"]
    assert u_series[-1] > 0.7 * u_series[k]
    assert c_series[-1] < 0.6 * c_series[k]


def test_the_correction_keeps_the_allocation_near_the_true_shares(default):
    corrected = _final(default, "corrected")
    assert corrected["tv_distance"]["ci_high"] < 0.07
    for d in corrected["districts"]:
        assert abs(d["gap"]["value"]) < 0.02
        assert d["patrol_share"]["ci_low"] < d["true_share"] < d["patrol_share"]["ci_high"]
    groups = default["analyses"]["groups"]
    mostly_minority = groups["corrected"]["district_group"]["mostly minority"]
    assert abs(mostly_minority["final_gap"]["value"]) < 0.02
    # The uncorrected loop keeps the tilt of the old records.
    tilted = groups["uncorrected"]["district_group"]["mostly minority"]
    assert tilted["final_gap"]["value"] > 0.05
    assert _final(default, "uncorrected")["tv_distance"]["value"] > 0.1


def test_the_person_level_audit_shows_the_stop_rate_disparity(default):
    h = default["headline"]
    assert (h["attribute"], h["metric"], h["group"]) == (
        "district_group", "selection_rate", "mostly minority")
    assert h["difference"]["ci_low"] > 0.015
    assert h["ratio"]["ci_low"] > 1.15
    # True offending is the same in both kinds of district, and so is the
    # expected hit rate: the outcome test sees nothing, the stop rate does.
    disparity = {(d["attribute"], d["metric"], d["group"]): d
                 for d in default["audit"]["disparities"]}
    base = disparity[("district_group", "base_rate", "mostly minority")]["difference"]
    assert base["ci_low"] < 0 < base["ci_high"]
    across = default["analyses"]["person_level"]["uncorrected"]["across_runs"]
    hit, stop = across["hit_rate"]["ratio"]["value"], across["stop_rate"]["ratio"]["value"]
    assert stop > 1.25
    assert abs(hit - 1) < 0.5 * (stop - 1)  # it moves only as much as sampled offending does
    fpr = disparity[("district_group", "fpr", "mostly minority")]["difference"]
    assert fpr["ci_low"] > 0.01
    # Fed data the loop cannot bend, the stop rates are (nearly) equal again:
    # in this city, and in expectation over the runs of the loop.
    person = default["analyses"]["person_level"]
    across = {v: p["across_runs"]["stop_rate"]["difference"]["value"] for v, p in person.items()}
    assert across["uncorrected"] > 0.02
    for variant in ("reported_only", "corrected"):
        d = person[variant]["headline"]["difference"]["value"]
        assert d < 0.5 * h["difference"]["value"]
        assert abs(across[variant]) < 0.01


def test_the_sweep_covers_equal_rates_and_the_disparity_grows_with_inequality(default):
    points = default["sweeps"]["rate_inequality"]
    values = [p["value"] for p in points]
    assert 0.0 in values
    diffs = [p["headline"]["difference"]["value"] for p in points]
    assert diffs == sorted(diffs)
    at_zero = points[values.index(0.0)]
    assert at_zero["headline"]["difference"]["ci_low"] > 0
    # With unequal rates the uncorrected loop overshoots the true share.
    at_half = points[values.index(0.5)]["extras"]
    over = at_half["variants"]["uncorrected"]["patrol_share_mostly_minority"]["value"]
    assert over > at_half["crime_share_mostly_minority"] + 0.1


def test_reports_only_inherit_the_reporting_gap():
    record = _record(n_samples=2000, reporting_gap=0.5)
    groups = record["analyses"]["groups"]
    reported = groups["reported_only"]["district_group"]["mostly minority"]
    corrected = groups["corrected"]["district_group"]["mostly minority"]
    assert reported["final_patrol_share"]["ci_high"] < reported["crime_share"]
    assert abs(corrected["final_gap"]["value"]) < 0.02


def test_hotspots_lock_in_and_the_correction_cannot_undo_a_fixed_rule():
    record = _record(n_samples=2000, allocation="hotspots")
    share = record["analyses"]["groups"]["uncorrected"]["district_group"]["mostly minority"]
    # Both mostly-minority districts hold their patrols in every run.
    assert share["final_patrol_share"]["ci_low"] == pytest.approx(2 / 3)
    # Unpatrolled districts have no chance of being observed to weight by.
    assert _final(record, "corrected")["tv_distance"]["value"] == pytest.approx(0.5)
