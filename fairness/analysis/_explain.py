"""What a model's inputs reveal, and what the model relies on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._estimate import Estimate
from .._scores import auc_estimate


def auc_with_interval(y_true: Sequence[int], score: Sequence[float],
                      confidence: float = 0.95) -> Estimate:
    """ROC AUC (exact, scikit-learn's) with the engine's Hanley-McNeil interval.

    Examples
    --------
    >>> round(auc_with_interval([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).value, 2)
    0.75
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y_true).astype(int)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return Estimate.undefined("only one class present")
    auc = float(roc_auc_score(y, np.asarray(score, dtype=float)))
    return Estimate.from_dict(auc_estimate(auc, n_pos, n_neg, confidence))


def proxy_leakage(train: pd.DataFrame, test: pd.DataFrame, features: Sequence[str],
                  attribute: str, positive: str, random_state: int = 0) -> dict[str, Any]:
    """How well a model's inputs predict a protected attribute it was not given.

    A gradient-boosted classifier learns ``attribute == positive`` from
    ``features`` on ``train``; its AUC on ``test`` measures the leakage (0.5:
    the inputs reveal nothing; 1: they give the attribute away).

    Returns
    -------
    dict
        ``attribute``, ``positive``, ``features``, ``classifier`` and ``auc``
        (an :class:`~fairness.Estimate`).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    clf = HistGradientBoostingClassifier(max_iter=100, random_state=random_state)
    # One thread: OpenMP's threads busy-wait and fight on a small, busy machine.
    with threadpool_limits(1):
        clf.fit(train[list(features)], (train[attribute].astype(str) == positive).to_numpy())
        score = clf.predict_proba(test[list(features)])[:, 1]
    y = (test[attribute].astype(str) == positive).to_numpy().astype(int)
    return {"attribute": attribute, "positive": positive, "features": list(features),
            "classifier": "HistGradientBoostingClassifier(max_iter=100)",
            "auc": auc_with_interval(y, score)}


def permutation_importance_by_group(model: Any, X: pd.DataFrame, y: Sequence[int],
                                    groups: Sequence[Any] | None = None, *,
                                    scoring: str = "roc_auc", n_repeats: int = 5,
                                    min_group_size: int = 100,
                                    random_state: int = 0) -> dict[str, Any]:
    """What a fitted model relies on: scikit-learn's permutation importance.

    Each feature is shuffled ``n_repeats`` times and the drop in ``scoring``
    measured, on all rows and, with ``groups``, within each group of at least
    ``min_group_size`` rows (a model can rely on a proxy for one group only).

    Returns
    -------
    dict
        ``scoring``, ``n_repeats``, ``features`` (in order of overall
        importance) and ``importance[scope][feature] = {"mean", "sd"}`` where
        ``scope`` is ``"all"`` or a group.
    """
    from sklearn.inspection import permutation_importance

    y = np.asarray(y).astype(int)
    scopes: dict[str, np.ndarray] = {"all": np.ones(len(X), dtype=bool)}
    if groups is not None:
        g = np.asarray(groups).astype(str)
        scopes.update({name: g == name for name in sorted(set(g.tolist()))
                       if (g == name).sum() >= min_group_size})
    importance: dict[str, dict[str, dict[str, float]]] = {}
    with threadpool_limits(1):
        for scope, mask in scopes.items():
            if len(set(y[mask].tolist())) < 2:
                continue  # no ranking score for a group holding one class
            r = permutation_importance(model, X[mask], y[mask], scoring=scoring,
                                       n_repeats=n_repeats, random_state=random_state)
            importance[scope] = {f: {"mean": float(m), "sd": float(s)} for f, m, s in
                                 zip(X.columns, r.importances_mean, r.importances_std,
                                     strict=True)}
    order = sorted(X.columns, key=lambda f: -importance["all"][f]["mean"])
    return {"scoring": scoring, "n_repeats": n_repeats, "features": [str(f) for f in order],
            "importance": importance}
