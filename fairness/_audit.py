"""``audit``: per-group metrics, disparities and summaries, with intervals."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._counts import (
    JOINT_SEPARATOR,
    View,
    bootstrap_cells,
    group_cells,
    joint_codes,
    reduce,
    row_blocks,
)
from ._estimate import estimate, estimates
from ._metrics import METRIC_NAMES, METRICS, compute_metric, generalized_entropy
from ._prepare import AuditInputError, prepare
from ._result import AuditResult
from ._scores import AUC_BINS, metrics_from_counts, score_counts

SCHEMA_VERSION = 1
CROSS_CHECK_MAX_ROWS = 200_000

# Summary measures of one attribute, in fairlearn's convention (between groups:
# max - min, or min / max), keyed by the name users search for.
_BETWEEN_GROUPS = {
    "demographic_parity_difference": ("selection_rate", "difference"),
    "demographic_parity_ratio": ("selection_rate", "ratio"),
    "equal_opportunity_difference": ("tpr", "difference"),
    "equal_opportunity_ratio": ("tpr", "ratio"),
}


def _check_params(sensitive, bootstrap, confidence, random_state, four_fifths, reference,
                  intersectional=False):
    if isinstance(sensitive, str):
        sensitive = [sensitive]
    sensitive = list(sensitive or [])
    if not sensitive:
        raise AuditInputError("sensitive must name at least one column (--sensitive COL)")
    if len(set(sensitive)) != len(sensitive):
        raise AuditInputError(f"sensitive names a column twice: {sensitive}")
    if not isinstance(bootstrap, int | np.integer) or isinstance(bootstrap, bool) or bootstrap < 0:
        raise AuditInputError(f"bootstrap must be a whole number >= 0, got {bootstrap!r}")
    if not 0 < float(confidence) < 1:
        raise AuditInputError(f"confidence must be between 0 and 1, got {confidence!r}")
    if not isinstance(random_state, int | np.integer) or random_state < 0:
        raise AuditInputError(f"random_state must be a whole number >= 0, got {random_state!r}")
    if not 0 < float(four_fifths) <= 1:
        raise AuditInputError(f"four_fifths must be in (0, 1], got {four_fifths!r}")
    reference = dict(reference or {})
    # The intersection is audited as one more attribute, named "a × b".
    joint = [JOINT_SEPARATOR.join(sensitive)] if intersectional and len(sensitive) > 1 else []
    for col in reference:
        if col not in sensitive + joint:
            raise AuditInputError(
                f"reference names {col!r}, which is not a sensitive column ({', '.join(sensitive)})"
            )
    return sensitive, reference


def _spread(values: np.ndarray, kind: str) -> np.ndarray:
    """max - min or min / max over the groups axis (the last), ignoring undefined groups."""
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        hi = np.nanmax(values, axis=-1)
        lo = np.nanmin(values, axis=-1)
        if kind == "difference":
            return hi - lo
        return np.where(hi > 0, lo / np.where(hi > 0, hi, 1), np.nan)


class _quiet:
    """Silence numpy's all-NaN warnings: undefined is reported, not warned."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def _audit_view(
    view: View,
    cells: np.ndarray,
    reps: np.ndarray | None,
    n_total: int,
    reference: str | None,
    confidence: float,
    four_fifths: float,
    min_group_size: int,
    min_group_share: float,
) -> dict:
    counts = group_cells(cells, view)  # (G, 4)
    rep_counts = group_cells(reps, view) if reps is not None else None  # (B, G, 4)
    sizes = counts.sum(axis=1)
    keep = np.flatnonzero(sizes > 0)
    counts = counts[keep]
    rep_counts = rep_counts[:, keep] if rep_counts is not None else None
    names = [view.groups[i] for i in keep]
    sizes = sizes[keep]

    if reference is None:
        ref = int(np.argmax(sizes))  # the largest group; ties go to the first
    elif reference in names:
        ref = names.index(reference)
    else:
        shown = ", ".join(names[:20])
        raise AuditInputError(
            f"reference group {reference!r} not found in {view.name!r}; its groups are: {shown}"
        )

    values = {m: compute_metric(m, counts) for m in METRIC_NAMES}
    rep_values = (
        {m: compute_metric(m, rep_counts) for m in METRIC_NAMES} if rep_counts is not None else {}
    )

    # Impact ratio as in the four-fifths rule and NYC LL144: each group's
    # selection rate over the highest group's.
    sr, sr_reps = values["selection_rate"], rep_values.get("selection_rate")
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        impact = sr / np.max(sr)
        impact_reps = (sr_reps / np.nanmax(sr_reps, axis=1, keepdims=True)
                       if sr_reps is not None else None)

    per_metric = {
        m: estimates(values[m], rep_values.get(m), confidence, METRICS[m].undefined_when)
        for m in METRIC_NAMES
    }
    impact_est = estimates(impact, impact_reps, confidence,
                           "no group has a positive selection rate")
    groups, flags = [], []
    for i, name in enumerate(names):
        tn, fp, fn, tp = (int(x) for x in counts[i])
        n = int(sizes[i])
        metrics = {m: per_metric[m][i] for m in METRIC_NAMES}
        warnings = [f"{m} is undefined: {METRICS[m].undefined_when}"
                    for m in METRIC_NAMES if metrics[m]["value"] is None]
        share = n / n_total
        if n < min_group_size:
            warnings.append(
                f"only {n} rows (fewer than {min_group_size}): too few to trust its metrics"
            )
        if share < min_group_share:
            warnings.append(
                f"{share:.1%} of the rows (under {min_group_share:.0%}): too small to trust; "
                "NYC LL144 lets an audit leave such categories out of impact ratios"
            )
        ir = impact_est[i]
        group_flags = []
        if ir["value"] is not None and ir["value"] < four_fifths:
            group_flags.append("four_fifths")
            flags.append({"attribute": view.name, "group": name, "flag": "four_fifths",
                          "impact_ratio": ir["value"], "threshold": four_fifths})
        groups.append({
            "attribute": view.name, "group": name, "n": n, "share": share,
            "is_reference": i == ref,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "metrics": metrics, "impact_ratio": ir, "flags": group_flags,
            "small": n < min_group_size or share < min_group_share,
            "warnings": warnings,
        })

    disparities = []
    ref_name = names[ref]
    others = [i for i in range(len(names)) if i != ref]
    for m in METRIC_NAMES:
        v, r = values[m], rep_values.get(m)
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = v[others] - v[ref]
            ratio = np.where(v[ref] != 0, v[others] / (v[ref] if v[ref] != 0 else 1), np.nan)
            rd = r[:, others] - r[:, [ref]] if r is not None else None
            safe = np.where(r[:, [ref]] != 0, r[:, [ref]], 1) if r is not None else None
            rr = np.where(r[:, [ref]] != 0, r[:, others] / safe, np.nan) if r is not None else None
        whys = [_why(m, values, i, ref, names[i], ref_name) for i in others]
        ratio_whys = [w or (f"{m} of the reference group is 0" if v[ref] == 0 else "")
                      for w in whys]
        d_est = estimates(diff, rd, confidence, whys)
        r_est = estimates(ratio, rr, confidence, ratio_whys)
        for k, i in enumerate(others):
            disparities.append({
                "attribute": view.name, "metric": m, "group": names[i], "reference": ref_name,
                "difference": d_est[k], "ratio": r_est[k],
            })

    summary: dict[str, Any] = {"reference": ref_name}
    for key, (m, kind) in _BETWEEN_GROUPS.items():
        point = _spread(values[m], kind)
        reps_ = _spread(rep_values[m], kind) if rep_values else None
        summary[key] = estimate(point, reps_, confidence, f"{m} is undefined for every group")
    for kind in ("difference", "ratio"):
        parts = [_spread(values[m], kind) for m in ("tpr", "fpr")]
        rep_parts = [_spread(rep_values[m], kind) for m in ("tpr", "fpr")] if rep_values else None
        pick = np.fmax if kind == "difference" else np.fmin  # worst case of the two
        summary[f"equalized_odds_{kind}"] = estimate(
            pick(*parts), pick(*rep_parts) if rep_parts else None, confidence,
            "TPR and FPR are undefined for every group",
        )
    # aif360's convention: each group against the reference (unprivileged - privileged).
    vs_reference = []
    for i, name in enumerate(names):
        if i == ref:
            continue
        def d(m, i=i):
            return values[m][i] - values[m][ref], (
                rep_values[m][:, i] - rep_values[m][:, ref] if rep_values else None)
        spd, spd_r = d("selection_rate")
        eod, eod_r = d("tpr")
        fpd, fpd_r = d("fpr")
        with np.errstate(invalid="ignore", divide="ignore"):
            di = sr[i] / sr[ref] if sr[ref] > 0 else np.nan
            di_r = (np.where(sr_reps[:, ref] > 0, sr_reps[:, i] / np.where(
                sr_reps[:, ref] > 0, sr_reps[:, ref], 1), np.nan) if sr_reps is not None else None)
        vs_reference.append({
            "group": name,
            "statistical_parity_difference": estimate(spd, spd_r, confidence, "undefined"),
            "disparate_impact": estimate(di, di_r, confidence,
                                         "the reference group's selection rate is 0"),
            "equal_opportunity_difference": estimate(
                eod, eod_r, confidence, "TPR is undefined for the group or the reference"),
            "average_odds_difference": estimate(
                (fpd + eod) / 2, (fpd_r + eod_r) / 2 if rep_values else None, confidence,
                "TPR or FPR is undefined for the group or the reference"),
        })
    summary["vs_reference"] = vs_reference
    return {"groups": groups, "disparities": disparities, "summary": summary, "flags": flags}


def _why(m, values, i, ref, name, ref_name) -> str:
    if not np.isfinite(values[m][i]):
        return f"{m} is undefined for {name}: {METRICS[m].undefined_when}"
    if not np.isfinite(values[m][ref]):
        return f"{m} is undefined for the reference {ref_name}: {METRICS[m].undefined_when}"
    return ""


def audit(
    frame: Any,
    *,
    label: str,
    prediction: str,
    sensitive: str | list[str],
    score: str | None = None,
    positive_label: Any = None,
    reference: dict[str, str] | None = None,
    intersectional: bool = False,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    random_state: int = 0,
    drop_missing: bool = False,
    cross_check: bool | None = None,
    four_fifths: float = 0.8,
    min_group_size: int = 30,
    min_group_share: float = 0.02,
    max_groups: int = 1000,
) -> AuditResult:
    """Audit binary decisions for group disparities, with bootstrap intervals.

    The rows are reduced once to counts of (group, label, prediction); every
    metric, disparity and interval is computed from those counts.

    Parameters
    ----------
    frame : pandas.DataFrame or pyarrow.Table
        One row per decision.
    label, prediction : str
        Columns of the observed outcome and of the decision.
    sensitive : str or list of str
        Columns of protected attributes. Missing values form the group
        ``"(missing)"``.
    score : str, optional
        Column of predicted probabilities in [0, 1]; adds AUC, Brier score and
        a calibration table per group.
    positive_label : optional
        The value meaning "positive" (selected, flagged). Needed unless the
        columns are 0/1, booleans or two numbers (the larger is positive).
    reference : dict, optional
        Reference group per attribute, e.g. ``{"race": "Caucasian"}`` (the
        intersection is named ``"race × sex"``); default the largest group.
    intersectional : bool
        Also audit the combinations of all sensitive attributes.
    bootstrap : int
        Number of bootstrap replicates (0 for none).
    confidence : float
        Level of the percentile intervals.
    random_state : int
        Seed of the bootstrap.
    drop_missing : bool
        Drop rows with a missing label, prediction or score (and report how
        many) instead of raising.
    cross_check : bool, optional
        Recompute every shared metric with fairlearn and aif360 and record
        the agreement. Default: on up to 200,000 rows.
    four_fifths : float
        Impact-ratio threshold below which a group is flagged.
    min_group_size, min_group_share : int, float
        Groups smaller than this are flagged as too small to trust.
    max_groups : int
        A sensitive column with more distinct values is rejected as an ID.

    Returns
    -------
    AuditResult

    Examples
    --------
    >>> import pandas as pd
    >>> from fairness import audit
    >>> df = pd.DataFrame({"y": [1, 0, 1, 0, 1, 0], "pred": [1, 0, 0, 0, 1, 1],
    ...                    "sex": ["f", "f", "f", "m", "m", "m"]})
    >>> result = audit(df, label="y", prediction="pred", sensitive="sex", bootstrap=0)
    >>> [round(g["metrics"]["selection_rate"]["value"], 3) for g in result.groups]
    [0.333, 0.667]
    """
    sensitive, reference = _check_params(
        sensitive, bootstrap, confidence, random_state, four_fifths, reference, intersectional
    )
    prepared = prepare(
        frame, label=label, prediction=prediction, sensitive=sensitive, score=score,
        positive_label=positive_label, drop_missing=drop_missing, max_groups=max_groups,
    )
    counts = reduce(prepared, intersectional)
    rng = np.random.default_rng(random_state)
    reps = bootstrap_cells(counts.cells, bootstrap, rng) if bootstrap else None

    groups, disparities, flags, warnings = [], [], [], list(prepared.warnings)
    summary: dict[str, Any] = {}
    for view in counts.views:
        part = _audit_view(
            view, counts.cells, reps, prepared.n_rows, reference.get(view.name),
            confidence, four_fifths, min_group_size, min_group_share,
        )
        groups += part["groups"]
        disparities += part["disparities"]
        flags += part["flags"]
        summary[view.name] = part["summary"]
        if len(part["groups"]) < 2:
            warnings.append(
                f"{view.name!r} has one group only: there is nothing to compare, "
                "so its disparities are empty"
            )

    total = counts.cells.sum(axis=0)
    total_reps = reps.sum(axis=1) if reps is not None else None
    overall = {}
    for key, alpha in (("theil_index", 1.0), ("generalized_entropy_index", 2.0)):
        overall[key] = estimate(
            generalized_entropy(total, alpha),
            generalized_entropy(total_reps, alpha) if total_reps is not None else None,
            confidence, "no benefit to measure (every b = 0)",
        )
        overall[key]["alpha"] = alpha
    overall["metrics"] = {
        m: estimate(compute_metric(m, total),
                    compute_metric(m, total_reps) if total_reps is not None else None,
                    confidence, METRICS[m].undefined_when)
        for m in METRIC_NAMES
    }
    summary = {"overall": overall, "by_attribute": summary}

    if prepared.score is not None:
        # One pass over the rows reduces the scores per joint group; every view
        # then sums joint groups, as the confusion counts do.
        lut = np.full(int(np.prod([len(a.groups) for a in prepared.attributes])), -1)
        lut[counts.present] = np.arange(len(counts.present))
        n_present = len(counts.present)
        per_joint = None
        for rows in row_blocks(prepared.n_rows, n_present * 2 * AUC_BINS // 16):
            row_group = joint_codes(prepared, rows)
            np.take(lut, row_group, out=row_group, mode="clip")  # every code is present
            part = score_counts(prepared.score[rows], prepared.y[rows], row_group, n_present)
            per_joint = part if per_joint is None else per_joint + part
        for view in counts.views:
            per_group = metrics_from_counts(
                per_joint.group(view.members.argmax(axis=1), len(view.groups)), confidence)
            for g in groups:
                if g["attribute"] == view.name:
                    g["score_metrics"] = per_group[view.groups.index(g["group"])]

    if cross_check is None:
        cross_check = prepared.n_rows <= CROSS_CHECK_MAX_ROWS
    checks = None
    if cross_check:
        from ._crosscheck import cross_check as run_cross_check

        checks = run_cross_check(prepared, counts, groups, summary)

    if prepared.n_dropped:
        warnings.append(f"{prepared.n_dropped} rows with a missing label, prediction or score "
                        "were dropped (drop_missing)")
    for g in groups:
        if g["small"]:
            warnings.append(f"group {g['group']!r} of {g['attribute']!r} is too small to trust "
                            f"({g['n']} rows)")

    data = {
        "schema_version": SCHEMA_VERSION,
        "n_rows": prepared.n_rows,
        "n_dropped": prepared.n_dropped,
        "positive_label": prepared.positive_label,
        "columns": {"label": label, "prediction": prediction, "score": score,
                    "sensitive": sensitive},
        "settings": {"bootstrap": bootstrap, "confidence": confidence,
                     "random_state": random_state, "intersectional": intersectional,
                     "four_fifths": four_fifths, "min_group_size": min_group_size,
                     "min_group_share": min_group_share,
                     "interval": "percentile bootstrap on multinomial cell counts"},
        "attributes": [v.name for v in counts.views],
        "groups": groups,
        "disparities": disparities,
        "summary": summary,
        "flags": flags,
        "cross_check": checks,
        "warnings": warnings,
    }
    return AuditResult(data)
