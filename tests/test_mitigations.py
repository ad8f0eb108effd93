"""The mitigation registry: the uniform call, determinism, the favourable label, failures.

One synthetic world with a strong injected demographic-parity disparity
(group ``b`` is hired much less, and a proxy feature carries the group) is
mitigated by every registered method twice; the tests read those runs.
"""

from __future__ import annotations

import os
import random
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

import fairness
from fairness.mitigations import (
    MITIGATIONS,
    MitigationError,
    MitigationOutput,
    applicable,
    mitigation_table,
    run_mitigation,
)
from fairness.mitigations._world import make_disparity_data as make_world

N_TRAIN, N_TEST, SEED = 1500, 1000, 7
ATTR = "group"


def make_model():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


@pytest.fixture(scope="module")
def world():
    X, y, s = make_world(N_TRAIN + N_TEST, SEED)
    return {
        "X_train": X.iloc[:N_TRAIN], "y_train": y[:N_TRAIN], "sensitive_train": s.iloc[:N_TRAIN],
        "X_test": X.iloc[N_TRAIN:], "y_test": y[N_TRAIN:], "sensitive_test": s.iloc[N_TRAIN:],
    }


def _args(world: dict, **over) -> dict:
    args = {k: v for k, v in world.items() if k != "y_test"}
    args.update(estimator=make_model(), privileged="a", random_state=SEED)
    args.update(over)
    return args


@pytest.fixture(scope="module")
def hostile_path(tmp_path_factory) -> str:
    """A PATH whose first ``python``/``python3`` is broken (exits 3, no output)."""
    bin_dir = tmp_path_factory.mktemp("fake-bin")
    for name in ("python", "python3"):
        fake = bin_dir / name
        fake.write_text("#!/bin/sh\nexit 3\n")
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])


@pytest.fixture(scope="module")
def runs(world, hostile_path) -> dict[str, tuple[MitigationOutput, MitigationOutput]]:
    """Every mitigation, twice (the global RNGs in a different state each time),
    with a broken ``python`` first on PATH."""
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", hostile_path)
        for name in MITIGATIONS:
            np.random.seed(1)
            random.seed(1)
            first = run_mitigation(name, **_args(world))
            np.random.seed(2)
            random.seed(2)
            out[name] = (first, run_mitigation(name, **_args(world)))
    return out


def _dp_difference(world: dict, y_pred: np.ndarray) -> dict:
    frame = pd.DataFrame({"label": world["y_test"], "prediction": y_pred,
                          ATTR: world["sensitive_test"].to_numpy()})
    result = fairness.audit(frame, label="label", prediction="prediction", sensitive=ATTR,
                            bootstrap=500, random_state=SEED, cross_check=False)
    return result.summary["by_attribute"][ATTR]["demographic_parity_difference"]


# --------------------------------------------------------------------------- the registry

def test_table_and_applicable():
    rows = mitigation_table()
    assert [r["name"] for r in rows] == list(MITIGATIONS)
    assert set(rows[0]) == {"name", "library", "stage", "constraint",
                            "needs_sensitive_at_prediction", "description"}
    assert applicable(make_model()) == list(MITIGATIONS)
    assert applicable(LogisticRegression()) == list(MITIGATIONS)
    # No predict_proba: only the method that brings its own model is left.
    assert applicable(LinearSVC()) == ["aif360.PrejudiceRemover"]
    assert applicable(StandardScaler()) == []


# --------------------------------------------------------------------------- every mitigation

@pytest.mark.slow
def test_outputs_are_decisions_of_the_right_length(runs, world):
    for name, (out, _) in runs.items():
        assert isinstance(out, MitigationOutput), name
        assert out.y_pred.shape == (N_TEST,) and out.y_pred.dtype.kind == "i", name
        assert set(np.unique(out.y_pred)) <= {0, 1}, name
        if out.score is not None:
            assert out.score.shape == (N_TEST,), name
            assert ((out.score >= 0) & (out.score <= 1)).all(), name
        assert all(isinstance(n, str) and "\n" not in n for n in out.notes), name


@pytest.mark.slow
def test_deterministic(runs):
    for name, (first, second) in runs.items():
        np.testing.assert_array_equal(first.y_pred, second.y_pred, err_msg=name)
        if first.score is None:
            assert second.score is None, name
        else:
            np.testing.assert_array_equal(first.score, second.score, err_msg=name)
        assert first.notes == second.notes, name


