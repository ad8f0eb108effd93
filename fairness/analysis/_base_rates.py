"""Base rates: precision at another prevalence, and counts per 100,000 people."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._estimate import DIRICHLET, Estimate, dirichlet_counts
from .._metrics import FN, FP, TN, TP


def precision_at_prevalence(tpr: float | np.ndarray, fpr: float | np.ndarray,
                            prevalence: float | np.ndarray) -> np.ndarray:
    """PPV = p·TPR / (p·TPR + (1 − p)·FPR): the share of flagged people truly positive.

    Examples
    --------
    >>> float(precision_at_prevalence(0.8, 0.1, 0.001))  # a good test, a rare condition
    0.007944389275074478
    """
    tpr, fpr, p = (np.asarray(a, dtype=float) for a in (tpr, fpr, prevalence))
    num = p * tpr
    den = num + (1 - p) * fpr
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def precision_curve(tpr: Estimate | dict, fpr: Estimate | dict,
                    prevalence: Sequence[float] | None = None) -> dict:
    """Precision over a grid of prevalences from measured TPR and FPR, with a band.

    The band is conservative: PPV rises with TPR and falls with FPR, so the
    ends of their intervals bound it.

    Returns
    -------
    dict
        ``prevalence``, ``ppv``, ``low``, ``high`` (lists; ``None`` where
        undefined).
    """
    t, f = (e if isinstance(e, Estimate) else Estimate.from_dict(e) for e in (tpr, fpr))
    grid = np.geomspace(1e-4, 0.5, 41) if prevalence is None else np.asarray(prevalence, float)

    def curve(a, b) -> list[float | None]:
        if a is None or b is None or (a == 0 and b == 0):
            return [None] * len(grid)
        return [None if not np.isfinite(v) else float(v)
                for v in precision_at_prevalence(a, b, grid)]

    return {"prevalence": grid.tolist(), "ppv": curve(t.value, f.value),
            "low": curve(t.ci_low, f.ci_high), "high": curve(t.ci_high, f.ci_low)}


def per_population(counts: Sequence[int] | dict, per: int = 100_000, random_state: int = 0,
                   n_replicates: int = 1000, confidence: float = 0.95) -> dict[str, Estimate]:
    """A confusion table as natural frequencies: how many of ``per`` people are in each cell.

    Parameters
    ----------
    counts : sequence of 4 ints or dict
        (TN, FP, FN, TP), or a group entry of an audit (with ``tn``, ``fp``,
        ``fn``, ``tp``).
    per : int
        The population the counts are scaled to.
    random_state, n_replicates, confidence
        The Bayesian bootstrap of the counts behind the intervals.

    Returns
    -------
    dict of Estimate
        ``positives`` (truly positive), ``flagged`` (decided positive),
        ``true_positives``, ``false_positives``, ``false_negatives``,
        ``true_negatives``, and ``flagged_per_true_positive`` (people
        decided positive for each truly positive one caught).

    Examples
    --------
    >>> out = per_population([9890, 100, 2, 8], per=100_000)
    >>> out["false_positives"].value, out["true_positives"].value
    (1000.0, 80.0)
    """
    if isinstance(counts, dict):
        counts = [counts["tn"], counts["fp"], counts["fn"], counts["tp"]]
    cells = np.asarray(counts, dtype=float)
    n = cells.sum()
    reps = dirichlet_counts(cells, n_replicates, np.random.default_rng(random_state))
    share, share_reps = cells / n * per, reps / n * per

    def est(idx: tuple[int, ...], reason: str = "no people") -> Estimate:
        return Estimate.from_draws(share[list(idx)].sum(), share_reps[:, list(idx)].sum(axis=1),
                                   confidence, reason, DIRICHLET)

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (cells[FP] + cells[TP]) / cells[TP] if cells[TP] > 0 else np.nan
        ratio_reps = (reps[:, FP] + reps[:, TP]) / reps[:, TP]
    return {
        "positives": est((FN, TP)), "flagged": est((FP, TP)),
        "true_positives": est((TP,)), "false_positives": est((FP,)),
        "false_negatives": est((FN,)), "true_negatives": est((TN,)),
        "flagged_per_true_positive": Estimate.from_draws(
            ratio, ratio_reps, confidence, "no true positive was flagged", DIRICHLET),
    }
