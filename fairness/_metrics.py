"""Confusion-matrix metrics as functions of the four counts.

Every function takes arrays ``tp, fp, fn, tn`` of any (broadcastable) shape and
returns an array of the same shape, with ``nan`` where the metric is undefined
(a zero denominator). Vectorised this way, one call evaluates a metric for
every group and every bootstrap replicate at once.

The counts are indexed by cell ``c = 2 * y + y_hat``: 0 is TN, 1 FP, 2 FN and
3 TP. A *proportion* is a sum of cells over a sum of cells (``numerator`` and
``denominator`` name them), so it gets a binomial interval; balanced accuracy
and F1 are not proportions and get the bootstrap's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TN, FP, FN, TP = 0, 1, 2, 3
ALL = (TN, FP, FN, TP)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, ``nan`` where ``den`` is 0 (the one zero-safe division of the engine)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True)
class Metric:
    """A confusion-matrix metric: its formula, why it can be undefined, how to show it.

    Attributes
    ----------
    name, label, formula : str
        The engine's name (``tpr``), its name in a sentence, its formula.
    undefined_when : str
        Why it can have no value (a zero denominator), in words.
    numerator, denominator : tuple of int
        For a proportion, the cells summed above and below the line; empty
        for the two metrics that are not proportions.
    is_rate : bool
        Printed as a percentage (and its differences in percentage points).
    custom : callable, optional
        ``f(tp, fp, fn, tn)`` for a metric that is not a proportion.
    """

    name: str
    label: str
    formula: str
    undefined_when: str
    numerator: tuple[int, ...] = ()
    denominator: tuple[int, ...] = ()
    is_rate: bool = True
    custom: Callable[..., np.ndarray] | None = None

    @property
    def is_proportion(self) -> bool:
        return bool(self.numerator)

    def compute(self, counts: np.ndarray) -> np.ndarray:
        """The metric on ``counts[..., 4]`` (TN, FP, FN, TP)."""
        if self.custom is not None:
            tn, fp, fn, tp = (counts[..., i] for i in ALL)
            return self.custom(tp, fp, fn, tn)
        return ratio(counts[..., list(self.numerator)].sum(axis=-1),
                     counts[..., list(self.denominator)].sum(axis=-1))


def _balanced_accuracy(tp, fp, fn, tn):
    return (ratio(tp, tp + fn) + ratio(tn, fp + tn)) / 2


def _f1(tp, fp, fn, tn):
    return ratio(2 * tp, 2 * tp + fp + fn)


_EMPTY = "the group is empty"
_NO_POS = "the group has no positives (y=1)"
_NO_NEG = "the group has no negatives (y=0)"

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("selection_rate", "Selection rate", "(TP+FP)/n", _EMPTY, (FP, TP), ALL),
        Metric("base_rate", "Base rate", "(TP+FN)/n", _EMPTY, (FN, TP), ALL),
        Metric("tpr", "True positive rate", "TP/(TP+FN)", _NO_POS, (TP,), (FN, TP)),
        Metric("fpr", "False positive rate", "FP/(FP+TN)", _NO_NEG, (FP,), (TN, FP)),
        Metric("tnr", "True negative rate", "TN/(FP+TN)", _NO_NEG, (TN,), (TN, FP)),
        Metric("fnr", "False negative rate", "FN/(TP+FN)", _NO_POS, (FN,), (FN, TP)),
        Metric("ppv", "Precision (PPV)", "TP/(TP+FP)", "the group has no predicted positives",
               (TP,), (FP, TP)),
        Metric("npv", "Negative predictive value", "TN/(TN+FN)",
               "the group has no predicted negatives", (TN,), (TN, FN)),
        Metric("fdr", "False discovery rate", "FP/(TP+FP)",
               "the group has no predicted positives", (FP,), (FP, TP)),
        Metric("false_omission_rate", "False omission rate", "FN/(TN+FN)",
               "the group has no predicted negatives", (FN,), (TN, FN)),
        Metric("accuracy", "Accuracy", "(TP+TN)/n", _EMPTY, (TN, TP), ALL),
        Metric("balanced_accuracy", "Balanced accuracy", "(TPR+TNR)/2",
               "the group lacks positives or negatives (y=1 or y=0)",
               custom=_balanced_accuracy),
        Metric("f1", "F1 score", "2TP/(2TP+FP+FN)",
               "the group has no positives and no predicted positives", is_rate=False,
               custom=_f1),
    ]
}

METRIC_NAMES: tuple[str, ...] = tuple(METRICS)

# Between-group summaries in fairlearn's convention (max - min, or min / max),
# keyed by the name users search for: the metrics they compare, and how. The
# worse of two parts is taken (equalized odds). The cross-check reads the same table.
BETWEEN_GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "demographic_parity_difference": (("selection_rate",), "difference"),
    "demographic_parity_ratio": (("selection_rate",), "ratio"),
    "equalized_odds_difference": (("tpr", "fpr"), "difference"),
    "equalized_odds_ratio": (("tpr", "fpr"), "ratio"),
    "equal_opportunity_difference": (("tpr",), "difference"),
    "equal_opportunity_ratio": (("tpr",), "ratio"),
}


def compute_metric(name: str, counts: np.ndarray) -> np.ndarray:
    """Evaluate a metric on ``counts[..., 4]`` ordered (TN, FP, FN, TP)."""
    return METRICS[name].compute(np.asarray(counts))


def favorable_cells(favorable: int) -> tuple[int, ...]:
    """The cells whose decision is the favourable one: ŷ = 1 (FP, TP) or ŷ = 0 (TN, FN)."""
    return (FP, TP) if favorable == 1 else (TN, FN)


def favorable_rate(counts: np.ndarray, favorable: int) -> np.ndarray:
    """Share of a group that gets the favourable decision."""
    counts = np.asarray(counts)
    return ratio(counts[..., list(favorable_cells(favorable))].sum(axis=-1),
                 counts.sum(axis=-1))


def in_favorable_terms(counts: np.ndarray, favorable: int) -> np.ndarray:
    """The counts relabelled so that 1 means favourable, for label and decision alike.

    aif360 measures everything against its ``favorable_label``; when the
    favourable decision is 0 (not flagged), TN becomes its TP and FP its FN.
    """
    counts = np.asarray(counts)
    return counts if favorable == 1 else counts[..., [TP, FN, FP, TN]]


def generalized_entropy(counts: np.ndarray, alpha: float = 2.0, favorable: int = 1) -> np.ndarray:
    """aif360's generalized entropy index of the benefit ``b = ŷ - y + 1``.

    ``b`` is 0 for a wrongly withheld favourable decision, 1 for a correct
    decision and 2 for a wrongly granted one, with ŷ and y counted in
    favourable terms, so the index is a function of the overall counts
    ``counts[..., 4]`` (TN, FP, FN, TP). ``alpha=1`` is the Theil index.
    """
    tn, fp, fn, tp = (np.asarray(in_favorable_terms(counts, favorable)[..., i], dtype=float)
                      for i in ALL)
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