@pytest.mark.slow
def test_demographic_parity_mitigations_shrink_the_gap(runs, world):
    baseline = make_model().fit(world["X_train"], world["y_train"]).predict(world["X_test"])
    base = _dp_difference(world, baseline)
    assert base["value"] > 0.3  # the injected disparity is strong
    targeted = [n for n, m in MITIGATIONS.items() if "demographic parity" in m.constraint]
    assert len(targeted) >= 5
    for name in targeted:
        mitigated = _dp_difference(world, runs[name][0].y_pred)
        assert mitigated["ci_high"] < base["value"], (name, mitigated, base)


@pytest.mark.slow
def test_aif360_says_it_binarizes(runs):
    for name, (out, _) in runs.items():
        binary = any("privileged = 'a' vs all others" in n for n in out.notes)
        expected = MITIGATIONS[name].library == "aif360" and "DisparateImpact" not in name
        assert binary == expected, (name, out.notes)


@pytest.mark.slow
def test_post_processing_uses_a_validation_split(runs):
    for name, (out, _) in runs.items():
        split = any("validation split of the training data" in n for n in out.notes)
        assert split == (MITIGATIONS[name].stage == "post"), name


@pytest.mark.slow
def test_prejudice_remover_ignores_python_on_path(runs, hostile_path):
    """The fixture ran it with a broken ``python`` first on PATH: aif360 itself
    would call that one, and its fit would return silently with no model."""
    env = {**os.environ, "PATH": hostile_path}
    assert subprocess.run(["python", "-c", "pass"], env=env).returncode == 3
    out = runs["aif360.PrejudiceRemover"][0]
    assert 0 < out.y_pred.mean() < 1
    assert any("sys.executable" in n for n in out.notes)


def test_prejudice_remover_fails_loudly(world, tmp_path, monkeypatch):
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named numpy' >&2\n"
                      "exit 1\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(sys, "executable", str(broken))
    with pytest.raises(MitigationError) as err:
        run_mitigation("aif360.PrejudiceRemover", **_args(world))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("aif360.PrejudiceRemover: ")
    assert "train_pr.py failed (exit 1)" in msg and "No module named numpy" in msg


def test_multiple_groups(world):
    X, y, s = make_world(900, SEED, groups=("a", "b", "c"), shares=(0.5, 0.35, 0.15))
    args = dict(estimator=make_model(), X_train=X.iloc[:600], y_train=y[:600],
                sensitive_train=s.iloc[:600], X_test=X.iloc[600:], sensitive_test=s.iloc[600:],
                privileged="a", random_state=SEED)
    for name in ("fairlearn.ThresholdOptimizer(DP)", "aif360.Reweighing",
                 "aif360.DisparateImpactRemover", "fairlearn.CorrelationRemover"):
        out = run_mitigation(name, **args)
        assert out.y_pred.shape == (300,), name
    out = run_mitigation("aif360.EqOddsPostprocessing", **args)
    assert "aif360 uses a binary attribute: privileged = 'a' vs all others ('b', 'c')" \
        in out.notes


# --------------------------------------------------------------------------- the favourable label

def _flag_rate(y_pred, s, group):
    return float(np.asarray(y_pred)[np.asarray(s) == group].mean())


def test_reject_option_gives_the_favourable_decision_to_the_others(world):
    """When 1 is a burden (flagged) the favourable decision is 0: reject-option
    classification must flag the non-privileged group *less*, not more."""
    # The world's label 1 is "hired"; read as a flag, group b is flagged far less, so
    # take the complement: 1 = flagged, and b is flagged more.
    burden = {**world, "y_train": 1 - world["y_train"]}
    base = make_model().fit(burden["X_train"], burden["y_train"]).predict(burden["X_test"])
    s_test = burden["sensitive_test"]
    name = "aif360.RejectOptionClassification(SPD)"
    right = run_mitigation(name, **_args(burden, favorable=0))
    wrong = run_mitigation(name, **_args(burden, favorable=1))
    assert _flag_rate(right.y_pred, s_test, "b") < _flag_rate(base, s_test, "b")
    assert _flag_rate(wrong.y_pred, s_test, "b") >= _flag_rate(base, s_test, "b")
    assert any("not the positive one" in n for n in right.notes)


