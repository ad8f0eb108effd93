"""fairlearn's mitigations behind the registry's uniform call."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import (
    Inputs,
    MitigationOutput,
    captured_warnings,
    fresh_estimator,
    positive_proba,
    sample_weight_key,
    validation_split,
)


def _indicator_names(inp: Inputs) -> list[str]:
    taken = {str(c) for c in inp.X_train.columns}
    names = []
    for i in range(len(inp.others)):
        name = f"__group_{i}__"
        while name in taken:
            name = "_" + name
        names.append(name)
    return names


def correlation_remover(inp: Inputs) -> MitigationOutput:
    """Project the group indicators out of the features, then fit the estimator."""
    from fairlearn.preprocessing import CorrelationRemover

    others, cols = inp.others, _indicator_names(inp)

    def augmented(X: pd.DataFrame, s: np.ndarray) -> pd.DataFrame:
        out = X.copy()
        for group, col in zip(others, cols, strict=True):
            out[col] = (s == group).astype(float)
        return out

    def restored(Xt: np.ndarray, like: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(Xt, columns=like.columns, index=like.index)

    with captured_warnings(inp.notes, "fairlearn"):
        remover = CorrelationRemover(sensitive_feature_ids=cols, alpha=1.0)
        X_train = restored(remover.fit_transform(augmented(inp.X_train, inp.s_train)),
                           inp.X_train)
        X_test = restored(remover.transform(augmented(inp.X_test, inp.s_test)), inp.X_test)
        est = fresh_estimator(inp).fit(X_train, inp.y_train)
        y_pred = est.predict(X_test)
        score = positive_proba(est, X_test)
    inp.notes.append(
        f"the sensitive attribute enters as {len(cols)} indicator column(s) (one per group other "
        f"than {inp.privileged!r}); the test features are transformed with them too"
    )
    unseen = sorted(set(inp.s_test.tolist()) - set(inp.s_train.tolist()))
    if unseen:
        inp.notes.append(f"test groups unseen in training are treated like {inp.privileged!r}: "
                         f"{', '.join(unseen)}")
    return MitigationOutput(y_pred, score)


def _moment(kind: str):
    from fairlearn.reductions import DemographicParity, EqualizedOdds, TruePositiveRateParity

    return {"DP": DemographicParity, "EO": EqualizedOdds, "TPR": TruePositiveRateParity}[kind]()


def exponentiated_gradient(kind: str):
    """A runner for ExponentiatedGradient under the given constraint."""

    def run(inp: Inputs) -> MitigationOutput:
        from fairlearn.reductions import ExponentiatedGradient

        est = fresh_estimator(inp)
        with captured_warnings(inp.notes, "fairlearn"):
            eg = ExponentiatedGradient(est, constraints=_moment(kind),
                                       sample_weight_name=sample_weight_key(est))
            eg.fit(inp.X_train, inp.y_train, sensitive_features=inp.s_train)
            y_pred = eg.predict(inp.X_test, random_state=inp.random_state)
        used = int(np.count_nonzero(np.asarray(eg.weights_) > 0))
        inp.notes.append(
            f"randomized classifier: a mixture of {used} fitted model(s); each decision is drawn "
            f"with random_state={inp.random_state}; no single score"
        )
        return MitigationOutput(y_pred, None)

    return run


def threshold_optimizer(constraints: str):
    """A runner for ThresholdOptimizer under the given constraint."""

    def run(inp: Inputs) -> MitigationOutput:
        from fairlearn.postprocessing import ThresholdOptimizer

        fit_idx, val_idx = validation_split(inp)
        with captured_warnings(inp.notes, "fairlearn"):
            est = fresh_estimator(inp).fit(inp.X_train.iloc[fit_idx], inp.y_train[fit_idx])
            to = ThresholdOptimizer(estimator=est, constraints=constraints,
                                    objective="accuracy_score", prefit=True,
                                    predict_method="predict_proba")
            to.fit(inp.X_train.iloc[val_idx], inp.y_train[val_idx],
                   sensitive_features=inp.s_train[val_idx])
            y_pred = to.predict(inp.X_test, sensitive_features=inp.s_test,
                                random_state=inp.random_state)
        inp.notes.append(
            "group-specific thresholds on the model's probability, randomized between two "
            f"thresholds per group (random_state={inp.random_state}); objective: accuracy"
        )
        return MitigationOutput(y_pred, None)

    return run
