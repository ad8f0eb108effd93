"""The registry: what each mitigation is, and one call that runs any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import is_classifier

from . import _aif360, _fairlearn
from ._common import (
    Inputs,
    MitigationError,
    MitigationOutput,
    check_inputs,
    final_step,
    one_line,
    seeded,
)


@dataclass(frozen=True)
class Mitigation:
    """One bias mitigation method, described for a table.

    Attributes
    ----------
    name : str
        Short, unique, stable identifier, e.g. ``"fairlearn.ThresholdOptimizer(DP)"``.
    library : str
        ``"fairlearn"`` or ``"aif360"``.
    stage : str
        ``"pre"`` (changes the training data), ``"in"`` (changes the learning)
        or ``"post"`` (changes the decisions of a trained model).
    constraint : str
        The fairness criterion the method targets.
    needs_sensitive_at_prediction : bool
        Whether deciding on a new person needs their group label (legally and
        ethically decisive: disparate treatment).
    description : str
        One plain sentence.
    """

    name: str
    library: str
    stage: str
    constraint: str
    needs_sensitive_at_prediction: bool
    description: str


@dataclass(frozen=True)
class _Impl:
    run: Callable[[Inputs], MitigationOutput]
    needs_proba: bool = False
    needs_sample_weight: bool = False
    uses_estimator: bool = True


_ENTRIES: list[tuple[Mitigation, _Impl]] = [
    (Mitigation(
        "fairlearn.CorrelationRemover", "fairlearn", "pre",
        "none (removes linear correlation of features with the group)", True,
        "Replaces each feature by its residual after a linear regression on the group "
        "indicators, then fits the model; the test features are transformed the same way, "
        "which needs each person's group.",
    ), _Impl(_fairlearn.correlation_remover)),
    (Mitigation(
        "aif360.Reweighing", "aif360", "pre",
        "demographic parity (of the reweighted training labels)", False,
        "Weights training rows so that label and privileged-versus-others are independent, "
        "then fits the model with those sample weights.",
    ), _Impl(_aif360.reweighing, needs_sample_weight=True)),
    (Mitigation(
        "aif360.DisparateImpactRemover", "aif360", "pre",
        "demographic parity (via group-independent feature distributions)", True,
        "Moves each feature's distribution within every group to a common one (repair "
        "level 1.0, rank order kept), in training and again in the test data by group.",
    ), _Impl(_aif360.disparate_impact_remover)),
    (Mitigation(
        "fairlearn.ExponentiatedGradient(DP)", "fairlearn", "in",
        "demographic parity", False,
        "Refits the model on reweighted data many times and returns a randomized mixture "
        "of the fits whose selection rates differ by at most about 0.01 between groups in "
        "training.",
    ), _Impl(_fairlearn.exponentiated_gradient("DP"), needs_sample_weight=True)),
    (Mitigation(
        "fairlearn.ExponentiatedGradient(EO)", "fairlearn", "in",
        "equalized odds", False,
        "Refits the model on reweighted data many times and returns a randomized mixture "
        "of the fits whose true- and false-positive rates differ by at most about 0.01 between "
        "groups in training.",
    ), _Impl(_fairlearn.exponentiated_gradient("EO"), needs_sample_weight=True)),
    (Mitigation(
        "aif360.PrejudiceRemover", "aif360", "in",
        "demographic parity (penalizes the mutual information of decision and group)", True,
        "Trains aif360's own logistic regression, one coefficient vector per group, with a "
        "penalty on how much the decision reveals the group (eta 25); the given model is "
        "not used.",
    ), _Impl(_aif360.prejudice_remover, uses_estimator=False)),
    (Mitigation(
        "fairlearn.ThresholdOptimizer(DP)", "fairlearn", "post",
        "demographic parity", True,
        "Picks a (randomized) probability threshold per group, on a validation split of the "
        "training data, that equalizes selection rates at the best accuracy.",
    ), _Impl(_fairlearn.threshold_optimizer("demographic_parity"), needs_proba=True)),
    (Mitigation(
        "fairlearn.ThresholdOptimizer(EO)", "fairlearn", "post",
        "equalized odds", True,
        "Picks a (randomized) probability threshold per group, on a validation split of the "
        "training data, that equalizes true- and false-positive rates at the best accuracy.",
    ), _Impl(_fairlearn.threshold_optimizer("equalized_odds"), needs_proba=True)),
    (Mitigation(
        "fairlearn.ThresholdOptimizer(TPR)", "fairlearn", "post",
        "equal opportunity (true positive rate parity)", True,
        "Picks a (randomized) probability threshold per group, on a validation split of the "
        "training data, that equalizes true-positive rates at the best accuracy.",
    ), _Impl(_fairlearn.threshold_optimizer("true_positive_rate_parity"), needs_proba=True)),
    (Mitigation(
        "aif360.EqOddsPostprocessing", "aif360", "post",
        "equalized odds", True,
        "Flips a random share of the model's decisions in each group, with shares solved on a "
        "validation split, to equalize true- and false-positive rates.",
    ), _Impl(_aif360.eq_odds)),
    (Mitigation(
        "aif360.CalibratedEqOddsPostprocessing(weighted)", "aif360", "post",
        "calibrated equalized odds (equal weighted cost of false positives and negatives)",
        True,
        "Replaces a random share of one group's scores by that group's base rate so that a "
        "weighted sum of false-positive and false-negative costs matches between groups while "
        "scores stay calibrated.",
    ), _Impl(_aif360.calibrated_eq_odds("weighted"), needs_proba=True)),
    (Mitigation(
        "aif360.CalibratedEqOddsPostprocessing(fnr)", "aif360", "post",
        "calibrated equal opportunity (equal generalized false-negative rate)", True,
        "Replaces a random share of one group's scores by that group's base rate so that "
        "false-negative rates match between groups while scores stay calibrated.",
    ), _Impl(_aif360.calibrated_eq_odds("fnr"), needs_proba=True)),
    (Mitigation(
        "aif360.RejectOptionClassification(SPD)", "aif360", "post",
        "demographic parity (statistical parity difference within ±0.05)", True,
        "Near the decision threshold, gives the favorable decision to the non-privileged and "
        "the unfavorable one to the privileged, with threshold and band width searched on a "
        "validation split.",
    ), _Impl(_aif360.reject_option("Statistical parity difference"), needs_proba=True)),
]

#: Every registered mitigation by name, in a stable order (pre, in, post).
MITIGATIONS: dict[str, Mitigation] = {m.name: m for m, _ in _ENTRIES}
_IMPLS: dict[str, _Impl] = {m.name: impl for m, impl in _ENTRIES}


def applicable(estimator) -> list[str]:
    """Names of the mitigations that can be applied with this estimator.

    All of them need a binary classifier; some need ``predict_proba`` (the
    post-processors that use scores) or a final step whose ``fit`` takes
    ``sample_weight`` (reweighing methods).

    Parameters
    ----------
    estimator : scikit-learn classifier or Pipeline
        The (unfitted) model of a case.

    Returns
    -------
    list of str
        Names in registry order; empty for something that is not a classifier.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> names = applicable(make_pipeline(StandardScaler(), LogisticRegression()))
    >>> names == list(MITIGATIONS)
    True
    """
    from sklearn.utils.validation import has_fit_parameter

    if not (is_classifier(estimator) and hasattr(estimator, "fit")
            and hasattr(estimator, "predict")):
        return []
    has_proba = hasattr(estimator, "predict_proba")
    try:
        weights = has_fit_parameter(final_step(estimator), "sample_weight")
    except Exception:  # noqa: BLE001 - an exotic estimator: treat as "no"
        weights = False
    names = []
    for name, impl in _IMPLS.items():
        if impl.uses_estimator and not has_proba:
            continue  # every wrapper reads predict_proba for its score or its thresholds
        if impl.needs_sample_weight and not weights:
            continue
        names.append(name)
    return names


def mitigation_table() -> list[dict]:
    """One row per mitigation, for ``casebook mitigations`` and the pages.

    Returns
    -------
    list of dict
        Keys ``name``, ``library``, ``stage``, ``constraint``,
        ``needs_sensitive_at_prediction``, ``description``; registry order.

    Examples
    --------
    >>> rows = mitigation_table()
    >>> rows[0]["name"], rows[0]["stage"], rows[0]["needs_sensitive_at_prediction"]
    ('fairlearn.CorrelationRemover', 'pre', True)
    """
    return [
        {"name": m.name, "library": m.library, "stage": m.stage, "constraint": m.constraint,
         "needs_sensitive_at_prediction": m.needs_sensitive_at_prediction,
         "description": m.description}
        for m in MITIGATIONS.values()
    ]


def _checked_output(out: MitigationOutput, n: int, notes: list[str]) -> MitigationOutput:
    y = np.asarray(out.y_pred).ravel()
    if y.shape != (n,):
        raise MitigationError(f"returned {y.size} predictions for {n} test rows")
    if not np.isin(y, (0, 1)).all():
        raise MitigationError("returned predictions other than 0 and 1")
    score = None
    if out.score is not None:
        score = np.asarray(out.score, dtype=float).ravel()
        if score.shape != (n,) or not np.isfinite(score).all():
            raise MitigationError("returned scores of the wrong length or not finite")
        if (score < -1e-9).any() or (score > 1 + 1e-9).any():
            raise MitigationError("returned scores outside [0, 1]")
        score = np.clip(score, 0.0, 1.0)
    return MitigationOutput(y.astype(int), score, list(notes) + list(out.notes))


def run_mitigation(
    name: str,
    *,
    estimator,
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    sensitive_train: pd.Series,
    X_test: pd.DataFrame,
    sensitive_test: pd.Series,
    privileged: str,
    random_state: int,
    favorable: int = 1,
) -> MitigationOutput:
    """Fit one mitigation on the training data and decide on the test rows.

    The estimator is cloned, never fitted in place. Post-processors are fitted
    on a split of the training data (30 %, stratified by group and label),
    never on the test set. The result is the same for the same
    ``random_state``; the caller's global random state is left untouched.

    Parameters
    ----------
    name : str
        A key of :data:`MITIGATIONS`.
    estimator : scikit-learn classifier or Pipeline
        Unfitted, with ``predict_proba``; it takes ``X`` as a DataFrame.
    X_train : pandas.DataFrame
        Numeric features, no missing values.
    y_train : numpy.ndarray
        Labels, 0/1 ints.
    sensitive_train : pandas.Series
        Group labels of the training rows; two or more groups.
    X_test : pandas.DataFrame
        Features of the rows to decide on, same columns as ``X_train``.
    sensitive_test : pandas.Series
        Group labels of the test rows (used only by the methods whose
        ``needs_sensitive_at_prediction`` is true).
    privileged : str
        The reference group. aif360's methods compare it against all other
        groups pooled, and say so in the notes.
    random_state : int
        Seed of the split, the randomized decisions and the global RNGs that
        some aif360 methods use.
    favorable : {1, 0}
        Which decision is favourable to the person: 1 (the positive one, as
        hired) or 0 when the positive decision is a burden (flagged). aif360's
        methods work in terms of the favourable label (reject-option
        classification gives the favourable decision to the non-privileged
        near the threshold); fairlearn's constraints are symmetric.

    Returns
    -------
    MitigationOutput
        ``y_pred`` (0/1 ints, one per test row), ``score`` (in [0, 1] or
        ``None``) and ``notes``.

    Raises
    ------
    MitigationError
        With a one-line message, for an unknown name, unusable inputs, or any
        failure of the underlying library.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> group = pd.Series(rng.choice(["a", "b"], 400))
    >>> X = pd.DataFrame({"x": rng.normal(size=400) - (group == "b")})
    >>> y = (X["x"] + rng.normal(size=400) > 0).astype(int).to_numpy()
    >>> out = run_mitigation("fairlearn.ThresholdOptimizer(DP)", estimator=LogisticRegression(),
    ...                      X_train=X[:300], y_train=y[:300], sensitive_train=group[:300],
    ...                      X_test=X[300:], sensitive_test=group[300:], privileged="a",
    ...                      random_state=0)
    >>> out.y_pred.shape, out.score is None
    ((100,), True)
    """
    if name not in MITIGATIONS:
        raise MitigationError(f"unknown mitigation {name!r}; known: {', '.join(MITIGATIONS)}")
    try:
        impl = _IMPLS[name]
        inp = check_inputs(estimator, X_train, y_train, sensitive_train, X_test,
                           sensitive_test, privileged, random_state, impl.uses_estimator,
                           favorable)
        with seeded(inp.random_state):
            out = impl.run(inp)
        return _checked_output(out, len(X_test), inp.notes)
    except MitigationError as exc:
        msg = one_line(str(exc))
        raise MitigationError(msg if msg.startswith(name) else f"{name}: {msg}") from exc
    except Exception as exc:  # noqa: BLE001 - any library failure becomes one line
        raise MitigationError(
            f"{name}: {type(exc).__name__}: {one_line(str(exc)) or 'no message'}"
        ) from exc
