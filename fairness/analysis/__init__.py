"""Analyses several cases need, beside the audit: base rates, natural frequencies,
what a model relies on and what its inputs reveal.

- :func:`precision_at_prevalence` and :func:`precision_curve`: the share of
  flagged people who are truly positive, at base rates other than the
  audited one (Bayes' rule on the measured error rates);
- :func:`per_population`: a confusion table as natural frequencies (per
  100,000 people), with intervals;
- :func:`proxy_leakage`: how well a model's inputs predict a protected
  attribute it was not given;
- :func:`auc_with_interval`: an exact AUC with the engine's interval;
- :func:`permutation_importance_by_group`: what the model relies on, overall
  and per group (scikit-learn's permutation importance).
"""

from ._base_rates import per_population, precision_at_prevalence, precision_curve
from ._explain import auc_with_interval, permutation_importance_by_group, proxy_leakage

__all__ = [
    "auc_with_interval",
    "per_population",
    "permutation_importance_by_group",
    "precision_at_prevalence",
    "precision_curve",
    "proxy_leakage",
]
