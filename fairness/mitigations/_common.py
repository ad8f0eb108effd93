"""Shared machinery of the mitigation wrappers: checked inputs, the validation
split, aif360 datasets in favourable terms, seeded execution, the one-line error."""

from __future__ import annotations

import contextlib
import random
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import has_fit_parameter

from .._quiet import quiet

#: Share of the training rows held out to fit a post-processor.
VALIDATION_SHARE = 0.3
_MAX_MESSAGE = 300


class MitigationError(RuntimeError):
    """A mitigation could not be applied to the data as given.

    The message is one line naming the mitigation and the cause; the case
    runner records it and goes on with the other mitigations.
    """


@dataclass
class MitigationOutput:
    """What a mitigation decided on the test rows.

    Attributes
    ----------
    y_pred : numpy.ndarray
        The decisions, 0/1 ints, one per test row.
    score : numpy.ndarray or None
        A probability of the positive class in [0, 1] that agrees with
        ``y_pred`` (thresholded at 0.5 for the model-based ones), or ``None``
        where the method's decisions are not a threshold of a score
        (randomized classifiers, label flipping).
    notes : list of str
        Plain-language caveats of this run: binary privileged mapping,
        validation split, randomization, warnings raised by the library.
    """

    y_pred: np.ndarray
    score: np.ndarray | None
    notes: list[str] = field(default_factory=list)


