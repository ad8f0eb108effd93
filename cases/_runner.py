"""The shared runner: generate, split, fit, predict, audit, sweep, mitigate, record."""

from __future__ import annotations

import hashlib
import platform
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

import fairness
from fairness import AuditResult

from ._framework import Case, Headline, Spec

RECORD_SCHEMA = 1
BOOTSTRAP = 1000
PACKAGES = ("numpy", "pandas", "scikit-learn", "fairlearn", "aif360")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    """Everything one run of a case produced, handed to the case's analyses."""

    case: Case
    spec: Spec
    data: pd.DataFrame
    train: pd.DataFrame
    test: pd.DataFrame  # with "prediction" and, where the model has one, "score"
    model: Any
    audit: AuditResult
    extra: dict  # what a custom ``decide`` hook returned besides the frame


def data_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of the frame: each column's name, dtype and values, in order.

    Numbers are hashed as their little-endian bytes (exact, and fast for wide
    frames); other values as their text, separated by a unit separator.
    """
    h = hashlib.sha256()
    for name in frame.columns:
        col = frame[name]
        h.update(f"{name}\0{col.dtype}\0".encode())
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            values = col.to_numpy()
            h.update(np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")).tobytes())
        else:
            h.update("\x1f".join(col.astype(str).tolist()).encode())
        h.update(b"\0")
    return h.hexdigest()


def _default_split(case: Case, data: pd.DataFrame, spec: Spec):
    return train_test_split(
        data, test_size=case.test_size, random_state=spec.seed, stratify=data[case.label]
    )


def _fit_predict(case: Case, train: pd.DataFrame, test: pd.DataFrame, spec: Spec):
    model = case.make_model(spec)
    model.fit(train[list(case.features)], train[case.label].to_numpy())
    X_test = test[list(case.features)]
    out = test.copy()
    out["prediction"] = model.predict(X_test).astype(int)
    if hasattr(model, "predict_proba"):
        out["score"] = model.predict_proba(X_test)[:, 1]
    return model, out


def audit_frame(case: Case, frame: pd.DataFrame, label: str, seed: int,
                cross_check: bool | None = None) -> AuditResult:
    return fairness.audit(
        frame,
        label=label,
        prediction="prediction",
        score="score" if "score" in frame else None,
        sensitive=list(case.sensitive),
        reference=case.reference,
        intersectional=case.intersectional,
        bootstrap=BOOTSTRAP,
        random_state=seed,
        cross_check=cross_check,
    )


def run_once(case: Case, spec: Spec, cross_check: bool | None = None) -> Run:
    """Generate the world, split it, decide, and audit the decisions on the test part."""
    data = case.make_data(spec.n_samples, random_state=spec.seed, **spec.knobs)
    train, test = (case.split or (lambda d, s: _default_split(case, d, s)))(data, spec)
    extra: dict = {}
    if case.decide is not None:
        extra = dict(case.decide(train, test, spec))
        model, test = extra.pop("model", None), extra.pop("test")
    else:
        model, test = _fit_predict(case, train, test, spec)
    result = audit_frame(case, test, case.label, spec.seed, cross_check)
    return Run(case, spec, data, train, test, model, result, extra)


def headline(case: Case, result: AuditResult, h: Headline | None = None) -> dict:
    h = h or case.headline
    d = result.disparity(h.attribute, h.metric, h.group)
    return {"attribute": h.attribute, "metric": h.metric, "group": h.group,
            "reference": d["reference"], "meaning": h.meaning,
            "difference": d["difference"], "ratio": d["ratio"],
            "group_value": result.group(h.attribute, h.group)["metrics"][h.metric],
            "reference_value": result.group(h.attribute, d["reference"])["metrics"][h.metric]}


def performance(result: AuditResult) -> dict:
    overall = result.summary["overall"]["metrics"]
    return {m: overall[m] for m in ("accuracy", "balanced_accuracy", "tpr", "fpr", "ppv",
                                   "selection_rate", "base_rate")}


def _sweeps(case: Case, spec: Spec, log) -> dict:
    out = {}
    for knob, values in case.sweeps.items():
        case.knob(knob)  # a sweep of an unknown knob is a bug in the case
        points = []
        for value in values:
            knobs = {**spec.knobs, knob: value}
            run = run_once(case, Spec(spec.seed, spec.n_samples, knobs), cross_check=False)
            point = {"value": value, "headline": headline(case, run.audit)}
            if case.sweep_extras is not None:
                point["extras"] = case.sweep_extras(run)
            points.append(point)
            log(f"  sweep {knob}={value}: {case.headline.metric} difference "
                f"{fairness.format_estimate(point['headline']['difference'])}")
        out[knob] = points
    return out


def versions() -> dict:
    return {"python": platform.python_version(), **{p: version(p) for p in PACKAGES}}


def inputs_sha256(case: Case) -> str:
    """Fingerprint of everything a record depends on: the engine, the runner, the
    case's module and text, and the lock file. ``casebook build`` re-runs a case
    only when this changes."""
    module = sys.modules[case.make_data.__module__]
    files = sorted((ROOT / "fairness").rglob("*.py")) + sorted((ROOT / "cases").glob("_*.py"))
    files += [Path(module.__file__), ROOT / "cases" / "text" / f"{case.slug}.md",
              ROOT / "requirements.lock"]
    h = hashlib.sha256()
    for f in files:
        if f.exists():
            h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def run_case(
    case: Case,
    *,
    seed: int = 0,
    n_samples: int | None = None,
    knobs: dict[str, Any] | None = None,
    sweeps: bool = True,
    mitigations: bool = True,
    log=lambda msg: None,
) -> dict:
    """Run a case end to end and return its record (a JSON-safe dict).

    The record depends only on the case's code, the seed, the sample size,
    the knobs and the installed packages: run twice, it is the same bytes.
    """
    spec = Spec(seed=seed, n_samples=n_samples or case.default_n_samples,
                knobs=case.resolve_knobs(knobs))
    t0 = time.perf_counter()
    run = run_once(case, spec)
    log(f"{case.slug}: ran and audited in {time.perf_counter() - t0:.1f} s")
    record: dict[str, Any] = {
        "record_schema": RECORD_SCHEMA,
        "case": case.slug,
        "title": case.title,
        "synthetic": True,
        "manifest": {
            "seed": spec.seed,
            "n_samples": spec.n_samples,
            "knobs": spec.knobs,
            "data_sha256": data_sha256(run.data),
            "n_train": len(run.train),
            "n_test": len(run.test),
            "bootstrap": BOOTSTRAP,
            "versions": versions(),
            "inputs_sha256": inputs_sha256(case),
            "command": command(case, spec),
        },
        "headline": headline(case, run.audit),
        "audit": run.audit.to_dict(),
        "performance": performance(run.audit),
    }
    if case.truth is not None:
        vs_truth = audit_frame(case, run.test, case.truth, seed, cross_check=False)
        record["audit_vs_truth"] = vs_truth.to_dict()
        h = case.truth_headline or case.headline
        record["label_vs_truth"] = {
            "label": case.label, "truth": case.truth,
            "vs_label": headline(case, run.audit, h),
            "vs_truth": headline(case, vs_truth, h),
            "performance_vs_label": performance(run.audit),
            "performance_vs_truth": performance(vs_truth),
        }
    if case.analyses is not None:
        record["analyses"] = case.analyses(run)
    if sweeps and case.sweeps:
        t0 = time.perf_counter()
        record["sweeps"] = _sweeps(case, spec, log)
        log(f"{case.slug}: sweeps in {time.perf_counter() - t0:.1f} s")
    if mitigations and run.model is not None:
        from ._mitigate import mitigate

        t0 = time.perf_counter()
        record["mitigations"] = mitigate(case, run, log)
        log(f"{case.slug}: mitigations in {time.perf_counter() - t0:.1f} s")
    return _plain(record)


def command(case: Case, spec: Spec) -> str:
    parts = ["casebook", "run", case.slug, "--seed", str(spec.seed),
             "--n-samples", str(spec.n_samples)]
    for k in case.knobs:
        if spec.knobs[k.name] != k.default:
            parts += ["--set", f"{k.name}={spec.knobs[k.name]}"]
    return " ".join(parts)


def _plain(obj: Any) -> Any:
    """numpy scalars and tuples to plain JSON types, recursively."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj

