"""``audit``: per-group metrics, disparities and summaries, with intervals."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._counts import JOINT_SEPARATOR, Counts, View, group_cells, joint_codes, reduce, row_blocks
from ._estimate import (
    DIRICHLET,
    METHODS,
    WILSON,
    dirichlet_counts,
    estimate,
    estimates,
    proportion_estimates,
)
from ._metrics import (
    BETWEEN_GROUPS,
    METRIC_NAMES,
    METRICS,
    compute_metric,
    favorable_cells,
    favorable_rate,
    generalized_entropy,
    in_favorable_terms,
    ratio,
)
from ._prepare import AuditInputError, Prepared, prepare
from ._result import AuditResult
from ._scores import metrics_from_counts, score_counts

SCHEMA_VERSION = 2
CROSS_CHECK_MAX_ROWS = 200_000

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
    finite = np.isfinite(values)
    any_ = finite.any(axis=-1)
    hi = np.where(any_, np.max(np.where(finite, values, -np.inf), axis=-1), np.nan)
    lo = np.where(any_, np.min(np.where(finite, values, np.inf), axis=-1), np.nan)
    if kind == "difference":
        return hi - lo
    return ratio(lo, hi)


def favorable_words(favorable: int, positive_label: Any) -> str:
    """The favourable decision in words, for ``audit.json`` and the pages."""
    if favorable == 1:
        return (f"the positive prediction ({positive_label!r}) is favourable: impact ratios "
                "and the four-fifths rule compare the rates of receiving it")
    return (f"the positive prediction ({positive_label!r}) is a burden, so the favourable "
            "outcome is NOT receiving it: impact ratios and the four-fifths rule compare the "
            "rates of not being predicted positive")


def _impact_ratios(fav: np.ndarray, fav_reps: np.ndarray | None, eligible: np.ndarray):
    """Each group's favourable rate over the highest among the ``eligible`` groups."""
    def top(a: np.ndarray) -> np.ndarray:
        masked = np.where(eligible & np.isfinite(a), a, -np.inf)
        return np.max(masked, axis=-1, keepdims=True)

    impact = ratio(fav, top(fav)[..., 0])
    reps = ratio(fav_reps, top(fav_reps)) if fav_reps is not None else None
    return impact, reps