def one_line(text: str, limit: int = _MAX_MESSAGE) -> str:
    """Collapse whitespace (newlines included) and cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Inputs:
    """The checked arguments of one ``run_mitigation`` call."""

    estimator: Any
    X_train: pd.DataFrame
    y_train: np.ndarray  # int 0/1
    s_train: np.ndarray  # object array of str
    X_test: pd.DataFrame
    s_test: np.ndarray
    privileged: str
    random_state: int
    favorable: int = 1  # the favourable decision: 1 (the positive one) or 0
    notes: list[str] = field(default_factory=list)

    def favorable_indicator(self, y: np.ndarray) -> np.ndarray:
        """0/1 decisions or labels recoded so that 1 is favourable (aif360's view)."""
        y = np.asarray(y).astype(int)
        return y if self.favorable == 1 else 1 - y

    def from_favorable(self, fav: np.ndarray) -> np.ndarray:
        """aif360's favourable indicator back to decisions (1 = the positive prediction)."""
        return self.favorable_indicator(fav)

    def favorable_proba(self, p_positive: np.ndarray) -> np.ndarray:
        """P(favourable) from P(positive), for aif360's ``scores``; and back again."""
        p = np.asarray(p_positive, dtype=float)
        return p if self.favorable == 1 else 1.0 - p

    @property
    def others(self) -> list[str]:
        """Groups of the training data other than the privileged one, sorted."""
        return sorted(set(self.s_train.tolist()) - {self.privileged})

    def binary_note(self) -> str:
        others = self.others
        shown = ", ".join(repr(g) for g in others[:8]) + (", …" if len(others) > 8 else "")
        return (f"aif360 uses a binary attribute: privileged = {self.privileged!r} "
                f"vs all others ({shown})")

    def privileged_train(self) -> np.ndarray:
        return (self.s_train == self.privileged).astype(int)

    def privileged_test(self) -> np.ndarray:
        return (self.s_test == self.privileged).astype(int)


def _groups(values: Any, name: str, n: int) -> np.ndarray:
    if not isinstance(values, pd.Series | np.ndarray | list):
        raise MitigationError(f"{name} must be a pandas Series of group labels")
    arr = pd.Series(values).to_numpy(dtype=object)
    if len(arr) != n:
        raise MitigationError(f"{name} has {len(arr)} rows, the features have {n}")
    missing = pd.isna(arr)
    if missing.any():
        raise MitigationError(f"{name} has {int(missing.sum())} missing group labels")
    return np.array([str(v) for v in arr], dtype=object)


def check_inputs(estimator, X_train, y_train, sensitive_train, X_test, sensitive_test,
                 privileged, random_state, uses_estimator: bool = True,
                 favorable: int = 1) -> Inputs:
    """Validate the arguments of ``run_mitigation``; raise ``MitigationError``."""
    for name, X in (("X_train", X_train), ("X_test", X_test)):
        if not isinstance(X, pd.DataFrame):
            raise MitigationError(f"{name} must be a pandas DataFrame, got {type(X).__name__}")
        if X.shape[0] == 0:
            raise MitigationError(f"{name} has no rows")
        bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if bad:
            raise MitigationError(f"{name} has non-numeric columns: {', '.join(map(str, bad))}")
        if X.isna().to_numpy().any():
            raise MitigationError(f"{name} has missing values; impute them before mitigating")
    if list(X_train.columns) != list(X_test.columns):
        raise MitigationError("X_train and X_test must have the same columns in the same order")
    if uses_estimator and not all(hasattr(estimator, m)
                                  for m in ("fit", "predict", "predict_proba")):
        raise MitigationError("estimator must be a classifier with fit, predict and predict_proba")

    y = np.asarray(y_train)
    if y.ndim != 1 or len(y) != len(X_train):
        raise MitigationError(
            f"y_train must be 1-D with {len(X_train)} values, got shape {y.shape}")
    values = set(pd.unique(y).tolist())
    if not values <= {0, 1}:
        raise MitigationError(f"y_train must hold only 0 and 1, got {sorted(map(str, values))[:5]}")
    if values != {0, 1}:
        raise MitigationError("y_train holds only one class; nothing to learn")
    y = y.astype(int)

    s_train = _groups(sensitive_train, "sensitive_train", len(X_train))
    s_test = _groups(sensitive_test, "sensitive_test", len(X_test))
    privileged = str(privileged)
    present = set(s_train.tolist())
    if privileged not in present:
        shown = ", ".join(sorted(present)[:20])
        raise MitigationError(
            f"privileged group {privileged!r} is not in sensitive_train ({shown})")
    if len(present) < 2:
        raise MitigationError("sensitive_train has one group only; nothing to mitigate")
    if (not isinstance(random_state, int | np.integer) or isinstance(random_state, bool)
            or not 0 <= random_state < 2**32):
        raise MitigationError(f"random_state must be a whole number in [0, 2**32), "
                              f"got {random_state!r}")
    if favorable not in (0, 1) or isinstance(favorable, float):
        raise MitigationError(f"favorable must be 1 (the positive decision is favourable) or 0 "
                              f"(it is a burden), got {favorable!r}")
    return Inputs(estimator, X_train, y, s_train, X_test, s_test, privileged, int(random_state),
                  int(favorable))


def fresh_estimator(inp: Inputs):
    """An unfitted clone of the estimator.

    Its ``random_state`` is left as given: one that is ``None`` draws from
    numpy's global RNG, which :func:`seeded` seeds for the call.
    """
    return clone(inp.estimator)


def final_step(est):
    """The last estimator of a (possibly nested) Pipeline."""
    while isinstance(est, Pipeline):
        est = est.steps[-1][1]
    return est


def sample_weight_key(est) -> str:
    """The fit-parameter name that carries sample weights to the final step."""
    if not has_fit_parameter(final_step(est), "sample_weight"):
        raise MitigationError(
            f"the estimator's final step ({type(final_step(est)).__name__}) does not accept "
            "sample_weight"
        )
    if isinstance(est, Pipeline):
        if isinstance(est.steps[-1][1], Pipeline):
            raise MitigationError("a Pipeline nested as the final step cannot take sample_weight")
        return f"{est.steps[-1][0]}__sample_weight"
    return "sample_weight"


def positive_proba(est, X: pd.DataFrame) -> np.ndarray:
    """Probability of class 1 from a fitted classifier."""
    classes = list(getattr(est, "classes_", [0, 1]))
    return np.asarray(est.predict_proba(X))[:, classes.index(1)].astype(float)


def validation_split(inp: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (fit, validation) of the training data, stratified by group and label.

    Post-processors are fitted on the validation part, never on the test set.
    """
    idx = np.arange(len(inp.y_train))
    strata = pd.Series(inp.s_train).str.cat(pd.Series(inp.y_train).astype(str), sep="|")
    how = "group and label"
    try:
        fit_idx, val_idx = train_test_split(idx, test_size=VALIDATION_SHARE,
                                            random_state=inp.random_state, stratify=strata)
    except ValueError:  # a (group, label) cell with a single row
        how = "label"
        fit_idx, val_idx = train_test_split(idx, test_size=VALIDATION_SHARE,
                                            random_state=inp.random_state, stratify=inp.y_train)
    fit_idx, val_idx = np.sort(fit_idx), np.sort(val_idx)
    inp.notes.append(
        f"post-processor fitted on a validation split of the training data "
        f"({len(val_idx)} of {len(idx)} rows, stratified by {how}, "
        f"random_state={inp.random_state}); the model on the other {len(fit_idx)}; "
        "the test set is used for nothing but predictions"
    )
    return fit_idx, val_idx


PROTECTED = "protected"
LABEL = "label"


def binary_label_dataset(X: pd.DataFrame, protected: np.ndarray,
                         favorable_y: np.ndarray | None = None,
                         favorable_scores: np.ndarray | None = None, n_codes: int = 2):
    """An aif360 BinaryLabelDataset: features, one protected column, label 1 favourable.

    Labels and scores are given in favourable terms (``Inputs.favorable_indicator``
    and ``Inputs.favorable_proba``), so that aif360's ``favorable_label`` is 1
    whatever the decision means. The protected column holds codes
    ``0 .. n_codes - 1``; the largest is declared privileged (with the default
    2: 1 = privileged, 0 = the others). Features are renamed ``f0, f1, ...``
    (aif360 keeps names in lists and compares them as strings);
    ``favorable_y=None`` fills the labels with 0 for data whose labels the
    method does not read.
    """
    with quiet():
        from aif360.datasets import BinaryLabelDataset

    df = pd.DataFrame(np.asarray(X, dtype=float), columns=[f"f{i}" for i in range(X.shape[1])])
    df[PROTECTED] = np.asarray(protected, dtype=float)
    df[LABEL] = np.zeros(len(df)) if favorable_y is None else np.asarray(favorable_y, dtype=float)
    # Say which value is privileged: aif360 would otherwise take the largest value
    # present, which is wrong on data holding one group only.
    ds = BinaryLabelDataset(df=df, label_names=[LABEL], protected_attribute_names=[PROTECTED],
                            favorable_label=1.0, unfavorable_label=0.0,
                            privileged_protected_attributes=[np.array([n_codes - 1.0])],
                            unprivileged_protected_attributes=[np.arange(n_codes - 1.0)])
    if favorable_scores is not None:
        ds.scores = np.asarray(favorable_scores, dtype=float).reshape(-1, 1)
    return ds


@contextlib.contextmanager
def seeded(random_state: int) -> Iterator[None]:
    """Seed numpy's and Python's global RNGs for the call and restore them after.

    Some aif360 methods draw from (and re-seed) the global numpy RNG; the
    caller's RNG state is left as it was.
    """
    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(random_state)
    random.seed(random_state)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


@contextlib.contextmanager
def captured_warnings(notes: list[str], source: str, limit: int = 3) -> Iterator[None]:
    """Turn the library's user-facing warnings into notes; silence the rest.

    Deprecation and future warnings (about library internals) and numeric
    runtime warnings are dropped; user warnings (convergence, constraints
    not met, ...) become up to ``limit`` distinct notes.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    seen: list[str] = []
    for w in caught:
        if not issubclass(w.category, UserWarning):
            continue
        text = f"{source} warned: {one_line(str(w.message), 200)}"
        if text not in seen:
            seen.append(text)
    notes.extend(seen[:limit])
    if len(seen) > limit:
        notes.append(f"{source} raised {len(seen) - limit} more distinct warnings")
