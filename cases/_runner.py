"""The shared runner: a case's declaration in, its record out.

The stages, folded over one :class:`~cases._run.Run`: generate the world and
split it, decide (fit the model, or the case's rule), audit against every
declared label, count the scores for the page's threshold explorer, run
the variants, the case's analyses and tracked quantities, the sweeps (a
world knob regenerates the world, a model knob refits, a threshold knob
re-decides) and the mitigations. The record is a
JSON-safe dict; the same code, seed, knobs and lock file give the same bytes
on the same machine, and the same numbers (within tolerance) on any other.
"""

from __future__ import annotations

import dataclasses
import math
import platform
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np

from fairness.mitigations import applicable

from ._contract import Case, Headline, Spec
from ._explorer import explorer_data
from ._fingerprint import data_fingerprint, inputs_sha256
from ._mitigate import mitigate
from ._run import BOOTSTRAP, Run

RECORD_SCHEMA = 2
PACKAGES = ("numpy", "pandas", "scikit-learn", "fairlearn", "aif360")

Log = Callable[[str], None]
Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what is running)


def start(case: Case, spec: Spec, cross_check: bool = True) -> Run:
    """Generate the world with the world knobs, split it and decide."""
    data = case.make_data(spec.n_samples, random_state=spec.seed,
                          **case.world_knobs(spec.knobs))
    train, rows = case.split.apply(data, case.label, spec.seed)
    return Run(case, spec, data, train, rows, cross_check=cross_check)


def rerun(run: Run, knob: str, value: Any) -> Run:
    """The run with one knob changed, redoing only what the knob acts on."""
    k = run.case.knob(knob)
    if k.acts_on == "threshold":
        return run.with_threshold(value)
    spec = run.spec.with_knobs(**{knob: k.parse(value)})
    if k.acts_on == "model":
        return Run(run.case, spec, run.data, run.train, run.rows, cross_check=False)
    return start(run.case, spec, cross_check=False)


def headline_entry(run: Run, against: str = "label", headline: Headline | None = None) -> dict:
    h = headline or run.case.headline
    return {**run.gap(against, h).to_dict(), "meaning": h.meaning}


def _vs_truth_headline(case: Case) -> Headline:
    return case.truth_headline or case.headline


def tracked(run: Run) -> dict:
    """The case's tracked quantities of one run (the main run or a sweep point)."""
    return {name: fn(run) for name, fn in run.case.tracked.items()}


def sweep_point(run: Run, value: Any) -> dict:
    case = run.case
    point: dict[str, Any] = {"value": value, "headline": headline_entry(run),
                             "accuracy": run.audit().overall("accuracy")}
    if case.truth:
        point["headline_vs_truth"] = headline_entry(run, "truth", _vs_truth_headline(case))
        point["accuracy_vs_truth"] = run.audit("truth").overall("accuracy")
    if case.tracked:
        point["tracked"] = tracked(run)
    return point


def variant_entry(run: Run) -> dict:
    v, case = run.variant, run.case
    entry = {"name": v.name, "description": v.description, "features": run.features,
             "trained_on": run.trained_on, "knobs": dict(v.knobs),
             "headline": {"label": headline_entry(run)},
             "performance": {"label": run.performance()}}
    if case.truth:
        entry["headline"]["truth"] = headline_entry(run, "truth", _vs_truth_headline(case))
        entry["performance"]["truth"] = run.performance("truth")
    return entry


def versions() -> dict:
    return {"python": platform.python_version(), **{p: version(p) for p in PACKAGES}}


def command(case: Case, spec: Spec) -> str:
    parts = ["casebook", "run", case.slug, "--seed", str(spec.seed),
             "--n-samples", str(spec.n_samples)]
    for k in case.knobs:
        if spec.knobs[k.name] != k.default:
            parts += ["--set", f"{k.name}={spec.knobs[k.name]}"]
    return " ".join(parts)