def _audit_view(
    view: View,
    cells: np.ndarray,
    n_total: int,
    reference: str | None,
    settings: dict,
    rng: np.random.Generator,
) -> dict:
    confidence = settings["confidence"]
    favorable = settings["favorable_prediction"]
    counts = group_cells(cells, view)  # (G, 4)
    sizes = counts.sum(axis=1)
    keep = np.flatnonzero(sizes > 0)
    counts, sizes = counts[keep], sizes[keep]
    names = [view.groups[i] for i in keep]
    n_boot = settings["bootstrap"]
    reps = dirichlet_counts(counts, n_boot, rng) if n_boot else None  # (B, G, 4)

    if reference is None:
        ref = int(np.argmax(sizes))  # the largest group; ties go to the first
    elif reference in names:
        ref = names.index(reference)
    else:
        shown = ", ".join(names[:20])
        raise AuditInputError(
            f"reference group {reference!r} not found in {view.name!r}; its groups are: {shown}"
        )

    # Every metric of every group at once, (M, G), and of every replicate, (B, M, G).
    values = np.stack([compute_metric(m, counts) for m in METRIC_NAMES])
    rep_values = (np.stack([compute_metric(m, reps) for m in METRIC_NAMES], axis=1)
                  if reps is not None else None)
    per_metric = _group_metric_estimates(counts, values, rep_values, confidence)
    # Impact ratio as in the four-fifths rule and NYC LL144: each group's rate of the
    # favourable decision over the highest group's, among groups big enough to trust.
    shares = sizes / n_total
    small = (sizes < settings["min_group_size"]) | (shares < settings["min_group_share"])
    eligible = ~small if (~small).any() else np.ones_like(small)
    fav = favorable_rate(counts, favorable)
    fav_reps = favorable_rate(reps, favorable) if reps is not None else None
    impact, impact_reps = _impact_ratios(fav, fav_reps, eligible)
    fav_est = proportion_estimates(counts[:, list(favorable_cells(favorable))].sum(axis=1),
                                   sizes, confidence, "the group is empty")
    impact_est = estimates(impact, impact_reps, confidence,
                           "no eligible group receives the favourable decision")
    top_i = int(np.argmax(np.where(eligible, fav, -np.inf)))
    denominator = {
        "group": names[top_i], "favorable_rate": float(fav[top_i]),
        "rule": (f"the highest favourable rate among groups with at least "
                 f"{settings['min_group_size']} rows and {settings['min_group_share']:.0%} of "
                 "the rows" if (~small).any() else
                 "every group is small, so the highest favourable rate of all groups"),
        "excluded_small_groups": [names[i] for i in np.flatnonzero(small)] if (~small).any()
        else [],
    }

    groups, flags = [], []
    threshold = settings["four_fifths"]
    for i, name in enumerate(names):
        tn, fp, fn, tp = (int(x) for x in counts[i])
        n = int(sizes[i])
        metrics = {m: per_metric[m][i] for m in METRIC_NAMES}
        warnings = [f"{m} is undefined: {METRICS[m].undefined_when}"
                    for m in METRIC_NAMES if metrics[m]["value"] is None]
        if n < settings["min_group_size"]:
            warnings.append(f"only {n} rows (fewer than {settings['min_group_size']}): too few "
                            "to trust its metrics")
        if shares[i] < settings["min_group_share"]:
            warnings.append(
                f"{shares[i]:.1%} of the rows (under {settings['min_group_share']:.0%}): too "
                "small to trust; it cannot set the impact ratio's denominator, and NYC LL144 "
                "lets an audit leave such categories out of impact ratios"
            )
        ir = impact_est[i]
        group_flags = []
        if ir["value"] is not None and ir["value"] < threshold:
            group_flags.append("four_fifths")
            flags.append({"attribute": view.name, "group": name, "flag": "four_fifths",
                          "impact_ratio": ir["value"], "threshold": threshold,
                          "favorable_rate": fav_est[i]["value"],
                          "small": bool(small[i])})
        groups.append({
            "attribute": view.name, "group": name, "n": n, "share": float(shares[i]),
            "is_reference": i == ref,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "metrics": metrics, "favorable_rate": fav_est[i], "impact_ratio": ir,
            "flags": group_flags, "small": bool(small[i]), "warnings": warnings,
        })

    disparities = _disparities(view.name, names, ref, values, rep_values, confidence)
    ref_name = names[ref]
    summary: dict[str, Any] = {"reference": ref_name, "impact_ratio_denominator": denominator}
    row = {m: i for i, m in enumerate(METRIC_NAMES)}
    for key, (metrics_, kind) in BETWEEN_GROUPS.items():
        parts = [_spread(values[row[m]], kind) for m in metrics_]
        rep_parts = ([_spread(rep_values[:, row[m]], kind) for m in metrics_]
                     if rep_values is not None else None)
        pick = np.fmax if kind == "difference" else np.fmin  # the worse of the parts
        point = parts[0] if len(parts) == 1 else pick(*parts)
        draws = None
        if rep_parts:
            draws = rep_parts[0] if len(rep_parts) == 1 else pick(*rep_parts)
        summary[key] = estimate(point, draws, confidence,
                                f"{' and '.join(metrics_)} undefined for every group")
    summary["vs_reference"] = _vs_reference(counts, reps, names, ref, favorable, confidence)
    return {"groups": groups, "disparities": disparities, "summary": summary, "flags": flags}


def _group_metric_estimates(counts, values, rep_values, confidence) -> dict[str, list[dict]]:
    """Each metric of each group: a Wilson interval for proportions, the bootstrap's otherwise."""
    out: dict[str, list[dict]] = {}
    props = [m for m in METRIC_NAMES if METRICS[m].is_proportion]
    num = np.stack([counts[:, list(METRICS[m].numerator)].sum(axis=1) for m in props])
    den = np.stack([counts[:, list(METRICS[m].denominator)].sum(axis=1) for m in props])
    flat = proportion_estimates(num.ravel(), den.ravel(), confidence,
                                [METRICS[m].undefined_when for m in props
                                 for _ in range(counts.shape[0])])
    g = counts.shape[0]
    for k, m in enumerate(props):
        out[m] = flat[k * g:(k + 1) * g]
    for k, m in enumerate(METRIC_NAMES):
        if m not in out:
            out[m] = estimates(values[k], rep_values[:, k] if rep_values is not None else None,
                               confidence, METRICS[m].undefined_when)
    return out


