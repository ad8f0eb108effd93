"""aif360's mitigations behind the registry's uniform call.

aif360 works on its own ``BinaryLabelDataset`` with one protected column.
Except for the DisparateImpactRemover (whose repairer takes any number of
groups), that column is binary: the privileged group against all others.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .._quiet import quiet
from ._common import (
    PROTECTED,
    Inputs,
    MitigationError,
    MitigationOutput,
    binary_label_dataset,
    captured_warnings,
    fresh_estimator,
    one_line,
    positive_proba,
    sample_weight_key,
    validation_split,
)

_PRIV = [{PROTECTED: 1.0}]
_UNPRIV = [{PROTECTED: 0.0}]

#: RejectOptionClassification's search grid: aif360's default (100 x 50) took
#: about 44 s on 20,000 rows; 50 x 25 is a quarter of the work.
ROC_NUM_CLASS_THRESH = 50
ROC_NUM_MARGIN = 25
#: PrejudiceRemover's fairness penalty (aif360's default is 1.0; its demo uses 25).
PREJUDICE_REMOVER_ETA = 25.0
#: PrejudiceRemover's training rows at most: Kamishima's code evaluates its loss in a
#: Python loop over rows (about 10 s per 3,000 rows here), so larger training sets are
#: subsampled, stratified by group and label, and the note says so.
PREJUDICE_REMOVER_MAX_ROWS = 2_000
#: Seconds before a PrejudiceRemover subprocess is declared hung.
PREJUDICE_REMOVER_TIMEOUT = 600


def _favorable(ds) -> np.ndarray:
    """aif360's decisions as 0/1 favourable indicators."""
    return (np.asarray(ds.labels).ravel() == ds.favorable_label).astype(int)


# --------------------------------------------------------------------------- pre-processing

def reweighing(inp: Inputs) -> MitigationOutput:
    """Weights that make label and group independent, passed to the estimator's fit."""
    with quiet():
        from aif360.algorithms.preprocessing import Reweighing

    est = fresh_estimator(inp)
    key = sample_weight_key(est)
    with captured_warnings(inp.notes, "aif360"):
        ds = binary_label_dataset(inp.X_train, inp.privileged_train(),
                                  inp.favorable_indicator(inp.y_train))
        weights = Reweighing(unprivileged_groups=_UNPRIV, privileged_groups=_PRIV) \
            .fit_transform(ds).instance_weights
        est.fit(inp.X_train, inp.y_train, **{key: np.asarray(weights, dtype=float)})
        y_pred = est.predict(inp.X_test)
        score = positive_proba(est, inp.X_test)
    inp.notes.append(inp.binary_note())
    inp.notes.append(f"instance weights passed to the estimator's fit as {key} "
                     f"(range {float(np.min(weights)):.3f} to {float(np.max(weights)):.3f})")
    return MitigationOutput(y_pred, score)


def disparate_impact_remover(inp: Inputs) -> MitigationOutput:
    """Repair each feature's distribution within groups, train and test separately."""
    with quiet():
        from aif360.algorithms.preprocessing import DisparateImpactRemover

    groups = sorted(set(inp.s_train.tolist()) | set(inp.s_test.tolist()))
    code = {g: i for i, g in enumerate(groups)}

    def repaired(X: pd.DataFrame, s: np.ndarray) -> pd.DataFrame:
        codes = np.array([code[g] for g in s], dtype=float)
        ds = binary_label_dataset(X, codes, n_codes=len(groups))
        out = DisparateImpactRemover(repair_level=1.0, sensitive_attribute=PROTECTED) \
            .fit_transform(ds)
        feats = np.asarray(out.features)[:, : X.shape[1]]
        return pd.DataFrame(feats, columns=X.columns, index=X.index)

    with captured_warnings(inp.notes, "aif360"):
        X_train = repaired(inp.X_train, inp.s_train)
        X_test = repaired(inp.X_test, inp.s_test)
        est = fresh_estimator(inp).fit(X_train, inp.y_train)
        y_pred = est.predict(X_test)
        score = positive_proba(est, X_test)
    inp.notes.append(
        f"repair level 1.0 across all {len(groups)} groups (the repairer is not binary); "
        "aif360 has no separate transform, so the test features are repaired by group with "
        "the test set's own feature distributions (no labels used)"
    )
    return MitigationOutput(y_pred, score)