def run_case(
    case: Case,
    *,
    seed: int = 0,
    n_samples: int | None = None,
    knobs: dict[str, Any] | None = None,
    sweeps: bool = True,
    mitigations: bool = True,
    log: Log = lambda msg: None,
    progress: Progress = lambda done, total, what: None,
) -> dict:
    """Run a case end to end and return its record (a JSON-safe dict).

    Parameters
    ----------
    case : Case
        The declaration.
    seed, n_samples, knobs
        The run's settings (defaults: 0, the case's size, the knobs' defaults).
    sweeps, mitigations : bool
        Whether to run those stages.
    log : callable
        Receives lines of progress with timings (never written to the record).
    progress : callable
        ``progress(done, total, what)`` before each step, for a progress bar.

    Returns
    -------
    dict
        The record: the same bytes for the same code, seed, knobs and lock file.
    """
    spec = Spec(seed=seed, n_samples=n_samples or case.default_n_samples,
                knobs=case.resolve_knobs(knobs))
    n_sweep = sum(len(v) for v in case.sweeps.values()) if sweeps else 0
    total = 1 + len(case.variants) + n_sweep
    done = 0

    def step(what: str) -> None:
        nonlocal done
        progress(done, total, what)
        done += 1

    step("world, model and audit")
    t0 = time.perf_counter()
    run = start(case, spec)
    if mitigations and run.model is not None:  # known once the model exists: count them now
        total += len(case.mitigations if case.mitigations is not None
                     else applicable(run.model))
    record: dict[str, Any] = {
        "record_schema": RECORD_SCHEMA,
        "case": case.slug,
        "title": case.title,
        "synthetic": True,
        "manifest": {
            "seed": spec.seed, "n_samples": spec.n_samples, "knobs": dict(spec.knobs),
            "data_fingerprint": data_fingerprint(run.data),
            "n_train": len(run.train), "n_test": len(run.test), "bootstrap": BOOTSTRAP,
            "versions": versions(), "inputs_sha256": inputs_sha256(case),
            "command": command(case, spec),
        },
        "decision": {"positive": case.positive_decision,
                     "favorable_prediction": case.favorable_prediction,
                     "split": dataclasses.asdict(case.split)},
        "headline": headline_entry(run),
        "audit": run.audit().to_dict(),
        "performance": run.performance(),
    }
    explorer = explorer_data(run)
    if explorer is not None:
        record["explorer"] = explorer
    others = {role: run.audit(role).to_dict() for role in case.labels if role != "label"}
    if others:
        record["audits"] = others
    if case.truth:
        h = _vs_truth_headline(case)
        record["label_vs_truth"] = {
            "label": case.label, "truth": case.truth,
            "vs_label": headline_entry(run, "label", h),
            "vs_truth": headline_entry(run, "truth", h),
            "performance_vs_label": run.performance("label"),
            "performance_vs_truth": run.performance("truth"),
        }
    log(f"{case.slug}: ran and audited in {time.perf_counter() - t0:.1f} s")
    if case.variants:
        entries = []
        for v in case.variants:
            step(f"variant {v.name}")
            entries.append(variant_entry(run.variant_run(v.name)))
        record["variants"] = entries
    if case.analyses is not None:
        record["analyses"] = case.analyses(run)
    if case.tracked:
        record["tracked"] = tracked(run)
    if sweeps and case.sweeps:
        t0 = time.perf_counter()
        record["sweeps"] = {}
        for knob, values in case.sweeps.items():
            points = []
            for value in values:
                step(f"sweep {knob}={value}")
                points.append(sweep_point(rerun(run, knob, value), value))
            record["sweeps"][knob] = points
        log(f"{case.slug}: sweeps in {time.perf_counter() - t0:.1f} s")
    if mitigations and run.model is not None:
        t0 = time.perf_counter()
        record["mitigations"] = mitigate(run, log, step)
        log(f"{case.slug}: mitigations in {time.perf_counter() - t0:.1f} s")
    progress(total, total, "done")
    return plain(record)


def plain(obj: Any) -> Any:
    """Estimates, gaps, numpy scalars and tuples to plain JSON types, recursively.

    A value that is not finite becomes ``None``: a record holds no NaN.
    """
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if hasattr(obj, "to_dict") and dataclasses.is_dataclass(obj):
        return plain(obj.to_dict())
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, np.generic):
        return plain(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
