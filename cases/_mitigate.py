"""Apply a case's mitigations on its split and audit each one the same way."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ._runner import Run, audit_frame, headline

_SUMMARY_KEYS = ("demographic_parity_difference", "equalized_odds_difference")


def _entry(run: Run, result, attribute: str) -> dict:
    overall = result.summary["overall"]["metrics"]
    summary = result.summary["by_attribute"][attribute]
    h = headline(run.case, result)
    return {
        "accuracy": overall["accuracy"],
        "balanced_accuracy": overall["balanced_accuracy"],
        "headline": {"difference": h["difference"], "ratio": h["ratio"]},
        **{k: summary[k] for k in _SUMMARY_KEYS},
    }


def pareto_front(points: list[tuple[float, float] | None]) -> list[bool]:
    """Which (accuracy, |disparity|) points no other point beats on both.

    A point is dominated when another is at least as accurate and at most as
    disparate, and strictly better on one of the two. ``None`` (a failed
    mitigation) is never on the front.
    """
    front = []
    for i, p in enumerate(points):
        if p is None:
            front.append(False)
            continue
        dominated = any(
            q is not None and j != i and q[0] >= p[0] and q[1] <= p[1] and q != p
            for j, q in enumerate(points)
        )
        front.append(not dominated)
    return front


def mitigate(case, run: Run, log) -> dict:
    """Run every mitigation the case declares; a failure is recorded, not raised.

    Fit times go to the log, not the record, which must stay byte-identical.
    """
    from fairness.mitigations import MITIGATIONS, MitigationError, applicable, run_mitigation

    attribute = case.mitigation_attribute or case.headline.attribute
    reference = run.audit.summary["by_attribute"][attribute]["reference"]
    features = list(case.features)
    names = list(case.mitigations) if case.mitigations is not None else applicable(run.model)
    y_train = run.train[case.label].to_numpy().astype(int)
    entries: list[dict[str, Any]] = []
    for name in names:
        m = MITIGATIONS[name]
        entry: dict[str, Any] = {
            "name": m.name, "library": m.library, "stage": m.stage,
            "constraint": m.constraint,
            "needs_sensitive_at_prediction": m.needs_sensitive_at_prediction,
            "description": m.description, "notes": [], "error": None,
        }
        t0 = time.perf_counter()
        try:
            out = run_mitigation(
                name, estimator=case.make_model(run.spec),
                X_train=run.train[features], y_train=y_train,
                sensitive_train=run.train[attribute].astype(str),
                X_test=run.test[features], sensitive_test=run.test[attribute].astype(str),
                privileged=reference, random_state=run.spec.seed,
            )
        except MitigationError as exc:
            entry["error"] = str(exc)
            log(f"  mitigation {name}: FAILED in {time.perf_counter() - t0:.1f} s: {exc}")
            entries.append(entry)
            continue
        test = run.test.drop(columns=["score"], errors="ignore").copy()
        test["prediction"] = np.asarray(out.y_pred).astype(int)
        if out.score is not None:
            test["score"] = out.score
        result = audit_frame(case, test, case.label, run.spec.seed, cross_check=False)
        entry["notes"] = list(out.notes)
        entry.update(_entry(run, result, attribute))
        entries.append(entry)
        log(f"  mitigation {name}: {time.perf_counter() - t0:.1f} s")

    baseline = {"name": "baseline (no mitigation)", "library": "scikit-learn", "stage": "none",
                "constraint": "none", "needs_sensitive_at_prediction": False,
                "description": "The case's model as trained, for comparison.", "notes": [],
                "error": None, **_entry(run, run.audit, attribute)}
    everything = [baseline, *entries]
    points = [
        (e["accuracy"]["value"], abs(e["headline"]["difference"]["value"]))
        if e["error"] is None and e["headline"]["difference"]["value"] is not None
        and e["accuracy"]["value"] is not None else None
        for e in everything
    ]
    for e, on_front in zip(everything, pareto_front(points), strict=True):
        e["pareto"] = on_front
    return {"attribute": attribute, "reference": reference, "baseline": baseline,
            "entries": entries}
