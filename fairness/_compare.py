"""``compare_audits``: what changed between two audits of the same attributes, and is it real.

Every change is computed from the two audits' counts (``tp, fp, fn, tn`` of
each group, which ``audit.json`` holds), never from their rounded values.
The interval of a change comes from the engine's own Bayesian bootstrap,
run on each audit separately:

1. for each attribute, the cells of all its groups in BEFORE are drawn ``B``
   times from Dirichlet(counts + 1/2) (scaled to the audit's size), exactly
   as :func:`fairness.audit` draws them; independently, so are AFTER's (the
   two audits are of different decisions or different people, so their
   uncertainty is independent);
2. the quantity (a group's metric, its difference from the reference, a
   between-group summary) is computed on every draw of each;
3. draw ``b`` of AFTER minus draw ``b`` of BEFORE is a draw of the change;
   the interval is the percentile interval of those ``B`` differences.

A change is *marked* when its interval excludes zero. Two audits of the same
counts give changes of exactly zero whose intervals straddle zero (the two
sets of draws have the same distribution).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._audit import _spread
from ._estimate import DIRICHLET, dirichlet_counts, estimates
from ._metrics import BETWEEN_GROUPS, METRIC_NAMES, compute_metric
from ._prepare import AuditInputError

COMPARE_SCHEMA = 1
METHOD = (
    "For each attribute, the cells of BEFORE's groups and, independently, of AFTER's are drawn "
    "from Dirichlet(counts + 1/2), the engine's Bayesian bootstrap; the quantity is computed on "
    "each draw; draw b of AFTER minus draw b of BEFORE is a draw of the change, and the "
    "interval is the percentile interval of those differences. A change is marked when its "
    "interval excludes zero."
)
CELLS = ("tn", "fp", "fn", "tp")


def _document(audit: Any, which: str) -> dict:
    data = audit.to_dict() if hasattr(audit, "to_dict") else audit
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list) or not all(
            isinstance(g, dict) and all(c in g for c in (*CELLS, "attribute", "group"))
            for g in data["groups"]) or "attributes" not in data:
        raise AuditInputError(f"{which} is not an audit (no groups with counts tp, fp, fn, tn); "
                              "pass the audit.json that `casebook audit` wrote")
    return data


def _check_same_question(a: dict, b: dict) -> list[str]:
    def label(d: dict) -> Any:
        return (d.get("columns") or {}).get("label")

    if label(a) != label(b):
        raise AuditInputError(
            f"the audits are against different labels ({label(a)!r} before, {label(b)!r} "
            "after); compare audits of the same outcome"
        )
    if a.get("positive_label") != b.get("positive_label"):
        raise AuditInputError(
            f"the audits count different values as positive ({a.get('positive_label')!r} "
            f"before, {b.get('positive_label')!r} after); audit both with the same "
            "--positive-label"
        )
    if a.get("favorable_prediction") != b.get("favorable_prediction"):
        raise AuditInputError(
            f"the audits disagree on the favourable outcome (--favorable-prediction "
            f"{a.get('favorable_prediction')} before, {b.get('favorable_prediction')} after); "
            "audit both with the same --favorable-prediction"
        )
    shared = [x for x in a["attributes"] if x in b["attributes"]]
    if not shared:
        raise AuditInputError(
            f"the audits share no attribute (before: {', '.join(a['attributes'])}; after: "
            f"{', '.join(b['attributes'])}); audit both with the same --sensitive columns"
        )
    return shared


def _counts(data: dict, attribute: str) -> tuple[list[str], np.ndarray, str]:
    groups = [g for g in data["groups"] if g["attribute"] == attribute]
    names = [str(g["group"]) for g in groups]
    cells = np.array([[g[c] for c in CELLS] for g in groups], dtype=float)
    ref = next((str(g["group"]) for g in groups if g.get("is_reference")), names[0])
    return names, cells, ref


def _metrics(cells: np.ndarray) -> np.ndarray:
    """Every metric on ``cells[..., G, 4]``: shape ``(..., M, G)``."""
    return np.stack([compute_metric(m, cells) for m in METRIC_NAMES], axis=-2)


def _summary(values: np.ndarray) -> np.ndarray:
    """The between-group summaries of ``values[..., M, G]``: shape ``(..., S)``."""
    row = {m: i for i, m in enumerate(METRIC_NAMES)}
    out = []
    for metrics, kind in BETWEEN_GROUPS.values():
        parts = [_spread(values[..., row[m], :], kind) for m in metrics]
        pick = np.fmax if kind == "difference" else np.fmin
        out.append(parts[0] if len(parts) == 1 else pick(*parts))
    return np.stack(out, axis=-1)


def _marked(e: dict) -> bool:
    lo, hi = e.get("ci_low"), e.get("ci_high")
    return lo is not None and hi is not None and (lo > 0 or hi < 0)


def _value(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def compare_audits(before: Any, after: Any, *, bootstrap: int = 1000, confidence: float = 0.95,
                   random_state: int = 0, metrics: list[str] | None = None) -> dict:
    """Every change between two audits, with intervals drawn from both audits' counts.

    Parameters
    ----------
    before, after : AuditResult or dict
        Two audits (``audit.json`` documents) against the same label, with
        the same positive label and favourable outcome, sharing at least one
        attribute.
    bootstrap : int
        Draws of each audit's counts (0: no intervals, nothing marked).
    confidence : float
        Level of the intervals.
    random_state : int
        Seed of the draws.
    metrics : list of str, optional
        Keep only the changes of these metrics (and the summaries built on
        them); default every metric.

    Returns
    -------
    dict
        The ``compare.json`` document: ``attributes`` (those shared),
        ``by_attribute`` (the reference and the groups compared, with those
        found in one audit only), and three lists of changes, each entry with
        ``before``, ``after``, ``change`` (an estimate of after - before) and
        ``marked`` (the interval excludes zero): ``groups`` (each group's
        metrics), ``disparities`` (each group's difference from the
        reference, with ``gap_change``, the change of its size
        ``|after| - |before|``) and ``summaries`` (fairlearn's between-group
        measures over the groups in both).

    Raises
    ------
    AuditInputError
        When the audits differ in label, positive label or favourable
        outcome, or share no attribute.

    Examples
    --------
    >>> import pandas as pd
    >>> from fairness import audit
    >>> df = pd.DataFrame({"y": [1, 0] * 50, "pred": [1, 0, 0, 0] * 25,
    ...                    "sex": ["f"] * 50 + ["m"] * 50})
    >>> a = audit(df, label="y", prediction="pred", sensitive="sex", bootstrap=0)
    >>> c = compare_audits(a, a, bootstrap=200)
    >>> {e["change"]["value"] for e in c["groups"]}, c["n_marked"]
    ({0.0}, 0)
    """
    if not isinstance(bootstrap, int | np.integer) or isinstance(bootstrap, bool) or bootstrap < 0:
        raise AuditInputError(f"bootstrap must be a whole number >= 0, got {bootstrap!r}")
    if not 0 < float(confidence) < 1:
        raise AuditInputError(f"confidence must be between 0 and 1, got {confidence!r}")
    unknown = [m for m in metrics or () if m not in METRIC_NAMES]
    if unknown:
        raise AuditInputError(f"unknown metric {unknown[0]!r}; the metrics are: "
                              f"{', '.join(METRIC_NAMES)}")
    a, b = _document(before, "BEFORE"), _document(after, "AFTER")
    shared = _check_same_question(a, b)
    seeds = np.random.SeedSequence(random_state).spawn(2 * len(shared))
    groups_out, disp_out, summ_out, by_attribute = [], [], [], {}
    warnings: list[str] = []
    for k, attr in enumerate(shared):
        names_a, cells_a, ref_a = _counts(a, attr)
        names_b, cells_b, ref_b = _counts(b, attr)
        common = [g for g in names_a if g in names_b]
        only_a = [g for g in names_a if g not in names_b]
        only_b = [g for g in names_b if g not in names_a]
        if only_a or only_b:
            warnings.append(
                f"{attr!r}: groups in one audit only are not compared (before only: "
                f"{', '.join(only_a) or 'none'}; after only: {', '.join(only_b) or 'none'})"
            )
        if not common:
            by_attribute[attr] = {"reference": None, "groups": [], "only_before": only_a,
                                  "only_after": only_b}
            continue
        ref = ref_a if ref_a in common else ref_b if ref_b in common else common[0]
        ia = [names_a.index(g) for g in common]
        ib = [names_b.index(g) for g in common]
        va, vb = _metrics(cells_a)[:, ia], _metrics(cells_b)[:, ib]  # (M, G)
        ra = rb = None
        if bootstrap:
            ra = _metrics(dirichlet_counts(cells_a, bootstrap,
                                           np.random.default_rng(seeds[2 * k])))[..., ia]
            rb = _metrics(dirichlet_counts(cells_b, bootstrap,
                                           np.random.default_rng(seeds[2 * k + 1])))[..., ib]
        by_attribute[attr] = {"reference": ref, "groups": common, "only_before": only_a,
                              "only_after": only_b}
        n_a = {g: int(cells_a[i].sum()) for g, i in zip(common, ia, strict=True)}
        n_b = {g: int(cells_b[i].sum()) for g, i in zip(common, ib, strict=True)}

        # Each group's metrics.
        change = estimates((vb - va).ravel(), None if ra is None else
                           (rb - ra).reshape(bootstrap, -1), confidence,
                           "undefined in one of the audits", DIRICHLET)
        j = 0
        for mi, m in enumerate(METRIC_NAMES):
            for gi, g in enumerate(common):
                e = change[j]
                j += 1
                groups_out.append({"attribute": attr, "group": g, "metric": m,
                                   "n_before": n_a[g], "n_after": n_b[g],
                                   "before": _value(va[mi, gi]), "after": _value(vb[mi, gi]),
                                   "change": e, "marked": _marked(e)})

        # Each group's difference from the reference.
        r = common.index(ref)
        others = [i for i in range(len(common)) if i != r]
        if others:
            da, db = va[:, others] - va[:, [r]], vb[:, others] - vb[:, [r]]
            rda = rdb = None
            if ra is not None:
                rda = ra[..., others] - ra[..., [r]]
                rdb = rb[..., others] - rb[..., [r]]
            flat = None if rda is None else (rdb - rda).reshape(bootstrap, -1)
            gap_flat = None if rda is None else (np.abs(rdb) - np.abs(rda)).reshape(bootstrap, -1)
            why = "undefined for the group or the reference in one of the audits"
            ch = estimates((db - da).ravel(), flat, confidence, why, DIRICHLET)
            gap = estimates((np.abs(db) - np.abs(da)).ravel(), gap_flat, confidence, why,
                            DIRICHLET)
            j = 0
            for mi, m in enumerate(METRIC_NAMES):
                for oi, gi in enumerate(others):
                    g = common[gi]
                    disp_out.append({"attribute": attr, "group": g, "reference": ref,
                                     "metric": m, "n_before": n_a[g], "n_after": n_b[g],
                                     "before": _value(da[mi, oi]), "after": _value(db[mi, oi]),
                                     "change": ch[j], "gap_change": gap[j],
                                     "marked": _marked(ch[j])})
                    j += 1

        # Between-group summaries over the groups in both audits.
        sa, sb = _summary(va), _summary(vb)
        rs = None if ra is None else _summary(rb) - _summary(ra)
        ch = estimates(sb - sa, rs, confidence, "undefined in one of the audits", DIRICHLET)
        for si, key in enumerate(BETWEEN_GROUPS):
            of, kind = BETWEEN_GROUPS[key]
            summ_out.append({"attribute": attr, "summary": key, "metrics": list(of),
                             "kind": kind, "before": _value(sa[si]), "after": _value(sb[si]),
                             "change": ch[si], "marked": _marked(ch[si])})

    def side(d: dict) -> dict:
        return {"n_rows": d.get("n_rows"), "attributes": d["attributes"],
                "label": (d.get("columns") or {}).get("label"),
                "prediction": (d.get("columns") or {}).get("prediction")}

    if metrics:
        groups_out = [e for e in groups_out if e["metric"] in metrics]
        disp_out = [e for e in disp_out if e["metric"] in metrics]
        summ_out = [e for e in summ_out if set(e["metrics"]) <= set(metrics)]
    everything = groups_out + disp_out + summ_out
    if not bootstrap:
        warnings.append("no bootstrap draws (bootstrap 0): the changes have no intervals and "
                        "none is marked")
    return {
        "kind": "casebook-compare", "schema_version": COMPARE_SCHEMA,
        "before": side(a), "after": side(b),
        "label": (a.get("columns") or {}).get("label"), "positive_label": a.get("positive_label"),
        "favorable_prediction": a.get("favorable_prediction"),
        "settings": {"bootstrap": bootstrap, "confidence": confidence,
                     "random_state": random_state, "method": METHOD,
                     "metrics": list(metrics) if metrics else list(METRIC_NAMES)},
        "attributes": shared,
        "only_before": [x for x in a["attributes"] if x not in shared],
        "only_after": [x for x in b["attributes"] if x not in shared],
        "by_attribute": by_attribute,
        "groups": groups_out, "disparities": disp_out, "summaries": summ_out,
        "n_compared": len(everything), "n_marked": sum(e["marked"] for e in everything),
        "warnings": warnings,
    }