def test_calibrated_odds_returns_the_probability_of_a_positive(world):
    burden = {**world, "y_train": 1 - world["y_train"]}
    name = "aif360.CalibratedEqOddsPostprocessing(weighted)"
    out = run_mitigation(name, **_args(burden, favorable=0))
    assert ((out.score >= 0.5) == (out.y_pred == 1)).all()


def test_prejudice_remover_subsamples_a_large_training_set(world, monkeypatch):
    from fairness.mitigations import _aif360

    monkeypatch.setattr(_aif360, "PREJUDICE_REMOVER_MAX_ROWS", 500)
    out = run_mitigation("aif360.PrejudiceRemover", **_args(world))
    assert out.y_pred.shape == (N_TEST,)
    assert any("trained on 500 of the 1,500 training rows" in n for n in out.notes)


def test_favorable_must_be_zero_or_one(world):
    with pytest.raises(MitigationError, match="favorable must be 1"):
        run_mitigation("aif360.Reweighing", **_args(world, favorable=2))


# --------------------------------------------------------------------------- failures

@pytest.mark.parametrize("change, expected", [
    ({"privileged": "zzz"}, "privileged group 'zzz' is not in sensitive_train"),
    ({"y_train": np.full(N_TRAIN, 2)}, "y_train must hold only 0 and 1"),
    ({"X_test": pd.DataFrame({"x1": [0.0]})}, "same columns"),
    ({"random_state": -1}, "random_state"),
])
def test_bad_input_raises_one_line(world, change, expected):
    with pytest.raises(MitigationError) as err:
        run_mitigation("aif360.Reweighing", **_args(world, **change))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("aif360.Reweighing: ") and expected in msg


def test_unknown_name():
    with pytest.raises(MitigationError, match="unknown mitigation 'nope'"):
        run_mitigation("nope", estimator=None, X_train=None, y_train=None,
                       sensitive_train=None, X_test=None, sensitive_test=None,
                       privileged="a", random_state=0)


def test_library_failure_becomes_one_line(world):
    X_bad = world["X_train"].copy()
    X_bad.iloc[0, 0] = np.inf  # scikit-learn refuses infinity, with a long message
    with pytest.raises(MitigationError) as err:
        run_mitigation("fairlearn.ExponentiatedGradient(DP)", **_args(world, X_train=X_bad))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("fairlearn.ExponentiatedGradient(DP): ValueError")
    assert len(msg) <= 400


def test_estimator_without_sample_weight(world):
    from sklearn.neighbors import KNeighborsClassifier

    with pytest.raises(MitigationError, match="does not accept sample_weight"):
        run_mitigation("aif360.Reweighing", **_args(world, estimator=KNeighborsClassifier()))


def test_caller_random_state_untouched(world):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    run_mitigation("aif360.EqOddsPostprocessing", **_args(world))  # it re-seeds numpy
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_estimator_is_not_fitted_in_place(world):
    est = make_model()
    run_mitigation("aif360.Reweighing", **_args(world, estimator=est))
    assert not hasattr(est[-1], "coef_")


def test_silent_in_a_fresh_interpreter(tmp_path):
    """A library prints nothing: not even aif360's import-time logging warnings."""
    code = (
        "import numpy as np, pandas as pd\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from fairness.mitigations import run_mitigation, _aif360\n"
        "_aif360._kamishima_dir()  # imports aif360.algorithms.inprocessing\n"
        "rng = np.random.default_rng(0)\n"
        "s = pd.Series(rng.choice(['a', 'b'], 300))\n"
        "X = pd.DataFrame({'x': rng.normal(size=300) - (s == 'b')})\n"
        "y = (X['x'] > 0).astype(int).to_numpy()\n"
        "for name in ('aif360.DisparateImpactRemover', 'aif360.EqOddsPostprocessing'):\n"
        "    run_mitigation(name, estimator=LogisticRegression(), X_train=X[:200],\n"
        "                   y_train=y[:200], sensitive_train=s[:200], X_test=X[200:],\n"
        "                   sensitive_test=s[200:], privileged='a', random_state=0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
