"""Confusion-matrix metrics as functions of the four counts.

Every function takes arrays ``tp, fp, fn, tn`` of any (broadcastable) shape and
returns an array of the same shape, with ``nan`` where the metric is undefined
(a zero denominator). Vectorised this way, one call evaluates a metric for
every group and every bootstrap replicate at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True)
class Metric:
    """A confusion-matrix metric: its formula and why it can be undefined."""

    name: str
    label: str
    formula: str
    compute: Callable[..., np.ndarray]
    undefined_when: str


def _balanced_accuracy(tp, fp, fn, tn):
    return (_ratio(tp, tp + fn) + _ratio(tn, fp + tn)) / 2


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("selection_rate", "Selection rate", "(TP+FP)/n",
               lambda tp, fp, fn, tn: _ratio(tp + fp, tp + fp + fn + tn), "the group is empty"),
        Metric("base_rate", "Base rate", "(TP+FN)/n",
               lambda tp, fp, fn, tn: _ratio(tp + fn, tp + fp + fn + tn), "the group is empty"),
        Metric("tpr", "True positive rate", "TP/(TP+FN)",
               lambda tp, fp, fn, tn: _ratio(tp, tp + fn), "the group has no positives (y=1)"),
        Metric("fpr", "False positive rate", "FP/(FP+TN)",
               lambda tp, fp, fn, tn: _ratio(fp, fp + tn), "the group has no negatives (y=0)"),
        Metric("tnr", "True negative rate", "TN/(FP+TN)",
               lambda tp, fp, fn, tn: _ratio(tn, fp + tn), "the group has no negatives (y=0)"),
        Metric("fnr", "False negative rate", "FN/(TP+FN)",
               lambda tp, fp, fn, tn: _ratio(fn, tp + fn), "the group has no positives (y=1)"),
        Metric("ppv", "Precision (PPV)", "TP/(TP+FP)",
               lambda tp, fp, fn, tn: _ratio(tp, tp + fp),
               "the group has no predicted positives"),
        Metric("npv", "Negative predictive value", "TN/(TN+FN)",
               lambda tp, fp, fn, tn: _ratio(tn, tn + fn),
               "the group has no predicted negatives"),
        Metric("fdr", "False discovery rate", "FP/(TP+FP)",
               lambda tp, fp, fn, tn: _ratio(fp, tp + fp),
               "the group has no predicted positives"),
        Metric("false_omission_rate", "False omission rate", "FN/(TN+FN)",
               lambda tp, fp, fn, tn: _ratio(fn, tn + fn),
               "the group has no predicted negatives"),
        Metric("accuracy", "Accuracy", "(TP+TN)/n",
               lambda tp, fp, fn, tn: _ratio(tp + tn, tp + fp + fn + tn), "the group is empty"),
        Metric("balanced_accuracy", "Balanced accuracy", "(TPR+TNR)/2", _balanced_accuracy,
               "the group lacks positives or negatives (y=1 or y=0)"),
        Metric("f1", "F1 score", "2TP/(2TP+FP+FN)",
               lambda tp, fp, fn, tn: _ratio(2 * tp, 2 * tp + fp + fn),
               "the group has no positives and no predicted positives"),
    ]
}

METRIC_NAMES: tuple[str, ...] = tuple(METRICS)


def compute_metric(name: str, counts: np.ndarray) -> np.ndarray:
    """Evaluate a metric on ``counts[..., 4]`` ordered (TN, FP, FN, TP).

    The cell order is ``2 * y + y_hat``: index 0 is (y=0, ŷ=0) = TN, 1 is FP,
    2 is FN and 3 is TP.
    """
    tn, fp, fn, tp = (counts[..., i] for i in range(4))
    return METRICS[name].compute(tp, fp, fn, tn)


def generalized_entropy(counts: np.ndarray, alpha: float = 2.0) -> np.ndarray:
    """aif360's generalized entropy index of the benefit ``b = ŷ - y + 1``.

    ``b`` is 0 for a false negative, 1 for a correct decision and 2 for a false
    positive, so the index is a function of the overall counts
    ``counts[..., 4]`` (TN, FP, FN, TP). ``alpha=1`` is the Theil index.
    """
    tn, fp, fn, tp = (np.asarray(counts[..., i], dtype=float) for i in range(4))
    n = tn + fp + fn + tp
    n0, n1, n2 = fn, tn + tp, fp
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = (n1 + 2 * n2) / n
        r1, r2 = 1 / mu, 2 / mu
        if alpha == 1:
            out = (n1 * r1 * np.log(r1) + n2 * r2 * np.log(r2)) / n
        elif alpha == 0:
            # b = 0 makes -log(b/mu) infinite, as in aif360.
            out = np.where(n0 > 0, np.inf, -(n1 * np.log(r1) + n2 * np.log(r2)) / n)
        else:
            s = n0 * 0.0 ** alpha + n1 * r1 ** alpha + n2 * r2 ** alpha
            out = (s / n - 1) / (alpha * (alpha - 1))
    return np.where((n > 0) & (mu > 0), out, np.nan)
