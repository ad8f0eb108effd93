"""The mitigation stage: a case's mitigations on its split, each audited like the model.

Every mitigation is fitted on the run's training rows and decides on its
audited rows; the decisions are audited against the label and, where the
world knows it, against the truth, with the case's settings. Fit times go to
the log, never the record, which must stay the same bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from fairness.mitigations import (
    MITIGATIONS,
    MitigationError,
    applicable,
    mitigation_table,
    run_mitigation,
)

from ._run import Run

_SUMMARY_KEYS = ("demographic_parity_difference", "equalized_odds_difference")
BASELINE = {"name": "baseline (no mitigation)", "library": "scikit-learn", "stage": "none",
            "constraint": "none", "needs_sensitive_at_prediction": False,
            "description": "The case's model as trained, for comparison."}


def judged(run: Run, attribute: str) -> dict:
    """A run's accuracy and headline gap against the label, and against the truth if known."""
    def one(against: str) -> dict:
        result = run.audit(against)
        gap = run.gap(against, run.case.truth_headline if against == "truth" else None)
        summary = result.summary["by_attribute"][attribute]
        return {"accuracy": result.overall("accuracy"),
                "balanced_accuracy": result.overall("balanced_accuracy"),
                "headline": {"difference": gap.difference, "ratio": gap.ratio},
                **{k: summary[k] for k in _SUMMARY_KEYS}}

    out = one("label")
    if run.case.truth:
        out["vs_truth"] = one("truth")
    return out


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


def _mitigated_run(run: Run, y_pred: np.ndarray, score: np.ndarray | None) -> Run:
    """The run with the mitigation's decisions in place of the model's."""
    test = run.test.drop(columns=["score"], errors="ignore").copy()
    test["prediction"] = np.asarray(y_pred).astype(int)
    knob = run.case.threshold_knob
    if score is not None:
        test["score"] = score
        if knob is not None:  # the case decides at its own threshold, not at 0.5
            test["prediction"] = (score >= run.spec.knobs[knob.name]).astype(int)
    return run.with_decisions(test)


def mitigate(run: Run, log: Callable[[str], None] = lambda m: None,
             step: Callable[[str], None] = lambda m: None) -> dict:
    """Run every mitigation the case declares; a failure is recorded, not raised."""
    case = run.case
    attribute = case.mitigation_attribute or case.headline.attribute
    reference = run.audit().reference(attribute)
    names = list(case.mitigations) if case.mitigations is not None else applicable(run.model)
    described = {m["name"]: m for m in mitigation_table()}
    y_train = run.train[case.label].to_numpy().astype(int)
    entries: list[dict[str, Any]] = []
    for name in names:
        entry: dict[str, Any] = {**described[MITIGATIONS[name].name], "notes": [],
                                 "error": None}
        step(f"mitigation {name}")
        t0 = time.perf_counter()
        try:
            out = run_mitigation(
                name, estimator=run.make_model(),
                X_train=run.train[run.features], y_train=y_train,
                sensitive_train=run.train[attribute].astype(str),
                X_test=run.test[run.features], sensitive_test=run.test[attribute].astype(str),
                privileged=reference, random_state=run.spec.seed,
                favorable=case.favorable_prediction,
            )
        except MitigationError as exc:
            entry["error"] = str(exc)
            log(f"  mitigation {name}: FAILED in {time.perf_counter() - t0:.1f} s: {exc}")
            entries.append(entry)
            continue
        entry["notes"] = list(out.notes)
        entry.update(judged(_mitigated_run(run, out.y_pred, out.score), attribute))
        entries.append(entry)
        log(f"  mitigation {name}: {time.perf_counter() - t0:.1f} s")

    baseline = {**BASELINE, "notes": [], "error": None, **judged(run, attribute)}
    everything = [baseline, *entries]
    points = [
        (e["accuracy"].value, abs(e["headline"]["difference"].value))
        if e["error"] is None and e["headline"]["difference"].defined
        and e["accuracy"].defined else None
        for e in everything
    ]
    for e, on_front in zip(everything, pareto_front(points), strict=True):
        e["pareto"] = on_front
    return {"attribute": attribute, "reference": reference, "baseline": baseline,
            "entries": entries}
