"""Analyses several cases share: how much a model's inputs reveal a protected attribute."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from fairness._estimate import estimate
from fairness._scores import hanley_mcneil


def auc_with_interval(
    y_true: np.ndarray, score: np.ndarray, seed: int = 0, confidence: float = 0.95
) -> dict:
    """ROC AUC (exact, scikit-learn) with the Hanley-McNeil interval.

    The audit engine gives per-group AUCs the same interval, so the two read
    alike. ``seed`` is unused and kept for a uniform signature.
    """
    y_true = np.asarray(y_true).astype(int)
    n_pos = int(y_true.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return estimate(np.nan, None, confidence, "only one class present")
    auc = float(roc_auc_score(y_true, np.asarray(score, dtype=float)))
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    lo, hi = hanley_mcneil(auc, n_pos, n_neg, z)
    return {"value": auc, "ci_low": lo, "ci_high": hi, "ci_method": "Hanley-McNeil"}


def proxy_leakage(
    train: pd.DataFrame,
    test: pd.DataFrame,
    features: list[str],
    attribute: str,
    positive: str,
    seed: int,
) -> dict:
    """How well the model's inputs predict a protected attribute it was not given.

    A gradient-boosted classifier learns ``attribute == positive`` from
    ``features`` on the training part; its AUC on the test part, with a
    bootstrap interval, measures the leakage (0.5: the inputs reveal nothing).
    """
    clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    # One thread: OpenMP's threads fight on a small, busy machine (about 10x slower).
    with threadpool_limits(1):
        clf.fit(train[features], (train[attribute] == positive).to_numpy())
        score = clf.predict_proba(test[features])[:, 1]
    y = (test[attribute] == positive).to_numpy().astype(int)
    return {
        "attribute": attribute,
        "positive": positive,
        "features": list(features),
        "classifier": "HistGradientBoostingClassifier(max_iter=100)",
        "auc": auc_with_interval(y, score, seed),
    }
