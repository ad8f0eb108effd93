"""The predictive-policing case: what its page claims, checked on its records."""

from __future__ import annotations

import numpy as np
import pytest

from cases import Spec, get_case, run_case, start
from cases.blocks import Figure, Table, Text
from cases.pages import blocks_for
from cases.predictive_policing import City, make_predictive_policing_data, simulate_patrols

CASE = get_case("predictive-policing")
MINORITY = "mostly minority"


def _record(n_samples: int = 2000, **knobs) -> dict:
    return run_case(CASE, n_samples=n_samples, knobs=knobs, sweeps=False, mitigations=False)


@pytest.fixture(scope="module")
def default() -> dict:
    return run_case(CASE, mitigations=False)


def _disparity(record: dict, metric: str) -> dict:
    return next(d for d in record["audit"]["disparities"]
                if (d["attribute"], d["metric"], d["group"]) == ("district_group", metric,
                                                                 MINORITY))


def test_residents_of_the_over_patrolled_districts_are_stopped_more_often(default):
    h = default["headline"]
    assert (h["attribute"], h["metric"], h["group"]) == ("district_group", "selection_rate",
                                                         MINORITY)
    # The finding of the old record (0.038 and 1.46) holds, within the new intervals.
    assert h["difference"]["ci_low"] > 0.015
    assert h["difference"]["ci_low"] < 0.038 < h["difference"]["ci_high"]
    assert h["ratio"]["ci_low"] > 1.15
    assert h["ratio"]["ci_low"] < 1.46 < h["ratio"]["ci_high"]
    # True offending is the same in both kinds of district; stops of people who did
    # not offend are not.
    base = _disparity(default, "base_rate")["difference"]
    assert base["ci_low"] < 0 < base["ci_high"]
    assert _disparity(default, "fpr")["difference"]["ci_low"] > 0.01


def test_a_stop_is_a_burden_and_the_impact_ratio_says_little(default):
    assert default["decision"]["favorable_prediction"] == 0
    group = next(g for g in default["audit"]["groups"]
                 if (g["attribute"], g["group"]) == ("district_group", MINORITY))
    # The ratio is on the share *not* stopped: near 1, no four-fifths flag, although
    # the stop rate is half as large again.
    assert group["impact_ratio"]["value"] > 0.9
    assert "four_fifths" not in group["flags"]
    text = " ".join(b.markdown for b in blocks_for("predictive_policing", default)
                    if isinstance(b, Text)).lower()
    assert "no test of fair patrolling" in text
    assert "pass" not in text and "above the four-fifths" not in text


def test_the_uncorrected_loop_keeps_the_tilt_and_the_correction_removes_it(default):
    t = default["tracked"]
    crime, share = t["crime_share_mostly_minority"], t["patrol_share_mostly_minority"]
    assert crime == pytest.approx(1 / 3)
    assert share["uncorrected"]["value"] == pytest.approx(0.43, abs=0.02)
    for records in ("reported_only", "corrected"):
        assert abs(share[records]["value"] - crime) < 0.02
        assert share[records]["ci_low"] < crime < share[records]["ci_high"]
    assert t["tv_distance"]["uncorrected"]["value"] > 0.1
    assert t["tv_distance"]["corrected"]["ci_high"] < 0.07
    final = default["analyses"]["loops"]["corrected"]["final_share"]
    for d in default["analyses"]["districts"]:
        est = final[d["district"]]
        assert est["ci_low"] < d["true_share"] < est["ci_high"]


def test_records_the_loop_cannot_bend_remove_the_stop_disparity(default):
    across = default["tracked"]["stop_rate_difference"]
    assert across["uncorrected"]["value"] > 0.02
    main = default["headline"]["difference"]["value"]
    for v in default["variants"]:
        assert v["headline"]["label"]["difference"]["value"] < 0.5 * main
        assert abs(across[v["knobs"]["records"]]["value"]) < 0.01


def test_the_outcome_test_sees_no_bias(default):
    across = default["analyses"]["loops"]["uncorrected"]["across_runs"]
    hit, stop = across["hit_rate"]["ratio"]["value"], across["stop_rate"]["ratio"]["value"]
    assert stop > 1.25
    assert abs(hit - 1) < 0.5 * (stop - 1)


def test_the_disparity_grows_with_true_inequality_and_the_loop_overshoots(default):
    points = {p["value"]: p for p in default["sweeps"]["rate_inequality"]}
    diffs = [points[v]["headline"]["difference"]["value"] for v in sorted(points)]
    assert diffs == sorted(diffs)
    assert points[0.0]["headline"]["difference"]["ci_low"] > 0
    at_half = points[0.5]["tracked"]
    over = at_half["patrol_share_mostly_minority"]["uncorrected"]["value"]
    assert over > at_half["crime_share_mostly_minority"] + 0.1


def test_with_equal_rates_and_an_even_history_the_loop_still_runs_away():
    tv = _record(history_bias=0.0)["tracked"]["tv_distance"]
    assert tv["uncorrected"]["value"] > 0.08
    assert tv["uncorrected"]["value"] > 3 * tv["corrected"]["value"]


def test_reports_only_inherit_the_reporting_gap():
    t = _record(reporting_gap=0.5)["tracked"]
    crime, share = t["crime_share_mostly_minority"], t["patrol_share_mostly_minority"]
    assert share["reported_only"]["ci_high"] < crime
    assert abs(share["corrected"]["value"] - crime) < 0.02


def test_hotspots_lock_in_and_the_correction_cannot_undo_a_fixed_rule():
    t = _record(allocation="hotspots")["tracked"]
    # Both mostly-minority districts hold their patrols in every run.
    assert t["patrol_share_mostly_minority"]["uncorrected"]["ci_low"] == pytest.approx(2 / 3)
    # Unpatrolled districts have no chance of being observed to weight by.
    assert t["tv_distance"]["corrected"]["value"] == pytest.approx(0.5)


def test_runs_and_ways_of_recording_share_their_random_numbers():
    city = City.of(make_predictive_policing_data(500, random_state=1))
    few = simulate_patrols(city, n_runs=5, n_rounds=30, random_state=1)
    more = simulate_patrols(city, n_runs=12, n_rounds=30, random_state=1)
    np.testing.assert_array_equal(few.share, more.share[:5])
    # Each resident's stop is one uniform draw against their chance: within a cell
    # (district, offended) the residents stopped under the lower chance are among
    # those stopped under the higher one.
    run = start(CASE, Spec(0, 3000, CASE.resolve_knobs({"n_runs": 20})))
    a = run.test
    b = run.variant_run("Ensign et al.'s correction").test
    for _, cell in a.groupby(["district", "offended"], observed=True).groups.items():
        sa, sb = a.loc[cell, "prediction"], b.loc[cell, "prediction"]
        assert (sa <= sb).all() or (sb <= sa).all()
    assert not a["prediction"].equals(b["prediction"])


def test_the_page_shows_the_simulation(default):
    blocks = blocks_for("predictive_policing", default)
    figures = {b.id: b for b in blocks if isinstance(b, Figure)}
    assert set(figures) == {"allocation-over-time", "final-share"}
    over_time = figures["allocation-over-time"]
    assert over_time.reference_line == pytest.approx(1 / 3)
    assert all(len(s.x) == len(default["analyses"]["simulation"]["rounds"])
               and s.low is not None for s in over_time.series)
    (table,) = [b for b in blocks if isinstance(b, Table)]
    tracked = default["tracked"]["patrol_share_mostly_minority"]
    assert [row[1] for row in table.rows] == list(tracked.values())
