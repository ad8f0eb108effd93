"""Analyses several cases share: how much a model's inputs reveal a protected attribute."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from fairness._estimate import estimate
from fairness._scores import AUC_BINS, auc_from_histograms


def auc_with_interval(
    y_true: np.ndarray, score: np.ndarray, seed: int, n_boot: int = 1000, confidence: float = 0.95
) -> dict:
    """ROC AUC (exact, scikit-learn) with a bootstrap interval drawn on counts.

    As in the audit engine, resampling rows is drawing the counts of the
    occupied (label, score bin) cells from a multinomial; the AUC of each
    replicate is read off its two histograms.
    """
    y_true = np.asarray(y_true).astype(int)
    n = len(y_true)
    if not 0 < y_true.sum() < n:
        return estimate(np.nan, None, confidence, "only one class present")
    score = np.asarray(score, dtype=float)
    bins = np.minimum((score * AUC_BINS).astype(np.int64), AUC_BINS - 1)
    cells, counts = np.unique(y_true * AUC_BINS + bins, return_counts=True)
    draws = np.random.default_rng(seed).multinomial(n, counts / n, size=n_boot)
    hist = np.zeros((n_boot, 2 * AUC_BINS))
    hist[:, cells] = draws
    reps = auc_from_histograms(hist[:, AUC_BINS:], hist[:, :AUC_BINS])
    return estimate(roc_auc_score(y_true, score), reps, confidence, "only one class present")


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