def _disparities(attribute, names, ref, values, rep_values, confidence) -> list[dict]:
    """Every metric of every group against the reference: difference and ratio (M x (G-1))."""
    others = [i for i in range(len(names)) if i != ref]
    if not others:
        return []
    diff = values[:, others] - values[:, [ref]]
    rat = ratio(values[:, others], values[:, [ref]])
    rd = rr = None
    if rep_values is not None:
        rd = (rep_values[:, :, others] - rep_values[:, :, [ref]]).reshape(len(rep_values), -1)
        rr = ratio(rep_values[:, :, others], rep_values[:, :, [ref]]).reshape(len(rep_values), -1)
    whys, ratio_whys = [], []
    for k, m in enumerate(METRIC_NAMES):
        for i in others:
            why = _why(m, values[k], i, ref, names[i], names[ref])
            whys.append(why)
            ratio_whys.append(why or (f"{m} of the reference group is 0"
                                      if values[k, ref] == 0 else ""))
    d_est = estimates(diff.ravel(), rd, confidence, whys)
    r_est = estimates(rat.ravel(), rr, confidence, ratio_whys)
    out, j = [], 0
    for m in METRIC_NAMES:
        for i in others:
            out.append({"attribute": attribute, "metric": m, "group": names[i],
                        "reference": names[ref], "difference": d_est[j], "ratio": r_est[j]})
            j += 1
    return out


def _vs_reference(counts, reps, names, ref, favorable, confidence) -> list[dict]:
    """aif360's measures of each group against the reference (unprivileged - privileged).

    aif360 counts everything in terms of its favourable label, so these are
    computed on the counts relabelled so that 1 is favourable.
    """
    fav_counts = in_favorable_terms(counts, favorable)
    fav_reps = in_favorable_terms(reps, favorable) if reps is not None else None

    def m(name, c):
        return compute_metric(name, c)

    sr, tpr, fpr = (m(k, fav_counts) for k in ("selection_rate", "tpr", "fpr"))
    if fav_reps is not None:
        sr_r, tpr_r, fpr_r = (m(k, fav_reps) for k in ("selection_rate", "tpr", "fpr"))
    out = []
    for i, name in enumerate(names):
        if i == ref:
            continue
        def d(a, a_r=None, i=i):
            return a[i] - a[ref], (a_r[:, i] - a_r[:, ref] if a_r is not None else None)
        boot = fav_reps is not None
        spd, spd_r = d(sr, sr_r if boot else None)
        eod, eod_r = d(tpr, tpr_r if boot else None)
        fpd, fpd_r = d(fpr, fpr_r if boot else None)
        di = ratio(sr[i], sr[ref])
        di_r = ratio(sr_r[:, i], sr_r[:, ref]) if boot else None
        out.append({
            "group": name,
            "statistical_parity_difference": estimate(spd, spd_r, confidence, "undefined"),
            "disparate_impact": estimate(di, di_r, confidence,
                                         "the reference group's favourable rate is 0"),
            "equal_opportunity_difference": estimate(
                eod, eod_r, confidence, "TPR is undefined for the group or the reference"),
            "average_odds_difference": estimate(
                (fpd + eod) / 2, (fpd_r + eod_r) / 2 if boot else None, confidence,
                "TPR or FPR is undefined for the group or the reference"),
        })
    return out