# --------------------------------------------------------------------------- in-processing

def _kamishima_dir() -> Path:
    with quiet():
        import aif360.algorithms.inprocessing.prejudice_remover as pr_module
    return Path(pr_module.__file__).resolve().parent / "kamfadm-2012ecmlpkdd"


def _run_script(script: Path, args: list[str]) -> None:
    """Run one of Kamishima's scripts with this interpreter; raise on any failure.

    aif360 calls ``subprocess.call(['python', ...])``: whatever ``python`` is
    first on PATH (perhaps one without numpy, or another aif360), and ignores
    the exit status. Here the interpreter is ``sys.executable``, its directory
    is put first on PATH and this process's ``sys.path`` on PYTHONPATH, and
    a non-zero exit raises.
    """
    python = sys.executable
    if not python or not os.path.exists(python):
        raise MitigationError("PrejudiceRemover needs sys.executable to run its scripts")
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONHASHSEED"] = "0"
    try:
        proc = subprocess.run([python, str(script), *args], env=env, capture_output=True,
                              text=True, timeout=PREJUDICE_REMOVER_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MitigationError(f"PrejudiceRemover's {script.name} took over "
                              f"{PREJUDICE_REMOVER_TIMEOUT} s") from exc
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        raise MitigationError(f"PrejudiceRemover's {script.name} failed (exit "
                              f"{proc.returncode}): {one_line(lines[-1] if lines else '', 200)}")


def _prejudice_remover_class():
    with quiet():
        from aif360.algorithms.inprocessing import PrejudiceRemover

    class CheckedPrejudiceRemover(PrejudiceRemover):
        """aif360's PrejudiceRemover, run with ``sys.executable`` and checked.

        Same file format and scripts as aif360's; the subprocess is the current
        interpreter, its failure raises, the seed is passed, the model file
        is removed by :meth:`close`.
        """

        def __init__(self, eta: float = 1.0, seed: int = 0):
            super().__init__(eta=eta, sensitive_attr=PROTECTED, class_attr="label")
            self.seed = seed
            self.model_name: str | None = None

        def fit(self, dataset):
            data = np.column_stack([dataset.features, dataset.labels])
            df = pd.DataFrame(data=data, columns=dataset.feature_names + dataset.label_names)
            self.sensitive_ind = dataset.protected_attribute_names.index(self.sensitive_attr)
            sens = pd.Series(dataset.protected_attributes[:, self.sensitive_ind],
                             name=self.sensitive_attr)
            train_name = self._create_file_in_kamishima_format(
                df, self.class_attr, dataset.favorable_label,
                dataset.protected_attribute_names, sens,
                dataset.privileged_protected_attributes[self.sensitive_ind])
            fd, self.model_name = tempfile.mkstemp(suffix=".pr-model")
            os.close(fd)
            try:
                _run_script(_kamishima_dir() / "train_pr.py",
                            ["-e", repr(float(self.eta)), "-i", train_name, "-o",
                             self.model_name, "--rseed", str(self.seed), "--quiet"])
            finally:
                os.unlink(train_name)
            if os.path.getsize(self.model_name) == 0:
                raise MitigationError("PrejudiceRemover's train_pr.py wrote no model")
            return self

        def predict(self, dataset):
            if not self.model_name:
                raise MitigationError("PrejudiceRemover predict called before fit")
            data = np.column_stack([dataset.features, dataset.labels])
            df = pd.DataFrame(data=data, columns=dataset.feature_names + dataset.label_names)
            sens = pd.Series(dataset.protected_attributes[:, self.sensitive_ind],
                             name=self.sensitive_attr)
            test_name = self._create_file_in_kamishima_format(
                df, self.class_attr, dataset.favorable_label,
                dataset.protected_attribute_names, sens,
                dataset.privileged_protected_attributes[self.sensitive_ind])
            fd, output_name = tempfile.mkstemp(suffix=".pr-out")
            os.close(fd)
            try:
                _run_script(_kamishima_dir() / "predict_lr.py",
                            ["-i", test_name, "-m", self.model_name, "-o", output_name,
                             "--quiet"])
                m = np.loadtxt(output_name, ndmin=2) if os.path.getsize(output_name) else None
            finally:
                os.unlink(test_name)
                os.unlink(output_name)
            if m is None or m.shape != (len(df), 5):
                got = "nothing" if m is None else f"shape {m.shape}"
                raise MitigationError(f"PrejudiceRemover's predict_lr.py wrote {got}, "
                                      f"expected {len(df)} rows of 5 columns")
            pred = dataset.copy()
            pred.labels = m[:, [1]]
            pred.scores = m[:, [4]]
            return pred

        def close(self) -> None:
            if self.model_name and os.path.exists(self.model_name):
                os.unlink(self.model_name)
            self.model_name = None

    return CheckedPrejudiceRemover


def _stratified_rows(inp: Inputs, limit: int) -> np.ndarray:
    """Positions of at most ``limit`` training rows, stratified by group and label."""
    n = len(inp.y_train)
    if n <= limit:
        return np.arange(n)
    strata = pd.Series(inp.s_train).str.cat(pd.Series(inp.y_train).astype(str), sep="|")
    try:
        rows, _ = train_test_split(np.arange(n), train_size=limit, stratify=strata,
                                   random_state=inp.random_state)
    except ValueError:  # a (group, label) cell with a single row
        rows, _ = train_test_split(np.arange(n), train_size=limit, stratify=inp.y_train,
                                   random_state=inp.random_state)
    inp.notes.append(f"trained on {limit:,} of the {n:,} training rows (stratified by group "
                     "and label): Kamishima's reference code evaluates its loss in a Python "
                     "loop over rows")
    return np.sort(rows)


def prejudice_remover(inp: Inputs) -> MitigationOutput:
    """Kamishima's logistic regression with a prejudice-index penalty (its own model)."""
    mean = np.array(inp.X_train.mean(), dtype=float)
    sd = np.array(inp.X_train.std(ddof=0), dtype=float)
    sd = np.where(sd > 0, sd, 1.0)

    def scaled(X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame((X.to_numpy(dtype=float) - mean) / sd, columns=X.columns)

    rows = _stratified_rows(inp, PREJUDICE_REMOVER_MAX_ROWS)
    model = _prejudice_remover_class()(eta=PREJUDICE_REMOVER_ETA, seed=inp.random_state)
    try:
        with captured_warnings(inp.notes, "aif360"):
            model.fit(binary_label_dataset(scaled(inp.X_train.iloc[rows]),
                                           inp.privileged_train()[rows],
                                           inp.favorable_indicator(inp.y_train[rows])))
            out = model.predict(binary_label_dataset(scaled(inp.X_test), inp.privileged_test()))
    finally:
        model.close()
    score = inp.favorable_proba(np.asarray(out.scores, dtype=float).ravel())
    inp.notes.append(inp.binary_note())
    inp.notes.append(
        f"aif360's own logistic regression (Kamishima's code, eta={PREJUDICE_REMOVER_ETA:g}, "
        "one coefficient vector per group) on standardized features; the given estimator "
        "is not used"
    )
    inp.notes.append("run in a subprocess with this interpreter (sys.executable), "
                     "not the `python` on PATH that aif360 would call")
    return MitigationOutput(inp.from_favorable(_favorable(out)), score)


# --------------------------------------------------------------------------- post-processing

def _post_setup(inp: Inputs):
    """Fit the model on the fit part; aif360 datasets of (true, predicted) on the
    validation part and of predictions on the test set."""
    fit_idx, val_idx = validation_split(inp)
    est = fresh_estimator(inp)
    X_fit, X_val = inp.X_train.iloc[fit_idx], inp.X_train.iloc[val_idx]
    est.fit(X_fit, inp.y_train[fit_idx])
    p_val, p_test = inp.privileged_train()[val_idx], inp.privileged_test()
    if len(set(p_val.tolist())) < 2:
        raise MitigationError("the validation split lacks the privileged group or the others")
    fav = inp.favorable_indicator
    val_true = binary_label_dataset(X_val, p_val, fav(inp.y_train[val_idx]))
    val_pred = binary_label_dataset(X_val, p_val, fav(est.predict(X_val)),
                                    inp.favorable_proba(positive_proba(est, X_val)))
    test_pred = binary_label_dataset(inp.X_test, p_test, fav(est.predict(inp.X_test)),
                                     inp.favorable_proba(positive_proba(est, inp.X_test)))
    inp.notes.append(inp.binary_note())
    return val_true, val_pred, test_pred


def eq_odds(inp: Inputs) -> MitigationOutput:
    """Hardt et al.'s equalized-odds post-processing: flip predicted labels at random."""
    with quiet():
        from aif360.algorithms.postprocessing import EqOddsPostprocessing

    with captured_warnings(inp.notes, "aif360"):
        val_true, val_pred, test_pred = _post_setup(inp)
        post = EqOddsPostprocessing(unprivileged_groups=_UNPRIV, privileged_groups=_PRIV,
                                    seed=inp.random_state).fit(val_true, val_pred)
        if not getattr(post.model_params, "success", False):
            raise MitigationError(f"EqOddsPostprocessing's linear program failed: "
                                  f"{one_line(getattr(post.model_params, 'message', '?'), 150)}")
        out = post.predict(test_pred)
    inp.notes.append(f"labels flipped at random per group (seed={inp.random_state}); "
                     "no score that agrees with the decisions")
    return MitigationOutput(inp.from_favorable(_favorable(out)), None)


def calibrated_eq_odds(cost_constraint: str):
    """A runner for CalibratedEqOddsPostprocessing with the given cost constraint."""

    def run(inp: Inputs) -> MitigationOutput:
        with quiet():
            from aif360.algorithms.postprocessing import CalibratedEqOddsPostprocessing

        with captured_warnings(inp.notes, "aif360"):
            val_true, val_pred, test_pred = _post_setup(inp)
            post = CalibratedEqOddsPostprocessing(
                unprivileged_groups=_UNPRIV, privileged_groups=_PRIV,
                cost_constraint=cost_constraint, seed=inp.random_state,
            ).fit(val_true, val_pred)
            out = post.predict(test_pred, threshold=0.5)
        score = inp.favorable_proba(np.asarray(out.scores, dtype=float).ravel())
        inp.notes.append(
            f"cost constraint {cost_constraint!r}; a random share of one group's scores is "
            f"replaced by its base rate (privileged {post.priv_mix_rate:.3f}, others "
            f"{post.unpriv_mix_rate:.3f}; seed={inp.random_state}); decision: probability of "
            "the favourable decision >= 0.5"
        )
        for who, rate, base in (("privileged group", post.priv_mix_rate, post.base_rate_priv),
                                ("others", post.unpriv_mix_rate, post.base_rate_unpriv)):
            if rate > 0:
                side = "a favourable" if base >= 0.5 else "an unfavourable"
                inp.notes.append(
                    f"each replaced score of the {who} equals its favourable base rate "
                    f"{base:.3f}, so it becomes {side} decision"
                )
        return MitigationOutput(inp.from_favorable(_favorable(out)), score)

    return run


def reject_option(metric_name: str):
    """A runner for RejectOptionClassification optimizing ``metric_name``."""

    def run(inp: Inputs) -> MitigationOutput:
        with quiet():
            from aif360.algorithms.postprocessing import RejectOptionClassification

        notes: list[str] = []
        with captured_warnings(notes, "aif360"):
            val_true, val_pred, test_pred = _post_setup(inp)
            post = RejectOptionClassification(
                unprivileged_groups=_UNPRIV, privileged_groups=_PRIV,
                low_class_thresh=0.01, high_class_thresh=0.99,
                num_class_thresh=ROC_NUM_CLASS_THRESH, num_ROC_margin=ROC_NUM_MARGIN,
                metric_name=metric_name, metric_ub=0.05, metric_lb=-0.05,
            ).fit(val_true, val_pred)
            out = post.predict(test_pred)
        unmet = any("Unable to satisy" in n for n in notes)
        inp.notes.extend(n for n in notes if "Unable to satisy" not in n)
        if unmet:
            inp.notes.append(
                f"no point of the grid met |{metric_name.lower()}| <= 0.05 on the validation "
                "split; aif360 then takes the point with the lowest (most negative) value"
            )
        inp.notes.append(
            f"grid {ROC_NUM_CLASS_THRESH} thresholds x {ROC_NUM_MARGIN} margins (aif360's default "
            f"is 100 x 50); chosen: threshold {post.classification_threshold:.3f}, margin "
            f"{post.ROC_margin:.3f}; inside the margin the privileged group gets the "
            "unfavourable decision and the others the favourable one ("
            + ("the positive prediction" if inp.favorable == 1 else "not the positive one")
            + "; it assumes the others are the disadvantaged side)"
        )
        return MitigationOutput(inp.from_favorable(_favorable(out)), None)

    return run
