"""A small synthetic world with a known disparity, for trying mitigations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def make_disparity_data(
    n_samples: int = 2000,
    random_state: int = 0,
    *,
    groups: Sequence[str] = ("a", "b"),
    shares: Sequence[float] = (0.6, 0.4),
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Features, a 0/1 label and a group, with group ``"b"`` penalised in the label.

    The label is skill minus a penalty for group ``b``; the feature ``proxy``
    carries the group and ``flag`` is more frequent in it, so a model without
    the group still learns the penalty. Used by the mitigation tests and
    benchmark.

    Examples
    --------
    >>> X, y, g = make_disparity_data(100, random_state=0)
    >>> list(X.columns), len(y), g.name
    (['x1', 'x2', 'proxy', 'flag'], 100, 'group')
    """
    rng = np.random.default_rng(random_state)
    group = rng.choice(list(groups), size=n_samples, p=list(shares))
    is_b = (group == "b").astype(float)
    skill = rng.normal(size=n_samples)
    X = pd.DataFrame({
        "x1": skill + rng.normal(0, 0.7, n_samples),
        "x2": 50 + 10 * skill + rng.normal(0, 8, n_samples),
        "proxy": 2.5 * is_b + rng.normal(0, 1, n_samples),
        "flag": (rng.random(n_samples) < 0.1 + 0.3 * is_b).astype(int),
    })
    y = (1.5 * skill - 2.0 * is_b + rng.normal(0, 0.7, n_samples) > -0.3).astype(int)
    return X, y, pd.Series(group, name="group")