def _why(m, values, i, ref, name, ref_name) -> str:
    if not np.isfinite(values[i]):
        return f"{m} is undefined for {name}: {METRICS[m].undefined_when}"
    if not np.isfinite(values[ref]):
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
    favorable_prediction: Any = 1,
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
    engine: str = "auto",
    spark_master: str | None = None,
) -> AuditResult:
    """Audit binary decisions for group disparities, with intervals.

    The rows are reduced once to counts of (group, label, prediction); every
    metric, disparity and interval is computed from those counts. The counts
    can come from the rows in memory (pandas) or from a GROUP BY in DuckDB or
    Spark, where the rows stay: the result is the same.

    Parameters
    ----------
    frame : pandas.DataFrame, pyarrow.Table, path, DuckDB relation or Spark DataFrame
        One row per decision. A path may name a CSV or Parquet file, a folder
        of Parquet files (Hive ``key=value`` partitions become columns) or a
        glob such as ``"logs/2025-*.parquet"``; with Spark also a URI
        (``s3a://...``, ``hdfs://...``).
    label, prediction : str
        Columns of the observed outcome and of the decision.
    sensitive : str or list of str
        Columns of protected attributes. Missing values form the group
        ``"(missing)"``.
    score : str, optional
        Column of scores of any real scale (probabilities, 1-10 deciles,
        points): adds each group's AUC; for probabilities in [0, 1] also the
        Brier score and a calibration table (otherwise they are undefined,
        with the reason).
    positive_label : optional
        The value meaning "positive" (selected, flagged). Needed unless the
        columns are 0/1, booleans or two numbers (the larger is positive).
    favorable_prediction : optional
        Which decision is favourable to the person: ``1`` (default: the
        positive one, as hired or approved) or ``0`` when the positive
        prediction is a burden (flagged, stopped, refused); a value of the
        prediction column works too. Impact ratios, the four-fifths flag and
        aif360's measures against the reference use the favourable decision.
    reference : dict, optional
        Reference group per attribute, e.g. ``{"race": "Caucasian"}`` (the
        intersection is named ``"race × sex"``); default the largest group.
    intersectional : bool
        Also audit the combinations of all sensitive attributes.
    bootstrap : int
        Replicates of the Bayesian bootstrap behind the intervals of
        differences, ratios and summaries (0 for none; group rates always get
        their Wilson interval).
    confidence : float
        Level of the intervals.
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
        Groups smaller than this are marked small: too few rows to trust, and
        never the denominator of impact ratios.
    max_groups : int
        A sensitive column with more distinct values is rejected as an ID.
    engine : {"auto", "pandas", "duckdb", "spark"}
        What makes the counts. ``auto``: Spark for a Spark DataFrame; DuckDB
        for a DuckDB relation, a folder, a glob, a Parquet file of more than
        5 million rows or a file over 256 MB; pandas otherwise. DuckDB and
        Spark never bring the rows into Python; their cross-check (default on
        up to 200,000 rows, as with pandas) fetches the rows of such small
        data, and ``cross_check=True`` on more rows is an error.
    spark_master : str, optional
        Where the spark engine starts a session when none is active (default
        ``local[*]``); e.g. ``spark://host:7077`` or ``yarn``.

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
    from . import _engines

    wanted = [("label", label), ("prediction", prediction)]
    wanted += [("sensitive", c) for c in sensitive] + ([("score", score)] if score else [])
    options = dict(label=label, prediction=prediction, sensitive=sensitive, score=score,
                   positive_label=positive_label, drop_missing=drop_missing,
                   max_groups=max_groups, favorable_prediction=favorable_prediction)
    kind = _engines.choose_engine(frame, engine)
    if kind == "pandas":
        prepared = prepare(_engines.in_memory(frame, wanted), **options)
        counts = reduce(prepared, intersectional)
        rows, per_joint = prepared, None
        if cross_check is None:
            cross_check = prepared.n_rows <= CROSS_CHECK_MAX_ROWS
    else:
        with _engines.open_backend(kind, frame, spark_master) as backend:
            made = _engines.sql_audit(backend, intersectional=intersectional, **options)
            prepared, counts, per_joint = made.prepared, made.counts, made.score_counts
            rows = None
            if cross_check is None:
                cross_check = prepared.n_rows <= CROSS_CHECK_MAX_ROWS
            elif cross_check and prepared.n_rows > CROSS_CHECK_MAX_ROWS:
                raise AuditInputError(
                    f"cross_check needs the rows in memory, and the {kind} engine keeps "
                    f"{prepared.n_rows:,} rows where they are; pass cross_check=False "
                    f"(--no-cross-check), or engine='pandas' for up to memory's size"
                )
            if cross_check:
                # Small data: the rows come over for fairlearn and aif360, as they are
                # for the pandas engine, and must code into the same groups.
                rows = prepare(_engines.fetch_rows(backend, [c for _, c in wanted]), **options)
                if [a.groups for a in rows.attributes] != [a.groups
                                                           for a in prepared.attributes]:
                    raise RuntimeError(f"the {kind} engine's groups differ from the rows' "
                                       "groups; please report this")
    settings = {
        "bootstrap": bootstrap, "confidence": confidence, "random_state": random_state,
        "intersectional": intersectional, "four_fifths": four_fifths,
        "min_group_size": min_group_size, "min_group_share": min_group_share,
        "favorable_prediction": prepared.favorable,
    }
    data = audit_counts(counts, prepared, settings, reference,
                        columns={"label": label, "prediction": prediction, "score": score,
                                 "sensitive": sensitive})
    if per_joint is not None:
        add_score_metrics(data, counts, per_joint, prepared.score_scale, confidence)
    elif prepared.score is not None:
        _add_score_metrics(data, prepared, counts, confidence)
    if cross_check:
        from ._crosscheck import cross_check as run_cross_check

        data["cross_check"] = run_cross_check(rows, counts, data["groups"], data["summary"])
    return AuditResult(data)


def audit_counts(counts: Counts, prepared: Prepared, settings: dict, reference: dict,
                 columns: dict) -> dict:
    """Everything that follows from the counts: the ``audit.json`` document without scores.

    The same for every engine that made the counts (pandas here, or a GROUP
    BY elsewhere); ``prepared`` supplies only the row counts, the positive
    label, the favourable decision and the input warnings.
    """
    confidence = settings["confidence"]
    favorable = settings["favorable_prediction"]
    seeds = np.random.SeedSequence(settings["random_state"]).spawn(len(counts.views) + 1)
    groups, disparities, flags, warnings = [], [], [], list(prepared.warnings)
    by_attribute: dict[str, Any] = {}
    for view, seq in zip(counts.views, seeds, strict=False):
        part = _audit_view(view, counts.cells, prepared.n_rows, reference.get(view.name),
                           settings, np.random.default_rng(seq))
        groups += part["groups"]
        disparities += part["disparities"]
        flags += part["flags"]
        by_attribute[view.name] = part["summary"]
        if len(part["groups"]) < 2:
            warnings.append(
                f"{view.name!r} has one group only: there is nothing to compare, "
                "so its disparities are empty"
            )

    total = counts.cells.sum(axis=0)
    boot = settings["bootstrap"]
    total_reps = dirichlet_counts(total, boot, np.random.default_rng(seeds[-1])) if boot else None
    overall: dict[str, Any] = {}
    for key, alpha in (("theil_index", 1.0), ("generalized_entropy_index", 2.0)):
        overall[key] = estimate(
            generalized_entropy(total, alpha, favorable),
            generalized_entropy(total_reps, alpha, favorable) if boot else None,
            confidence, "no benefit to measure (every b = 0)",
        )
        overall[key]["alpha"] = alpha
    values = np.stack([compute_metric(m, total[None]) for m in METRIC_NAMES])  # (M, 1)
    rep_values = (np.stack([compute_metric(m, total_reps[:, None]) for m in METRIC_NAMES],
                           axis=1) if boot else None)
    per_metric = _group_metric_estimates(total[None], values, rep_values, confidence)
    overall["metrics"] = {m: per_metric[m][0] for m in METRIC_NAMES}

    if prepared.n_dropped:
        warnings.append(f"{prepared.n_dropped} rows with a missing label, prediction or score "
                        "were dropped (drop_missing)")
    for g in groups:
        if g["small"]:
            warnings.append(f"group {g['group']!r} of {g['attribute']!r} is too small to trust "
                            f"({g['n']} rows)")
    return {
        "schema_version": SCHEMA_VERSION,
        "n_rows": prepared.n_rows,
        "n_dropped": prepared.n_dropped,
        "positive_label": prepared.positive_label,
        "favorable_prediction": favorable,
        "favorable_outcome": favorable_words(favorable, prepared.positive_label),
        "columns": columns,
        "settings": {**settings, "intervals": {
            "rates": WILSON, "differences, ratios and summaries": DIRICHLET,
            "methods": METHODS}},
        "attributes": [v.name for v in counts.views],
        "groups": groups,
        "disparities": disparities,
        "summary": {"overall": overall, "by_attribute": by_attribute},
        "flags": flags,
        "score_scale": None,
        "cross_check": None,
        "warnings": warnings,
    }


def _add_score_metrics(data: dict, prepared: Prepared, counts: Counts, confidence: float) -> None:
    """One pass over the rows reduces the scores per joint group; every view then sums
    joint groups, as the confusion counts do."""
    scale = prepared.score_scale
    lut = np.full(int(np.prod([len(a.groups) for a in prepared.attributes])), -1)
    lut[counts.present] = np.arange(len(counts.present))
    n_present = len(counts.present)
    per_joint = None
    for rows in row_blocks(prepared.n_rows, n_present * 2 * scale.bins // 16):
        row_group = joint_codes(prepared, rows)
        np.take(lut, row_group, out=row_group, mode="clip")  # every code is present
        part = score_counts(prepared.score[rows], prepared.y[rows], row_group, n_present, scale)
        per_joint = part if per_joint is None else per_joint + part
    add_score_metrics(data, counts, per_joint, scale, confidence)


def add_score_metrics(data: dict, counts: Counts, per_joint, scale, confidence: float) -> None:
    """Put each group's score metrics (from per-joint-group score counts) into ``data``."""
    data["score_scale"] = scale.to_dict()
    for view in counts.views:
        per_group = metrics_from_counts(per_joint.group(view.index, len(view.groups)), scale,
                                        confidence)
        for g in data["groups"]:
            if g["attribute"] == view.name:
                g["score_metrics"] = per_group[view.groups.index(g["group"])]
    if not scale.probabilities:
        data["warnings"].append(f"Brier score and calibration are left out: {scale.describe()}")
